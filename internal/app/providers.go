package app

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// providerCredentials returns the keys kobo presents to provider on behalf
// of the app: the deployment's defaults (the environment) for now; an app's
// own keys, once it can configure them, take precedence. The map is a
// copy, so a provider cannot change what the next call sees.
func (s *Service) providerCredentials(ctx context.Context, appID, provider string) (kobo.ProviderCredentials, error) {
	def := s.provDefaults[provider]
	if len(def) == 0 {
		return nil, nil
	}
	out := make(kobo.ProviderCredentials, len(def))
	for k, v := range def {
		out[k] = v
	}
	return out, nil
}
