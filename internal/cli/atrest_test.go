package cli

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres"
	"github.com/kobo-oss/kobo/internal/sqlite"
	"github.com/kobo-oss/kobo/internal/vault"
)

// Finding 8 of the security audit: full BVNs, full account numbers and
// webhook secrets were stored in plaintext, in the accounts and
// identities tables and in every event payload, stored idempotent
// response and statement PDF that carried them. This links the sandbox
// users through every path that stores them (a single account, a 101
// account choice sent with an Idempotency-Key, identity, a statement PDF,
// delivered webhooks), then reads the database as an attacker with the
// disk or a dump would: the SQLite file and its WAL byte for byte, or
// every Postgres table's text, and finds none of them.
func TestNoPlaintextPersonalDataAtRest(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		e := startE2E(t, e2eOpts{})
		secrets := storeEverything(t, e)
		var dump []byte
		for _, name := range []string{"kobo.db", "kobo.db-wal"} {
			b, err := os.ReadFile(filepath.Join(e.dir, name))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			dump = append(dump, b...)
		}
		if len(dump) < 64<<10 {
			t.Fatalf("the database is only %d bytes: nothing was read", len(dump))
		}
		findNone(t, dump, secrets)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := postgresDSN(t)
		e := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
		secrets := storeEverything(t, e)
		findNone(t, pgDump(t, dsn), secrets)
	})
}

// storeEverything drives kobo into storing every kind of personal data it
// keeps and returns what must not be found in the clear.
func storeEverything(t *testing.T, e *e2e) map[string]string {
	t.Helper()
	hooks := newHookReceiver(t)
	e.signupApp(hooks.srv.URL)
	hooks.mu.Lock()
	hooks.secret = e.app["webhook_secret"].(string)
	hooks.mu.Unlock()
	secrets := map[string]string{"webhook secret": e.app["webhook_secret"].(string)}
	gt := e.institution("GTBank")
	good := linkUser(t, e, gt, "user_good", nil)

	// user_multi: the 101 answer lists every account number; send it with
	// an Idempotency-Key so kobo stores the response
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	r := e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_multi", "password": "123456"},
		e.key("x-session-id", s, "Idempotency-Key", "login-multi")...).m(t)
	offered, _ := r["data"].([]any)
	if len(offered) < 2 {
		t.Fatalf("user_multi offered %v", r)
	}
	for i, a := range offered {
		secrets[fmt.Sprintf("offered account %d", i)] = a.(map[string]any)["accountNumber"].(string)
	}
	r = e.must(200, "POST", "/v1/connect/commit", map[string]any{"account": 0}, e.key("x-session-id", s, "Idempotency-Key", "commit-multi")...).m(t)
	multi := e.must(200, "POST", "/account/auth", map[string]string{"code": r["data"].(map[string]any)["code"].(string)}, e.key()...).m(t)["id"].(string)

	for _, id := range []string{good, multi} {
		waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
		acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
		secrets["account number of "+id] = acct["accountNumber"].(string)
		idt := e.must(200, "GET", "/accounts/"+id+"/identity", nil, e.key()...).m(t)
		bvn, _ := idt["bvn"].(string)
		if len(bvn) != 11 {
			t.Fatalf("identity of %s has no full BVN: %v", id, idt)
		}
		secrets["BVN of "+id] = bvn
		for _, k := range []string{"phone", "email", "addressLine1"} {
			v, _ := idt[k].(string)
			if len(v) < 6 {
				t.Fatalf("identity of %s has no %s: %v", id, k, idt)
			}
			secrets[k+" of "+id] = v
		}
	}
	pdf := e.do("GET", "/accounts/"+good+"/statement?period=last1months&output=pdf", nil, e.key()...)
	if pdf.status != 200 {
		t.Fatalf("statement: %d %s", pdf.status, pdf.body)
	}
	waitUntil(t, "account_updated webhooks", 30*time.Second, func() bool {
		n := 0
		for _, ty := range hooks.types("") {
			if ty == "account_updated" {
				n++
			}
		}
		return n >= 2
	})
	return secrets
}

// findNone fails for every secret found in dump, as text or as the hex a
// bytea column prints.
func findNone(t *testing.T, dump []byte, secrets map[string]string) {
	t.Helper()
	low := strings.ToLower(string(dump))
	for what, s := range secrets {
		if s == "" {
			t.Fatalf("%s is empty", what)
		}
		if strings.Contains(string(dump), s) {
			t.Errorf("%s (%s) is stored in plaintext", what, s)
		}
		if strings.Contains(low, hex.EncodeToString([]byte(s))) {
			t.Errorf("%s (%s) is stored in plaintext in a binary column", what, s)
		}
	}
}

// pgDump is the text of every row of every table of the test's schema.
func pgDump(t *testing.T, dsn string) []byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("found only tables %v", tables)
	}
	var out []byte
	for _, tb := range tables {
		rows, err := conn.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{tb}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s...)
			out = append(out, '\n')
		}
		rows.Close()
	}
	return out
}

// legacyFields are the fields kobo stored in plaintext before 0008.
var legacyFields = kobo.LegacyFields

// unseal turns a database back into what kobo before 0008 left: every
// legacy field in plaintext, and the backlog 0008 records.
func unseal(t *testing.T, st kobo.Store, v *vault.Vault) {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, f := range legacyFields {
		err := st.Update(ctx, func(tx kobo.Tx) error {
			vals, err := tx.SealedValues(ctx, f, "", 100000)
			if err != nil {
				return err
			}
			for _, sv := range vals {
				pt, err := v.Open(kobo.Sealed(sv.Value), f.AAD(sv.Row))
				if err != nil {
					return fmt.Errorf("%s %s: %w", f, sv.Row, err)
				}
				if _, err := tx.ReplaceSealedValue(ctx, f, sv.Row, sv.Value, string(pt)); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 10 {
		t.Fatalf("only %d values to unseal", n)
	}
}

// An existing database upgrades safely: plaintext a kobo before 0008
// stored is sealed when the new kobo starts, the API still answers with the
// same data, and the plaintext is gone from the file.
func TestUpgradeSealsPlaintext(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		e := startE2E(t, e2eOpts{dir: dir})
		secrets := storeEverything(t, e)
		sk := e.sk
		e.stop()
		keys, err := vault.LoadOrCreateKeyFile(filepath.Join(dir, "master.key"))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := vault.New(keys...)
		ctx := context.Background()
		st, err := sqlite.Open(ctx, filepath.Join(dir, "kobo.db"))
		if err != nil {
			t.Fatal(err)
		}
		unseal(t, st, v)
		st.Close()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kobo.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(legacyBacklogSQL()); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if b, _ := os.ReadFile(filepath.Join(dir, "kobo.db")); !strings.Contains(string(b), secrets["webhook secret"]) {
			t.Fatal("the downgrade left no plaintext: the test would prove nothing")
		}
		e2 := startE2E(t, e2eOpts{dir: dir})
		e2.sk = sk
		// the file and the WAL are clean as soon as kobo has started
		var dump []byte
		for _, name := range []string{"kobo.db", "kobo.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			dump = append(dump, b...)
		}
		findNone(t, dump, secrets)
		checkUpgraded(t, e2, secrets)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := postgresDSN(t)
		e := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
		secrets := storeEverything(t, e)
		sk := e.sk
		e.stop()
		keys, _ := vault.ParseKeys("dGVzdC1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTEyMzQ=")
		v, _ := vault.New(keys...)
		ctx := context.Background()
		st, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		unseal(t, st, v)
		st.Close()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, legacyBacklogSQL()); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if !strings.Contains(string(pgDump(t, dsn)), secrets["webhook secret"]) {
			t.Fatal("the downgrade left no plaintext: the test would prove nothing")
		}
		// on Postgres the operator migrates before the replicas start
		env := map[string]string{"DATABASE_URL": dsn, "KOBO_MASTER_KEY": "dGVzdC1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTEyMzQ="}
		if code, out := runKobo(t, env, "migrate", "up"); code != 0 {
			t.Fatalf("migrate up: %d %s", code, out)
		}
		findNone(t, pgDump(t, dsn), secrets)
		e2 := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
		e2.sk = sk
		checkUpgraded(t, e2, secrets)
		findNone(t, pgDump(t, dsn), secrets)
	})
}

// legacyBacklogSQL records what migration 0008 records on an old database.
func legacyBacklogSQL() string {
	var vals []string
	for _, f := range legacyFields {
		vals = append(vals, "('"+string(f)+"')")
	}
	return "INSERT INTO seal_backlog (field) VALUES " + strings.Join(vals, ", ")
}

// checkUpgraded reads back through the API what was stored before.
func checkUpgraded(t *testing.T, e *e2e, secrets map[string]string) {
	t.Helper()
	for what, s := range secrets {
		id, ok := strings.CutPrefix(what, "account number of ")
		if !ok {
			continue
		}
		acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
		if acct["accountNumber"] != s {
			t.Errorf("after the upgrade %s reads %v, want %s", what, acct["accountNumber"], s)
		}
		idt := e.must(200, "GET", "/accounts/"+id+"/identity", nil, e.key()...).m(t)
		if idt["bvn"] != secrets["BVN of "+id] {
			t.Errorf("after the upgrade the BVN of %s reads %v", id, idt["bvn"])
		}
	}
}
