package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres/pgtest"
	"github.com/kobo-oss/kobo/internal/storetest"
)

// TestProviderHealthTransitionSeenByOneReplica: two replicas (two stores,
// two pools, one database) record the same change of an app's provider
// health at once. The app sends kobo.events.provider_health when the
// health SetAppProviderHealth replaced differs from the new one, so
// exactly one of the two transactions may see a change, in every round,
// even though both were open, and had read the row, before either wrote.
func TestProviderHealthTransitionSeenByOneReplica(t *testing.T) {
	t.Parallel()
	a, b := pgtest.Replicas(t)
	ctx := context.Background()
	app := storetest.NewApp(t, a, storetest.NewPartner(t, a, "replicas@health.ng").ID)
	if err := a.Update(ctx, func(tx kobo.Tx) error {
		return tx.PutAppProvider(ctx, &kobo.AppProvider{AppID: app.ID, Provider: "mono", Credentials: "k1.s", CreatedAt: storetest.T0, UpdatedAt: storetest.T0})
	}); err != nil {
		t.Fatal(err)
	}
	healthy := func(h kobo.ProviderHealth) bool { return h.CheckedAt.IsZero() || h.OK } // as the app reads it
	for round := range 10 {
		now := kobo.ProviderHealth{OK: round%2 == 1, Message: "round", CheckedAt: storetest.T0.Add(time.Duration(round+1) * time.Minute)}
		var changes atomic.Int32
		var read sync.WaitGroup // both transactions have read the row
		read.Add(2)
		var wg sync.WaitGroup
		for _, s := range []kobo.Store{a, b} {
			wg.Go(func() {
				err := s.Update(ctx, func(tx kobo.Tx) error {
					if _, err := tx.AppProvider(ctx, app.ID, "mono"); err != nil {
						read.Done()
						return err
					}
					read.Done()
					read.Wait()
					prev, err := tx.SetAppProviderHealth(ctx, app.ID, "mono", now)
					if err == nil && healthy(prev) != now.OK {
						changes.Add(1)
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := changes.Load(); got != 1 {
			t.Fatalf("round %d (to ok=%v): %d replicas saw the change, want exactly 1", round, now.OK, got)
		}
	}
}
