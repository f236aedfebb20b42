package kobo

import "context"

// ProviderRefStore finds accounts by the provider's own account id, for
// providers that push events naming their account (Mono's webhooks).
type ProviderRefStore interface {
	// AccountsByProviderRef lists an app's linked accounts (both modes)
	// whose provider ref is ref, oldest first.
	AccountsByProviderRef(ctx context.Context, appID, ref string) ([]*Account, error)
}
