package cli

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestSessionDetailsSealedAtRest: where a partner's sessions come from
// (IP address, user agent) is personal data, and was stored in the clear.
// After a login the engine's own rows, and the database file, hold neither
// in the clear; the Sessions page still shows both; and a row an older
// kobo wrote in plaintext still shows, not an error.
func TestSessionDetailsSealedAtRest(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	ctx := context.Background()
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	ua := "KoboSealCheck/1.0 (sessions-at-rest)"
	tok := e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}, "User-Agent", ua).m(t)["token"].(string)
	partnerID := e.must(200, "GET", "/v1/auth/me", nil, "Authorization", "Bearer "+tok).m(t)["id"].(string)

	// the engine's rows, below the sealing
	var raw []*kobo.PartnerToken
	if err := e.stk.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		raw, err = tx.PartnerTokens(ctx, partnerID, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 {
		t.Fatal("no session rows after a login")
	}
	for _, pt := range raw {
		if strings.Contains(pt.IP, "127.0.0.1") || strings.Contains(pt.UserAgent, "KoboSealCheck") || kobo.Sealed(pt.IP).KeyID() == "" || kobo.Sealed(pt.UserAgent).KeyID() == "" {
			t.Errorf("a session row holds ip %q, user agent %q: not sealed", pt.IP, pt.UserAgent)
		}
	}
	var dump []byte
	for _, name := range []string{"kobo.db", "kobo.db-wal"} {
		b, err := os.ReadFile(filepath.Join(e.dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		dump = append(dump, b...)
	}
	if strings.Contains(string(dump), "KoboSealCheck") {
		t.Error("the database file holds the session's user agent in the clear")
	}

	// a session an older kobo stored in plaintext, straight to the engine
	if err := e.stk.store.Update(ctx, func(tx kobo.Tx) error {
		return tx.CreatePartnerToken(ctx, &kobo.PartnerToken{Hash: strings.Repeat("ab", 32), PartnerID: partnerID, Kind: "api",
			CreatedAt: time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond), ExpiresAt: time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond),
			UserAgent: "LegacyBrowser/0.9", IP: "192.0.2.44"})
	}); err != nil {
		t.Fatal(err)
	}

	d := newDashClient(t, e)
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("login: %d %.300s", st, body)
	}
	st, _, body := d.get("/dashboard/sessions", "")
	if st != 200 {
		t.Fatalf("sessions page: %d %.300s", st, body)
	}
	for _, want := range []string{ua, "127.0.0.1", "LegacyBrowser/0.9", "192.0.2.44"} {
		if !strings.Contains(body, want) {
			t.Errorf("the sessions page lacks %q", want)
		}
	}
}
