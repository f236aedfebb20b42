// Package pgtest opens throwaway PostgreSQL stores for tests: one fresh
// schema per test in the database named by KOBO_TEST_DATABASE_URL, or a
// clear skip when it is unset. Only tests import it.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres"
)

// Env names the variable that points tests at a Postgres
// database; tests that need Postgres skip when it is unset.
const Env = "KOBO_TEST_DATABASE_URL"

// Open returns a migrated store in a fresh schema of the database at
// $KOBO_TEST_DATABASE_URL, dropped when the test ends, or skips the test
// when the variable is unset. Each test gets its own schema so tests run
// in parallel without seeing each other's rows.
func Open(t testing.TB) *postgres.Store {
	t.Helper()
	s, _ := open(t)
	return s
}

// Replicas returns two stores on one fresh schema, each with its own
// connection pool, as two replicas of kobo sharing a database are.
func Replicas(t testing.TB) (*postgres.Store, *postgres.Store) {
	t.Helper()
	a, schema := open(t)
	b, err := postgres.Open(context.Background(), os.Getenv(Env), postgres.Options{MaxConns: 8, SearchPath: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() }) // registered after a's, so it runs before the schema is dropped
	return a, b
}

func open(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		t.Skipf("%s is not set: skipping PostgreSQL test (set it to e.g. postgres://postgres@127.0.0.1:5432/test)", Env)
	}
	ctx := context.Background()
	schema := "t_" + kobo.RandomToken(12)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", Env, err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		t.Fatalf("create schema: %v", err)
	}
	conn.Close(ctx)
	s, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 8, SearchPath: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), fmt.Sprintf("DROP SCHEMA %s CASCADE", schema))
	})
	if _, err := s.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	return s, schema
}
