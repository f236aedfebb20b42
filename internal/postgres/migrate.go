package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL
)`

// migrateLockKey is the advisory lock that serialises migrations across
// replicas ("kobo" in ASCII).
const migrateLockKey = 0x6b6f626f

// Migrate applies every pending migration, each in its own transaction,
// holding an advisory lock so concurrent replicas apply each one once.
func (s *Store) Migrate(ctx context.Context, clock kobo.Clock) ([]kobo.Migration, error) {
	files, err := kobo.ParseMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey)
	if _, err := conn.Exec(ctx, migrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	st, err := s.status(ctx, files)
	if err != nil {
		return nil, err
	}
	var done []kobo.Migration
	for _, m := range files {
		if !isPending(st, m.Version) {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(t pgx.Tx) error {
			if _, err := t.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := t.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
				m.Version, m.Name, m.Checksum, utc(clock.Now()))
			return err
		})
		if err != nil {
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		done = append(done, m.Migration)
	}
	if len(done) > 0 {
		if err := s.analyzeAll(ctx); err != nil {
			return done, err
		}
	}
	return done, nil
}

func isPending(st kobo.MigrationStatus, v int) bool {
	for _, p := range st.Pending {
		if p.Version == v {
			return true
		}
	}
	return false
}

// MigrationStatus compares the embedded migrations with the applied ones.
func (s *Store) MigrationStatus(ctx context.Context) (kobo.MigrationStatus, error) {
	files, err := kobo.ParseMigrations(migrationFS, "migrations")
	if err != nil {
		return kobo.MigrationStatus{}, err
	}
	return s.status(ctx, files)
}

func (s *Store) status(ctx context.Context, files []kobo.MigrationFile) (kobo.MigrationStatus, error) {
	applied := map[int]kobo.Migration{}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return kobo.MigrationStatus{}, fmt.Errorf("read schema_migrations: %w", err)
	}
	if exists {
		rows, err := s.pool.Query(ctx, `SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return kobo.MigrationStatus{}, fmt.Errorf("read schema_migrations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m kobo.Migration
			var at time.Time
			if err := rows.Scan(&m.Version, &m.Name, &m.Checksum, &at); err != nil {
				return kobo.MigrationStatus{}, err
			}
			at = at.UTC()
			m.AppliedAt = &at
			applied[m.Version] = m
		}
		if err := rows.Err(); err != nil {
			return kobo.MigrationStatus{}, err
		}
	}
	var st kobo.MigrationStatus
	for _, f := range files {
		a, ok := applied[f.Version]
		if !ok {
			st.Pending = append(st.Pending, f.Migration)
			continue
		}
		if a.Checksum != f.Checksum {
			return st, fmt.Errorf("migration %04d_%s was changed after it was applied (checksum %s, applied %s); restore the file and add a new migration instead", f.Version, f.Name, f.Checksum[:12], a.Checksum[:12])
		}
		st.Applied = append(st.Applied, a)
	}
	return st, nil
}
