package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testDeliveriesConcurrentClaims: several workers (replicas) claiming at
// once must never lease the same delivery twice while its lease holds,
// since each claim is one POST to the partner. Each delivery has its own
// account so every one is ready and all workers contend for the same
// head of the queue.
func testDeliveriesConcurrentClaims(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "claims@b.ng").ID)
	const total = 400
	update(t, s, func(tx kobo.Tx) error {
		for i := 0; i < total; i++ {
			at := T0.Add(time.Duration(i) * time.Microsecond)
			e := &kobo.Event{ID: fmt.Sprintf("evt%04d", i), AppID: a.ID, Type: kobo.EventAccountUpdated, AccountID: fmt.Sprintf("acct%04d", i),
				Payload: json.RawMessage(`{}`), CreatedAt: at}
			if err := tx.RecordEvent(ctx, e); err != nil {
				return err
			}
			d := &kobo.Delivery{ID: fmt.Sprintf("dlv%04d", i), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type, AppID: a.ID, AccountID: e.AccountID,
				Status: kobo.DeliveryPending, NextAttemptAt: &at, CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	now := T0.Add(time.Second)
	var mu sync.Mutex
	seen := map[string][]string{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			worker := fmt.Sprint("w", w)
			for {
				var got []*kobo.Delivery
				err := s.Update(ctx, func(tx kobo.Tx) error {
					var err error
					got, err = tx.ClaimDeliveries(ctx, worker, 2, now, time.Hour)
					return err
				})
				if kobo.ErrorCode(err) == kobo.EUNAVAILABLE {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID] = append(seen[d.ID], worker)
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if len(seen) != total {
		t.Errorf("claimed %d distinct deliveries, want %d", len(seen), total)
	}
	dups := 0
	for id, by := range seen {
		if len(by) != 1 {
			dups++
			if dups <= 5 {
				t.Errorf("delivery %s claimed %d times (by %v) under one lease", id, len(by), by)
			}
		}
	}
	if dups > 0 {
		t.Errorf("%d of %d deliveries claimed more than once", dups, total)
	}
}

// testRefreshStats: refreshing statistics works on a fresh store and is
// a no-op when nothing changed since.
func testRefreshStats(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	if _, err := s.RefreshStats(ctx); err != nil {
		t.Fatal(err)
	}
	if ran, err := s.RefreshStats(ctx); err != nil || ran {
		t.Fatalf("second RefreshStats = %v, %v; want nothing to do", ran, err)
	}
}
