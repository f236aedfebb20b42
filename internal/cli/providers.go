package cli

import (
	"log/slog"
	"slices"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mono"
	"github.com/kobo-oss/kobo/internal/provider/statement"
)

// upstreamProviders wires the bank connectors beyond the sandbox bank,
// with the deployment's default credentials for each and the catalog
// saying which institutions each reaches.
//
// Mono (when configured) reaches the Nigerian banks of the catalog: each
// bank lists Mono among its providers, and the banks of KOBO_MONO_DEFAULT_FOR
// have Mono first. Which Mono institution id serves a bank is decided at
// login, by bank code, from Mono's own institution list (the provider
// caches it), so the catalog needs no copy of Mono's ids and a bank Mono
// stops serving fails its login with a clear message rather than a stale
// mapping.
func upstreamProviders(cfg config.Config, clock kobo.Clock, log *slog.Logger, bank kobo.Provider) (map[string]kobo.Provider, map[string]kobo.ProviderCredentials, []kobo.Institution) {
	providers := map[string]kobo.Provider{"banksim": bank}
	defaults := map[string]kobo.ProviderCredentials{}
	catalog := append(banksim.Catalog(), statement.Catalog()...)
	if !cfg.Mono.On() {
		return providers, defaults, catalog
	}
	providers[mono.Name] = mono.New(mono.Config{BaseURL: cfg.Mono.BaseURL, Logger: log.With("component", "mono"), Clock: clock,
		// a hanging Mono may hold at most half the fetch workers: the
		// other providers' syncs always have workers
		MaxInFlight: max(cfg.Workers/2, 1)})
	if c := cfg.Mono.Credentials(); c != nil {
		defaults[mono.Name] = c
	}
	for i := range catalog {
		in := &catalog[i]
		if in.Country != "ng" || in.BankCode == "" || in.Provider != "banksim" {
			continue
		}
		rest := slices.DeleteFunc(slices.Clone(in.Providers), func(p string) bool { return p == mono.Name || p == in.Provider })
		if cfg.Mono.Default(in.BankCode) {
			in.Providers = append([]string{mono.Name, in.Provider}, rest...)
			in.Provider = mono.Name
		} else {
			in.Providers = append([]string{in.Provider, mono.Name}, rest...)
		}
	}
	return providers, defaults, catalog
}
