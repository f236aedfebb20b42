package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/vault"
)

// runKobo runs a kobo command in-process and returns its exit code and
// output.
func runKobo(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := Main(context.Background(), args, func(k string) string { return env[k] }, &out, &errs)
	return code, out.String() + errs.String()
}

// serveWhile keeps reading every linked account and its identity through
// the API until stop, and counts the reads that did not answer right:
// rotation is online, so none may fail.
func serveWhile(t *testing.T, e *e2e, secrets map[string]string) (stop func() int) {
	var failed atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			for what, num := range secrets {
				id, ok := strings.CutPrefix(what, "account number of ")
				if !ok {
					continue
				}
				r := e.do("GET", "/accounts/"+id, nil, e.key()...)
				if r.status != 200 || !strings.Contains(string(r.body), num) {
					failed.Add(1)
				}
			}
		}
	}()
	return func() int { close(done); wg.Wait(); return int(failed.Load()) }
}

// kobo keys rotate re-seals everything (credentials, account numbers,
// BVNs, webhook secrets, event payloads...) under a new master key while
// kobo serves, with the old key accepted until it is done; then the old
// key goes and everything still reads, webhooks still verify, and the
// database holds no plaintext.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	t.Run("keyfile", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		e := startE2E(t, e2eOpts{dir: dir})
		secrets := storeEverything(t, e)
		sk := e.sk
		e.stop()
		env := map[string]string{"KOBO_DATA_DIR": dir}
		before, _ := vault.LoadOrCreateKeyFile(filepath.Join(dir, "master.key"))
		if code, out := runKobo(t, env, "keys", "add"); code != 0 {
			t.Fatalf("keys add: %d %s", code, out)
		}
		after, _ := vault.LoadOrCreateKeyFile(filepath.Join(dir, "master.key"))
		if len(after) != 2 || !bytes.Equal(after[1], before[0]) {
			t.Fatalf("keys add left %d keys", len(after))
		}
		oldID, newID := vault.KeyID(before[0]), vault.KeyID(after[0])
		if code, out := runKobo(t, env, "keys", "status"); code == 0 || !strings.Contains(out, oldID) {
			t.Fatalf("status before rotation should name the old key and fail: %d %s", code, out)
		}
		e2 := startE2E(t, e2eOpts{dir: dir})
		e2.sk = sk
		checkUpgraded(t, e2, secrets) // the old key still opens everything
		stop := serveWhile(t, e2, secrets)
		code, out := runKobo(t, env, "keys", "rotate", "--batch", "3")
		if failed := stop(); failed > 0 {
			t.Errorf("%d reads failed during the rotation", failed)
		}
		if code != 0 || !strings.Contains(out, "accounts.credentials") || !strings.Contains(out, "identities.bvn") {
			t.Fatalf("keys rotate: %d %s", code, out)
		}
		// the old key is still configured, but nothing is sealed under it
		code, out = runKobo(t, env, "keys", "status")
		if code != 0 || !strings.Contains(out, "configured keys: "+newID+", "+oldID) || strings.Count(out, oldID) != 1 {
			t.Fatalf("status after rotation: %d %s", code, out)
		}
		if code, out := runKobo(t, env, "keys", "retire"); code != 0 {
			t.Fatalf("keys retire: %d %s", code, out)
		}
		e2.stop()
		left, _ := vault.LoadOrCreateKeyFile(filepath.Join(dir, "master.key"))
		if len(left) != 1 || vault.KeyID(left[0]) != newID {
			t.Fatalf("after retire the key file holds %d keys", len(left))
		}
		e3 := startE2E(t, e2eOpts{dir: dir})
		e3.sk = sk
		checkUpgraded(t, e3, secrets)
		// webhooks are still signed with the same secret
		hooks := newHookReceiver(t)
		hooks.secret = secrets["webhook secret"]
		e3.must(200, "PATCH", "/v1/apps/"+e.app["id"].(string), map[string]any{"webhook_url": hooks.srv.URL}, "Authorization", e.auth)
		e3.must(200, "POST", "/v2/sandbox/accounts/"+firstAccount(secrets)+"/webhooks/fire", map[string]any{"event": "mono.events.account_updated"}, e3.key()...)
		waitUntil(t, "a webhook signed with the old secret", 30*time.Second, func() bool { return len(hooks.types("")) > 0 })
		hooks.mu.Lock()
		bad := hooks.bad
		hooks.mu.Unlock()
		if bad != 0 {
			t.Fatal("webhook signatures broke with the rotation")
		}
		var dump []byte
		for _, name := range []string{"kobo.db", "kobo.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			dump = append(dump, b...)
		}
		findNone(t, dump, secrets)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := postgresDSN(t)
		oldKey, newKey := "dGVzdC1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTEyMzQ=", "bmV3LWtleS1mb3Ita29iby1lMmUtdGVzdHMtMTIzNDU="
		e := startE2E(t, e2eOpts{postgres: true, dsn: dsn, masterKey: oldKey})
		secrets := storeEverything(t, e)
		sk := e.sk
		e.stop()
		// the new key is made known (listed second), then current
		e1 := startE2E(t, e2eOpts{postgres: true, dsn: dsn, masterKey: oldKey + "," + newKey})
		e1.stop()
		e2 := startE2E(t, e2eOpts{postgres: true, dsn: dsn, masterKey: newKey + "," + oldKey})
		e2.sk = sk
		env := map[string]string{"DATABASE_URL": dsn, "KOBO_MASTER_KEY": newKey + "," + oldKey}
		stop := serveWhile(t, e2, secrets)
		code, out := runKobo(t, env, "keys", "rotate", "--batch", "2")
		if failed := stop(); failed > 0 {
			t.Errorf("%d reads failed during the rotation", failed)
		}
		if code != 0 {
			t.Fatalf("keys rotate: %d %s", code, out)
		}
		e2.stop()
		env["KOBO_MASTER_KEY"] = newKey
		if code, out := runKobo(t, env, "keys", "status"); code != 0 {
			t.Fatalf("status with only the new key: %d %s", code, out)
		}
		e3 := startE2E(t, e2eOpts{postgres: true, dsn: dsn, masterKey: newKey})
		e3.sk = sk
		checkUpgraded(t, e3, secrets)
		findNone(t, pgDump(t, dsn), secrets)
	})
}

func firstAccount(secrets map[string]string) string {
	for what := range secrets {
		if id, ok := strings.CutPrefix(what, "account number of "); ok {
			return id
		}
	}
	return ""
}

// kobo keys rotate-api: the operator rotates one app's API key with the
// dashboard's overlaps (the old secret works through the overlap, and
// stops at once without one), refuses an overlap the dashboard would
// refuse, and the audit log names the operator.
func TestKeysRotateAPI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startE2E(t, e2eOpts{dir: dir})
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	auth := "Bearer " + e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	created := e.must(201, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", auth).m(t)
	appID, first, pk := created["id"].(string), created["secret_key"].(string), created["public_key"].(string)
	env := map[string]string{"KOBO_DATA_DIR": dir}

	if code, out := runKobo(t, env, "keys", "rotate-api", "--app", appID, "--overlap", "3h"); code == 0 || !strings.Contains(out, "none, 1h, 24h or 7d") {
		t.Fatalf("overlap 3h: %d %s", code, out)
	}
	if code, out := runKobo(t, env, "keys", "rotate-api", "--app", "000000000000000000000000"); code == 0 || !strings.Contains(out, "not found") {
		t.Fatalf("unknown app: %d %s", code, out)
	}
	code, out := runKobo(t, env, "keys", "rotate-api", "--app", appID, "--kind", "secret", "--overlap", "1h")
	second := secretKey.FindString(out)
	if code != 0 || second == "" || second == first || !strings.Contains(out, "keeps working for 1h") {
		t.Fatalf("rotate with overlap: %d %s", code, out)
	}
	for _, sk := range []string{first, second} {
		e.must(200, "GET", "/v3/institutions", nil, "mono-sec-key", sk)
	}
	if got := e.must(200, "GET", "/v1/apps/"+appID, nil, "Authorization", auth).m(t)["public_key"]; got != pk {
		t.Errorf("a secret-key rotation changed the public key: %v", got)
	}
	code, out = runKobo(t, env, "keys", "rotate-api", "--app", appID, "--kind", "secret")
	third := secretKey.FindString(out)
	if code != 0 || third == "" || !strings.Contains(out, "revoked") {
		t.Fatalf("rotate without overlap: %d %s", code, out)
	}
	e.must(200, "GET", "/v3/institutions", nil, "mono-sec-key", third)
	// the server's key cache holds a resolved key for a few seconds
	waitUntil(t, "the revoked key refused", 20*time.Second, func() bool {
		return e.do("GET", "/v3/institutions", nil, "mono-sec-key", second).status == 401
	})
	log := e.must(200, "GET", "/v1/audit?action=keys.", nil, "Authorization", auth).m(t)["data"].([]any)
	if len(log) != 2 {
		t.Fatalf("audit: %v", log)
	}
	for _, l := range log {
		m := l.(map[string]any)
		if m["source"] != "operator" || !strings.Contains(m["actor"].(string), "operator") || m["target"] != "test secret key" {
			t.Errorf("audit line %v", m)
		}
	}
}
