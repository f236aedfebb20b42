package cli

import (
	"encoding/json"
	"log/slog"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
)

// berlinGroupStandard is the Berlin Group connector's key in the banks
// file (KOBO_BANKS_FILE).
const berlinGroupStandard = "berlingroup"

// wireBerlinGroup adds the Berlin Group NextGenPSD2 connector for the
// banks file's "berlingroup" entries, and their institutions to the
// catalog. No entries, no connector. A bad entry or an unreadable
// certificate stops kobo at start, naming the entry.
func wireBerlinGroup(raw json.RawMessage, clock kobo.Clock, log *slog.Logger, keys *tppKeyring, providers map[string]kobo.Provider, catalog []kobo.Institution) ([]kobo.Institution, error) {
	banks, err := berlingroup.ParseBanks(raw)
	if err != nil || len(banks) == 0 {
		return catalog, err
	}
	p, err := berlingroup.New(berlingroup.Config{Banks: banks, Clock: clock, Logger: log.With("component", "berlingroup"), Keys: mtlsKeys(keys)})
	if err != nil {
		return catalog, err
	}
	providers[berlingroup.Name] = p
	return append(catalog, berlingroup.Catalog(banks)...), nil
}
