package cli

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
)

const (
	keyA = "dGVzdC1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTEyMzQ=" // the e2e key
	keyB = "YW5vdGhlci1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTE="
)

// startWith builds a stack (what `kobo serve` runs) on dsn with the
// given master key, and returns it or the error that stopped it.
func startWith(t *testing.T, dsn, dataDir, masterKey string) (*stack, error) {
	t.Helper()
	cfg := config.Default()
	cfg.DatabaseURL, cfg.DataDir, cfg.MasterKey, cfg.Migrate = kobo.Secret(dsn), dataDir, kobo.Secret(masterKey), true
	cfg = cfg.WithDerived()
	st, err := build(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), kobo.SystemClock{})
	if err == nil {
		t.Cleanup(st.close)
	}
	return st, err
}

// TestAnotherMasterKeyRefusesToStart: a replica whose KOBO_MASTER_KEY is
// not the one the database's secrets are sealed with must not start (it
// used to start, report ready, and link accounts the others could not
// read). A rotation that lists the new key second, then first, is fine.
func TestAnotherMasterKeyRefusesToStart(t *testing.T) {
	t.Parallel()
	engines := map[string]func(t *testing.T) (dsn, dir string){
		"sqlite": func(t *testing.T) (string, string) { d := t.TempDir(); return "sqlite:" + d + "/kobo.db", d },
		"postgres": func(t *testing.T) (string, string) {
			return postgresDSN(t), t.TempDir()
		},
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			dsn, dir := open(t)
			if _, err := startWith(t, dsn, dir, keyA); err != nil {
				t.Fatalf("first start: %v", err)
			}
			_, err := startWith(t, dsn, dir, keyB)
			if err == nil {
				t.Fatal("a replica with another master key started")
			}
			if kobo.ErrorCode(err) != kobo.EUNSEAL || !strings.Contains(err.Error(), "KOBO_MASTER_KEY does not match this database") {
				t.Fatalf("error = %v, want a clear master key mismatch", err)
			}
			if strings.Contains(err.Error(), keyB) || strings.Contains(err.Error(), keyA) {
				t.Fatalf("the error shows a key: %v", err)
			}
			// the same key again, and a rotation done in two steps, start
			if _, err := startWith(t, dsn, dir, keyA); err != nil {
				t.Fatalf("restart with the same key: %v", err)
			}
			if _, err := startWith(t, dsn, dir, "b:"+keyB+",a:"+keyA); err == nil {
				t.Fatal("a new key put first before any replica listed it started")
			}
			if _, err := startWith(t, dsn, dir, "a:"+keyA+",b:"+keyB); err != nil {
				t.Fatalf("listing the new key second: %v", err)
			}
			if _, err := startWith(t, dsn, dir, "b:"+keyB+",a:"+keyA); err != nil {
				t.Fatalf("then putting it first: %v", err)
			}
		})
	}
}

// TestMasterKeyCheckOnAnExistingDatabase: a database from before key
// checks already holds sealed credentials; the first replica to start
// with a key that does not open them must refuse rather than record its
// key as the database's.
func TestMasterKeyCheckOnAnExistingDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsn := "sqlite:" + dir + "/kobo.db"
	st, err := startWith(t, dsn, dir, keyA)
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, stk: st}
	srv := httptest.NewServer(st.api.Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.signupApp("")
	linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	srv.Close()
	st.close()
	// forget the recorded check, as a database from before them would
	db, err := sql.Open("sqlite", dir+"/kobo.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM vault_key_checks`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := startWith(t, dsn, dir, keyB); kobo.ErrorCode(err) != kobo.EUNSEAL || !strings.Contains(err.Error(), "does not open the bank credentials") {
		t.Fatalf("start with another key on a database with sealed credentials = %v", err)
	}
	if _, err := startWith(t, dsn, dir, keyA); err != nil {
		t.Fatalf("start with the key that sealed them: %v", err)
	}
}
