package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT`

// Migrate applies every pending migration, each in its own transaction,
// and returns the versions applied. It refuses to run if an applied
// migration's file has changed since.
func (s *Store) Migrate(ctx context.Context, clock kobo.Clock) ([]kobo.Migration, error) {
	files, err := kobo.ParseMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	if _, err := s.write.ExecContext(ctx, migrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	st, err := s.status(ctx, files)
	if err != nil {
		return nil, err
	}
	var done []kobo.Migration
	for _, m := range files {
		if !pending(st, m.Version) {
			continue
		}
		err := s.Update(ctx, func(t kobo.Tx) error {
			q := t.(*tx).raw // scripts of several statements: not preparable
			if _, err := q.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := q.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
				m.Version, m.Name, m.Checksum, ts(clock.Now()))
			return err
		})
		if err != nil {
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		done = append(done, m.Migration)
	}
	return done, nil
}

func pending(st kobo.MigrationStatus, v int) bool {
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
	var exists int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return kobo.MigrationStatus{}, fmt.Errorf("read schema_migrations: %w", err)
	}
	if exists == 1 {
		rows, err := s.read.QueryContext(ctx, `SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return kobo.MigrationStatus{}, fmt.Errorf("read schema_migrations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m kobo.Migration
			var at sql.NullInt64
			if err := rows.Scan(&m.Version, &m.Name, &m.Checksum, &at); err != nil {
				return kobo.MigrationStatus{}, err
			}
			m.AppliedAt = fromNullTS(at)
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
