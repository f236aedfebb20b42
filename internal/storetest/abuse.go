package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testIdempotencyModes: one app's sandbox and live requests never share an
// Idempotency-Key record.
func testIdempotencyModes(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	insert := func(live bool, hash string) *kobo.IdempotencyRecord {
		t.Helper()
		var ex *kobo.IdempotencyRecord
		update(t, s, func(tx kobo.Tx) error {
			var err error
			ex, err = tx.InsertIdempotency(ctx, &kobo.IdempotencyRecord{AppID: "app", Live: live, Key: "k", RequestHash: hash, CreatedAt: T0})
			return err
		})
		return ex
	}
	if ex := insert(false, "test"); ex != nil {
		t.Fatalf("first sandbox insert found %+v", ex)
	}
	update(t, s, func(tx kobo.Tx) error {
		return tx.CompleteIdempotency(ctx, "app", false, "k", 200, []byte("sandbox"), "text/plain")
	})
	if ex := insert(true, "live"); ex != nil {
		t.Fatalf("the live request with the sandbox request's key found the sandbox record %+v", ex)
	}
	if ex := insert(true, "live"); ex == nil || !ex.Live || ex.Status != 0 || ex.RequestHash != "live" {
		t.Fatalf("live record = %+v, want the live one in flight", ex)
	}
	if ex := insert(false, "test"); ex == nil || ex.Live || ex.Status != 200 || string(ex.Body) != "sandbox" {
		t.Fatalf("sandbox record = %+v, want the completed sandbox one", ex)
	}
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteIdempotency(ctx, "app", true, "k") })
	if ex := insert(false, "test"); ex == nil {
		t.Fatal("deleting the live record deleted the sandbox one")
	}
	err := s.Update(ctx, func(tx kobo.Tx) error { return tx.CompleteIdempotency(ctx, "other", true, "k", 200, nil, "") })
	wantCode(t, err, kobo.ENOTFOUND)
}

// testThrottles: counters add up per key and window, reading does not
// count, and pruning drops expired windows only.
func testThrottles(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	w1, w2 := T0.Truncate(time.Minute), T0.Truncate(time.Minute).Add(time.Minute)
	hit := func(key string, w time.Time) int {
		t.Helper()
		var n int
		update(t, s, func(tx kobo.Tx) error {
			var err error
			n, err = tx.HitThrottle(ctx, key, w, w.Add(time.Minute))
			return err
		})
		return n
	}
	hits := func(key string, w time.Time) int {
		t.Helper()
		var n int
		view(t, s, func(tx kobo.Tx) error {
			var err error
			n, err = tx.ThrottleHits(ctx, key, w)
			return err
		})
		return n
	}
	if n := hits("a", w1); n != 0 {
		t.Fatalf("unknown key has %d hits", n)
	}
	for i := 1; i <= 3; i++ {
		if n := hit("a", w1); n != i {
			t.Fatalf("hit %d returned %d", i, n)
		}
	}
	if n := hits("a", w1); n != 3 {
		t.Fatalf("ThrottleHits = %d, want 3 (reading must not count)", n)
	}
	if n := hit("b", w1); n != 1 {
		t.Fatalf("another key's first hit = %d", n)
	}
	if n := hit("a", w2); n != 1 {
		t.Fatalf("the next window's first hit = %d", n)
	}
	var pruned int
	update(t, s, func(tx kobo.Tx) error {
		var err error
		pruned, err = tx.PruneThrottles(ctx, w2)
		return err
	})
	if pruned != 0 {
		t.Fatalf("pruned %d counters that expire at the cutoff", pruned)
	}
	update(t, s, func(tx kobo.Tx) error {
		var err error
		pruned, err = tx.PruneThrottles(ctx, w2.Add(time.Second))
		return err
	})
	if pruned != 2 || hits("a", w1) != 0 || hits("a", w2) != 1 {
		t.Fatalf("pruned %d; a@w1=%d a@w2=%d", pruned, hits("a", w1), hits("a", w2))
	}
}
