package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyValueDSN turns a postgres:// test URL into libpq's key=value form.
func keyValueDSN(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	kv := []string{"host=" + u.Hostname(), "dbname=" + strings.TrimPrefix(u.Path, "/"), "user=" + u.User.Username()}
	if p := u.Port(); p != "" {
		kv = append(kv, "port="+p)
	}
	if pw, ok := u.User.Password(); ok {
		kv = append(kv, "password='"+pw+"'")
	}
	for k, vs := range u.Query() {
		kv = append(kv, k+"="+vs[0])
	}
	return strings.Join(kv, " ")
}

func runIn(t *testing.T, _ string, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	if args[0] == "serve" {
		cancel() // a serve that does start stops at once (and exits 0)
	}
	defer cancel()
	code := Main(ctx, args, getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestKeyValueDatabaseURLIsPostgres: a libpq key=value DATABASE_URL means
// PostgreSQL (it used to open a SQLite file named after the DSN), and
// `kobo migrate status` names the engine and the database, not the
// password.
func TestKeyValueDatabaseURLIsPostgres(t *testing.T) {
	dsn := keyValueDSN(t, postgresDSN(t)) + " password=hunter2"
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"DATABASE_URL": dsn, "KOBO_DATA_DIR": dir}
	if code, out, errOut := runIn(t, dir, vars, "migrate", "up"); code != 0 || !strings.Contains(out, "postgres database postgres://") {
		t.Fatalf("migrate up = %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runIn(t, dir, vars, "migrate", "status")
	if code != 0 || !strings.Contains(out, "engine   postgres\n") || !strings.Contains(out, "database postgres://") || strings.Contains(out+errOut, "hunter2") {
		t.Fatalf("migrate status = %d\n%s\n%s", code, out, errOut)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the data directory got %d files: a key=value DSN was taken for SQLite", len(ents))
	}
}

// TestUnknownDatabaseURLIsRefused: neither a Postgres DSN nor a SQLite
// path is an error before anything is created.
func TestUnknownDatabaseURLIsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	wd, _ := os.Getwd()
	for _, dsn := range []string{"dbname=kobo hots=db password=hunter2", "mysql://kobo:hunter2@db/kobo", "kobo"} {
		for _, cmd := range [][]string{{"migrate", "status"}, {"serve", "--addr", "127.0.0.1:0", "--admin-addr", ""}} {
			code, out, errOut := runIn(t, dir, map[string]string{"DATABASE_URL": dsn, "KOBO_DATA_DIR": dir}, cmd...)
			if code == 0 || !strings.Contains(errOut, "database-url") || strings.Contains(out+errOut, "hunter2") {
				t.Errorf("%v with DATABASE_URL=%q = %d\n%s\n%s", cmd, dsn, code, out, errOut)
			}
		}
		if _, err := os.Stat(filepath.Join(wd, dsn)); err == nil {
			t.Errorf("a file named %q appeared", dsn)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the data directory got %d files", len(ents))
	}
}

// TestMigrateStatusNamesSQLite: the SQLite side of the same report.
func TestMigrateStatusNamesSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	code, out, errOut := runIn(t, dir, map[string]string{"DATABASE_URL": "sqlite:" + db}, "migrate", "up")
	if code != 0 {
		t.Fatalf("migrate up = %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, dir, map[string]string{"DATABASE_URL": db}, "migrate", "status")
	if want := fmt.Sprintf("engine   sqlite\ndatabase sqlite:%s\n", db); code != 0 || !strings.HasPrefix(out, want) {
		t.Fatalf("migrate status = %d, want it to start %q\n%s\n%s", code, want, out, errOut)
	}
}
