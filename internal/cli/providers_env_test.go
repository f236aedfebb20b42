package cli

import (
	"testing"

	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// keyedProvider declares credential fields; nothing else of it is called.
type keyedProvider struct{ kobo.Provider }

func (keyedProvider) Policy() kobo.ProviderPolicy {
	return kobo.ProviderPolicy{Real: true, Credentials: []string{"secret_key", "public_key"}}
}

// TestProviderDefaultsFromEnvironment: KOBO_PROVIDER_<NAME>_<FIELD> fills
// the declared fields of each wired provider, and nothing else is read.
func TestProviderDefaultsFromEnvironment(t *testing.T) {
	env := map[string]string{"KOBO_PROVIDER_MONO_SECRET_KEY": "live_sk_x", "KOBO_PROVIDER_MONO_OTHER": "ignored", "KOBO_PROVIDER_SIMPLEFIN_SECRET_KEY": "not wired"}
	cfg, err := config.Default().FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := providerDefaults(cfg, map[string]kobo.Provider{"mono": keyedProvider{}, "banksim": nil})
	if len(got) != 1 || len(got["mono"]) != 1 || got["mono"]["secret_key"].Reveal() != "live_sk_x" {
		t.Errorf("defaults = %v", got)
	}
	// serve -h names KOBO_PROVIDER_<NAME>_<FIELD>: TestServeHelpListsEnvironment checks every EnvOnly entry
}
