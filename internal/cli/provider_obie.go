package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
	"github.com/kobo-oss/kobo/internal/provider/obie"
)

// standards are the banks file's keys (KOBO_BANKS_FILE): one per
// open-banking standard kobo has a connector for.
func standards() []string { return []string{obieStandard, berlinGroupStandard} }

// mtlsKeys is the keyring as the connectors take it: a nil *tppKeyring
// must be a nil interface, which they report as no key store.
func mtlsKeys(k *tppKeyring) mtls.Keys {
	if k == nil {
		return nil
	}
	return k
}

// obieStandard is the UK Open Banking connector's key in the banks file.
const obieStandard = "obie"

// wireOBIE adds the UK Open Banking connector when the banks file has
// "obie" entries: the entries are checked (a bad one stops kobo starting,
// naming the entry and field), their certificates and keys are loaded,
// and each bank becomes an institution of the catalog.
func wireOBIE(raw json.RawMessage, clock kobo.Clock, log *slog.Logger, keys *tppKeyring, providers map[string]kobo.Provider, catalog []kobo.Institution) ([]kobo.Institution, error) {
	if len(raw) == 0 {
		return catalog, nil
	}
	banks, err := obie.ParseBanks(raw)
	if err != nil {
		return catalog, fmt.Errorf("banks file: %w", err)
	}
	p, err := obie.New(obie.Config{Banks: banks, Clock: clock, Logger: log.With("component", "obie"), Keys: mtlsKeys(keys)})
	if err != nil {
		return catalog, fmt.Errorf("banks file: %w", err)
	}
	providers[obie.Name] = p
	return append(catalog, obie.Catalog(banks)...), nil
}
