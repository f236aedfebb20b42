package cli

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/obie"
)

// TestWireOBIE: the banks file's obie entries become the provider and one
// institution each; a bad entry or an unreadable certificate stops the
// wiring with the entry and field named.
func TestWireOBIE(t *testing.T) {
	t.Parallel()
	entry := `{"id":"bank-a","name":"Bank A","base_url":"https://a.example/open-banking/v3.1/aisp","auth_url":"https://a.example/authorize","token_url":"https://a.example/token","client_id":"c1"`
	providers := map[string]kobo.Provider{}
	catalog, err := wireOBIE(json.RawMessage("["+entry+"}]"), kobo.SystemClock{}, slog.New(slog.DiscardHandler), nil, providers, nil)
	if err != nil {
		t.Fatal(err)
	}
	if providers[obie.Name] == nil || len(catalog) != 1 || catalog[0].Name != "Bank A" || catalog[0].Provider != obie.Name {
		t.Fatalf("wired %v, %+v", providers, catalog)
	}
	for _, c := range []struct{ raw, want string }{
		{"[" + entry + `,"profile":"v9"}]`, "bank-a): profile"},
		{"[" + entry + `,"cert_file":"/nonexistent/c.pem","key_file":"/nonexistent/k.pem"}]`, "cert_file/key_file"},
		{"[" + entry + `,"signing_key_file":"/nonexistent/s.pem"}]`, "signing_key_file"},
	} {
		_, err := wireOBIE(json.RawMessage(c.raw), kobo.SystemClock{}, slog.New(slog.DiscardHandler), nil, map[string]kobo.Provider{}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.raw, err, c.want)
		}
	}
	// no obie entries: nothing wired
	p := map[string]kobo.Provider{}
	if _, err := wireOBIE(nil, kobo.SystemClock{}, slog.New(slog.DiscardHandler), nil, p, nil); err != nil || len(p) != 0 {
		t.Fatalf("no entries: %v %v", p, err)
	}
}
