package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// staleTables lists this schema's tables that were never analysed
// (reltuples is -1 until the first ANALYZE or VACUUM) or have more than
// doubled on disk since (ANALYZE records relpages; pg_relation_size is
// the file as it is now). Both are exact, unlike the statistics system's
// change counters, which lag; doubling bounds the work to a few ANALYZEs
// over a table's whole growth, and autovacuum keeps the rest.
const staleTables = `SELECT relname FROM pg_class
	WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'
	  AND (reltuples < 0 OR pg_relation_size(oid) / current_setting('block_size')::int > 2 * relpages + 8)
	ORDER BY relname`

// RefreshStats analyses stale tables of the current schema only: the
// database may hold other schemas (other installs, tests) whose upkeep is
// not kobo's.
func (s *Store) RefreshStats(ctx context.Context) (bool, error) {
	return s.analyze(ctx, staleTables)
}

// analyzeAll analyses every table of the schema, after migrations: a
// migration may add or drop the indexes plans depend on.
func (s *Store) analyzeAll(ctx context.Context) error {
	_, err := s.analyze(ctx, `SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' ORDER BY relname`)
	return err
}

func (s *Store) analyze(ctx context.Context, which string) (bool, error) {
	rows, err := s.pool.Query(ctx, which)
	if err != nil {
		return false, classify(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(names) == 0 {
		return false, classify(err)
	}
	for i, n := range names {
		names[i] = pgx.Identifier{n}.Sanitize()
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE `+strings.Join(names, ", ")); err != nil {
		return false, fmt.Errorf("analyze %s: %w", strings.Join(names, ", "), classify(err))
	}
	return true, nil
}
