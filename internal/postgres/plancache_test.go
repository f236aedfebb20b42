package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/postgres/pgtest"
)

// TestPreparedStatementsReplanAsTablesGrow pins that a statement the pool
// has prepared is planned for the table as it is when it runs, not as it
// was when first prepared. pgx prepares every statement once per
// connection; Postgres, after five runs, may keep a generic plan costed
// for the sizes it saw then. Prepared while webhook_deliveries held a few
// rows (a fresh install, a quiet hour), the dispatcher's claim and
// promotion statements kept sequential scans once a burst had made the
// table thousands of rows: 2.5-4 ms of Postgres CPU per delivery where an
// index plan costs a tenth of that, until autovacuum happened to analyze.
func TestPreparedStatementsReplanAsTablesGrow(t *testing.T) {
	t.Parallel()
	s := pgtest.Open(t)
	ctx := context.Background()
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	c := conn.Conn()
	for _, q := range []string{
		`CREATE TEMP TABLE grows (id bigint PRIMARY KEY, k text NOT NULL, pad text NOT NULL)`,
		`CREATE INDEX grows_k ON grows (k)`,
		`INSERT INTO grows SELECT g, 'k' || g, repeat('x', 100) FROM generate_series(1, 3) g`,
		`ANALYZE grows`, // as autovacuum leaves a table analysed while small
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// prepared as pgx prepares the statements it caches, run as often
	if _, err := c.Prepare(ctx, "grows_k", `SELECT count(*) FROM grows WHERE k = $1`); err != nil {
		t.Fatal(err)
	}
	for range 8 { // past the runs after which a generic plan may be kept
		if _, err := c.Exec(ctx, "grows_k", "k1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Exec(ctx, `INSERT INTO grows SELECT g, 'k' || g, repeat('x', 100) FROM generate_series(4, 20000) g`); err != nil {
		t.Fatal(err)
	}
	if p := explainOn(t, c, `EXECUTE grows_k('k1')`); strings.Contains(p, "Seq Scan") {
		t.Fatalf("a prepared statement kept the plan of the table it was first run on, 3 rows, now 20,000: %s", p)
	}
}
