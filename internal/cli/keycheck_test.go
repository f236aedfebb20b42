package cli

import (
	"context"
	"io"
	"log/slog"
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
