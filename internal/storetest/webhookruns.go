package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testDeliveryRuns: a run is the head and the account's next untried
// deliveries in event order, cut before one in flight or waiting for a
// retry; a retry goes alone; nothing claimed in a run is claimed again
// while its lease holds; a handed-back rest is claimable again.
func testDeliveryRuns(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "runs@b.ng").ID)
	var ds []*kobo.Delivery
	for i := 0; i < 6; i++ {
		ds = append(ds, newDelivery(t, s, recordEvent(t, s, a.ID, "acct1", kobo.EventAccountUpdated, T0)))
	}
	other := newDelivery(t, s, recordEvent(t, s, a.ID, "acct2", kobo.EventAccountUpdated, T0))
	claim := func(worker string, n, runLen int, now time.Time) [][]string {
		t.Helper()
		var got [][]*kobo.Delivery
		update(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ClaimDeliveryRuns(ctx, worker, n, runLen, now, time.Hour)
			return err
		})
		var out [][]string
		for _, run := range got {
			var ids []string
			for _, d := range run {
				if d.Event == nil || d.Status != kobo.DeliveryDelivering || d.LockedBy != worker {
					t.Fatalf("claimed %+v: want it delivering for %s with its event", d, worker)
				}
				ids = append(ids, d.ID)
			}
			out = append(out, ids)
		}
		slices.SortFunc(out, func(x, y []string) int { return len(y) - len(x) })
		return out
	}
	finish := func(id string, st kobo.DeliveryStatus, next *time.Time) {
		t.Helper()
		update(t, s, func(tx kobo.Tx) error {
			return tx.FinishDeliveries(ctx, "w", []kobo.DeliveryOutcome{{DeliveryID: id, Status: st, NextAttemptAt: next,
				Attempt: kobo.DeliveryAttempt{ID: kobo.RandomToken(8), Attempt: 1, AttemptedAt: T0, URL: "https://x", StatusCode: 200}}}, T0)
		})
	}
	want := func(got [][]string, runs ...[]string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(runs) {
			t.Fatalf("claimed runs %v, want %v", got, runs)
		}
	}
	id := func(ds ...*kobo.Delivery) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	// runs of three: acct1's first three, acct2's one
	want(claim("w", 100, 3, T0), id(ds[0], ds[1], ds[2]), id(other))
	want(claim("w", 100, 3, T0)) // all in flight or held back
	// the first failed and waits for a retry, the second and third went:
	// the next run starts at the fourth
	retry := T0.Add(time.Minute)
	finish(ds[0].ID, kobo.DeliveryPending, &retry)
	finish(ds[1].ID, kobo.DeliverySucceeded, nil)
	finish(ds[2].ID, kobo.DeliverySucceeded, nil)
	want(claim("w", 100, 2, T0), id(ds[3], ds[4]))
	// the retry is due and goes alone; the sixth waits for the fifth
	want(claim("w", 100, 8, retry), id(ds[0]))
	// handed back, the fifth and the sixth form the next run once the
	// fourth and the retry (in flight, it holds later ones back) are through
	update(t, s, func(tx kobo.Tx) error { return tx.ReleaseDeliveries(ctx, "w", []string{ds[4].ID}, T0) })
	finish(ds[3].ID, kobo.DeliverySucceeded, nil)
	want(claim("w", 100, 8, retry))
	finish(ds[0].ID, kobo.DeliverySucceeded, nil)
	want(claim("w", 100, 8, retry), id(ds[4], ds[5]))

	// contention: workers claiming runs at once never share a delivery
	b := NewApp(t, s, NewPartner(t, s, "runs2@b.ng").ID)
	for acct := 0; acct < 20; acct++ {
		for i := 0; i < 5; i++ {
			newDelivery(t, s, recordEvent(t, s, b.ID, fmt.Sprint("acct", acct), kobo.EventAccountUpdated, T0))
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(worker string) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				var got [][]*kobo.Delivery
				err := s.Update(ctx, func(tx kobo.Tx) error {
					var err error
					got, err = tx.ClaimDeliveryRuns(ctx, worker, 6, 3, T0, time.Hour)
					return err
				})
				if kobo.ErrorCode(err) == kobo.EUNAVAILABLE {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, run := range got {
					for _, d := range run {
						if prev, ok := seen[d.ID]; ok {
							t.Errorf("delivery %s claimed by %s and %s", d.ID, prev, worker)
						}
						seen[d.ID] = worker
					}
				}
				mu.Unlock()
			}
		}(fmt.Sprint("w", w))
	}
	wg.Wait()
}
