package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

// store is a kobo.Store that can migrate itself; both adapters are.
type store interface {
	kobo.Store
	Migrate(ctx context.Context, clock kobo.Clock) ([]kobo.Migration, error)
}

// migratePolicy says what openStore does about pending migrations.
type migratePolicy int

const (
	migrateNever  migratePolicy = iota // report only (migrate status)
	migrateAlways                      // apply (migrate up, SQLite serve, serve --migrate)
	migrateRefuse                      // fail if any are pending (Postgres serve without --migrate)
)

// openStore opens the configured engine and applies the migration policy.
// SQLite always migrates on serve: the embedded database belongs to this
// process. Postgres is shared, so serve migrates only when told to.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, policy migratePolicy) (store, error) {
	var st store
	switch cfg.Engine() {
	case "postgres":
		pg, err := postgres.Open(ctx, cfg.DatabaseURL.Reveal(), postgres.Options{})
		if err != nil {
			return nil, err
		}
		st = pg
	case "sqlite":
		sq, err := sqlite.Open(ctx, cfg.SQLitePath())
		if err != nil {
			return nil, err
		}
		st = sq
	default:
		return nil, cfg.Validate() // names the database-url problem
	}
	switch policy {
	case migrateAlways:
		done, err := st.Migrate(ctx, kobo.SystemClock{})
		if err != nil {
			st.Close()
			return nil, err
		}
		for _, m := range done {
			log.Info("migration applied", "version", m.Version, "name", m.Name, "engine", st.Engine())
		}
	case migrateRefuse:
		stt, err := st.MigrationStatus(ctx)
		if err != nil {
			st.Close()
			return nil, err
		}
		if len(stt.Pending) > 0 {
			st.Close()
			return nil, fmt.Errorf("the database has %d pending migration(s) (first: %04d_%s); run 'kobo migrate up' or start with --migrate",
				len(stt.Pending), stt.Pending[0].Version, stt.Pending[0].Name)
		}
	}
	return st, nil
}

// readiness reports whether st can serve: reachable, nothing pending.
func readiness(st kobo.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := st.Ping(ctx); err != nil {
			return fmt.Errorf("database unreachable: %w", err)
		}
		stt, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		if len(stt.Pending) > 0 {
			return fmt.Errorf("%d migration(s) pending", len(stt.Pending))
		}
		return nil
	}
}
