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

// TestConnectStageCountedOnceAcrossReplicas: two replicas (two stores,
// two pools, one database) mark the same stage of the same session at
// once, each inside a transaction that has already read the session. One
// of them counts it and the counter says 1, in every round and for every
// stage, whichever commits first.
func TestConnectStageCountedOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := pgtest.Replicas(t)
	ctx := context.Background()
	app := storetest.NewApp(t, a, storetest.NewPartner(t, a, "replicas@funnel.ng").ID)
	stages := []kobo.FunnelStage{kobo.StageStarted, kobo.StageChosen, kobo.StageSubmitted, kobo.StageLinked, kobo.StageFailed}
	const rounds = 8
	for round := range rounds {
		cs := storetest.NewFunnelSession(t, a, app.ID, "gtb", false, false, storetest.T0)
		for _, stage := range stages {
			var counted atomic.Int32
			var read sync.WaitGroup // both transactions have read the session
			read.Add(2)
			var wg sync.WaitGroup
			for _, s := range []kobo.Store{a, b} {
				wg.Go(func() {
					err := s.Update(ctx, func(tx kobo.Tx) error {
						_, err := tx.ConnectSession(ctx, cs.ID)
						read.Done()
						if err != nil {
							return err
						}
						read.Wait()
						ok, err := tx.MarkConnectStage(ctx, cs.ID, stage, storetest.T0.Add(time.Minute))
						if ok {
							counted.Add(1)
						}
						return err
					})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got := counted.Load(); got != 1 {
				t.Fatalf("round %d, %s: %d replicas counted the stage, want exactly 1", round, stage, got)
			}
		}
	}
	var rows []kobo.FunnelRow
	day := time.Date(storetest.T0.Year(), storetest.T0.Month(), storetest.T0.Day(), 0, 0, 0, 0, time.UTC)
	if err := b.View(ctx, func(tx kobo.Tx) error {
		var err error
		rows, err = tx.ConnectFunnel(ctx, kobo.FunnelFilter{AppID: app.ID, From: day, To: day.AddDate(0, 0, 1)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := kobo.FunnelCounts{Started: rounds, Chosen: rounds, Submitted: rounds, Linked: rounds, Failed: rounds}
	if len(rows) != 1 || rows[0].InstitutionID != "gtb" || rows[0].FunnelCounts != want {
		t.Fatalf("funnel = %+v, want one gtb row of %+v", rows, want)
	}
}
