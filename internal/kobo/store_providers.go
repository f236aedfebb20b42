package kobo

import (
	"context"
	"time"
)

// AppProvider is an app's own configuration of a provider: its keys,
// sealed by the app layer (never returned by any API), the names of the
// fields it set, and the last credential check.
type AppProvider struct {
	AppID       string
	Provider    string
	Credentials Sealed
	Fields      []string
	Health      ProviderHealth // CheckedAt zero: never checked
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AccountConsent is an account's consent as stored.
type AccountConsent struct {
	AccountID string
	Consent
	// NotifiedAt is when consent_expiring was announced for this expiry;
	// a new ExpiresAt clears it.
	NotifiedAt *time.Time
	UpdatedAt  time.Time
}

// ProviderStore keeps the provider framework's data: an app's keys per
// provider, its choice of provider per institution, and each account's
// consent.
type ProviderStore interface {
	// PutAppProvider creates or replaces an app's configuration of a
	// provider (keeping CreatedAt of an existing row).
	PutAppProvider(ctx context.Context, p *AppProvider) error
	// AppProvider returns one configuration, or ENOTFOUND.
	AppProvider(ctx context.Context, appID, provider string) (*AppProvider, error)
	// AppProviders lists an app's configurations by provider name.
	AppProviders(ctx context.Context, appID string) ([]*AppProvider, error)
	// SetAppProviderHealth records a credential check and returns the
	// health it replaced (ENOTFOUND if the provider is not configured). The
	// old health is read under the row's lock, so of two replicas
	// recording the same change at once, only the first sees it as a
	// change: the second sees the first's write as its old health.
	SetAppProviderHealth(ctx context.Context, appID, provider string, h ProviderHealth) (ProviderHealth, error)
	// DeleteAppProvider removes a configuration (ENOTFOUND if none).
	DeleteAppProvider(ctx context.Context, appID, provider string) error
	// SetInstitutionProvider records an app's choice of provider for an
	// institution; an empty provider returns it to the default.
	SetInstitutionProvider(ctx context.Context, appID, institutionID, provider string, at time.Time) error
	// InstitutionProviders returns an app's choices, by institution id.
	InstitutionProviders(ctx context.Context, appID string) (map[string]string, error)
	// PutAccountConsent creates or replaces an account's consent; a
	// changed ExpiresAt clears NotifiedAt.
	PutAccountConsent(ctx context.Context, c *AccountConsent) error
	// AccountConsent returns an account's consent, or ENOTFOUND (accounts
	// linked before consents were kept, statement uploads).
	AccountConsent(ctx context.Context, accountID string) (*AccountConsent, error)
	// SetAccountIdentifiers replaces an account's identifiers (one per
	// scheme; an empty list removes them).
	SetAccountIdentifiers(ctx context.Context, accountID string, ids []AccountIdentifier) error
	// AccountIdentifiers returns an account's identifiers by scheme (none
	// is an empty list, not ENOTFOUND).
	AccountIdentifiers(ctx context.Context, accountID string) ([]AccountIdentifier, error)
	// ClaimExpiringConsents marks up to limit consents expiring before
	// `before` and not yet notified as notified at `at`, and returns them:
	// each consent is announced once, by whichever replica claims it.
	ClaimExpiringConsents(ctx context.Context, before, at time.Time, limit int) ([]*AccountConsent, error)
}
