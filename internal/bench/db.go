package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// The bench never measures or writes into a database it was not given.
// Children get an environment with every KOBO_* variable, DATABASE_URL
// and PORT removed (an operator's shell often has them set, and a child
// that inherited them would run a suite labelled SQLite on the operator's
// Postgres and leave its partners and accounts there). With
// --database-url, each child gets a database of its own on that server,
// created for it and dropped when it stops.

// childEnv is the environment of a child process: the parent's without
// kobo's own settings, then extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "KOBO_") || k == "DATABASE_URL" || k == "PORT" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// throwaway is a database created for one child and dropped after it.
type throwaway struct {
	admin string // the URL --database-url gave, used to create and drop
	name  string
	url   string // the new database's URL
}

// createDatabase makes an empty database on the server at admin.
func createDatabase(ctx context.Context, admin string) (*throwaway, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("--database-url: not a postgres:// URL")
	}
	name := "kobo_bench_" + strings.ToLower(kobo.RandomToken(10))
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connect to --database-url: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create a throwaway database: %w", err)
	}
	u.Path = "/" + name
	return &throwaway{admin: admin, name: name, url: u.String()}, nil
}

// drop removes the database, closing any connection a killed child left.
func (t *throwaway) drop() error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, t.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{t.name}.Sanitize()+" WITH (FORCE)")
	return err
}

// storeEnv prepares the store of one child: nothing for SQLite (it uses
// its data directory), a throwaway database and a fresh master key for
// Postgres. cleanup drops what was made.
func storeEnv(ctx context.Context, o benchOpts) (env []string, cleanup func(), err error) {
	if o.databaseURL == "" {
		return nil, func() {}, nil
	}
	db, err := createDatabase(ctx, o.databaseURL)
	if err != nil {
		return nil, nil, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // never fails (crypto/rand)
	key := base64.StdEncoding.EncodeToString(raw)
	return []string{"DATABASE_URL=" + db.url, "KOBO_MIGRATE=true", "KOBO_MASTER_KEY=" + key}, func() {
		if err := db.drop(); err != nil {
			fmt.Fprintf(os.Stderr, "kobo bench: could not drop %s: %v\n", db.name, err)
		}
	}, nil
}

// engine names the store the suites measure.
func (o benchOpts) engine() string {
	if o.databaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}
