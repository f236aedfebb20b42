package cli

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
)

func TestWireBerlinGroup(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	providers := map[string]kobo.Provider{}
	cat, err := wireBerlinGroup(nil, kobo.SystemClock{}, log, nil, providers, nil)
	if err != nil || len(cat) != 0 || len(providers) != 0 {
		t.Fatalf("no entries: %v %v %v", cat, providers, err)
	}
	good := json.RawMessage(`[{"id":"b1","name":"Bank One","country":"DE","base_url":"https://xs2a.example/psd2","sca_approaches":["redirect","decoupled"]}]`)
	cat, err = wireBerlinGroup(good, kobo.SystemClock{}, log, nil, providers, nil)
	if err != nil || len(cat) != 1 || cat[0].Provider != berlingroup.Name || cat[0].Country != "de" || providers[berlingroup.Name] == nil {
		t.Fatalf("one bank: %+v %v", cat, err)
	}
	bad := json.RawMessage(`[{"id":"b2","name":"Bank Two","country":"DE","base_url":"https://x","sca_approaches":["redirect"],"cert_file":"/nonexistent.pem","key_file":"/nonexistent.key"}]`)
	if _, err := wireBerlinGroup(bad, kobo.SystemClock{}, log, nil, map[string]kobo.Provider{}, nil); err == nil || !strings.Contains(err.Error(), `"b2"`) {
		t.Fatalf("unreadable certificate: %v", err)
	}
}
