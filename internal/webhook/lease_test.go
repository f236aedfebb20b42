package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/webhook"
)

// stepClock is a clock the receiver moves: each answered POST takes a
// quarter of the lease, whatever the machine is doing. It also runs at
// the wall clock's pace between POSTs: a run handed back because its app
// had no free slot is due a second later, and on a clock that moved only
// with POSTs, a run handed back after the last one in flight had been
// answered never came due (40 of 48 delivered, seen under load). Real
// time adds to each POST's share, never subtracts, and a busy machine
// adds seconds against the half lease (30 s) a run may use.
type stepClock struct {
	mu    sync.Mutex
	t     time.Time
	since time.Time // wall time at t
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t.Add(time.Since(c.since))
}
func (c *stepClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestNoPOSTOutlivesItsLease: every POST starts while the dispatcher still
// holds its delivery's lease. A claimed run that waits for its app's slot
// keeps the time it was claimed: once half its lease has gone it goes back
// rather than start, or another replica, seeing the lease lapse, would
// POST the same events again. Each POST here takes a quarter of the lease
// (on the dispatcher's own clock, the one the lease is written with), one
// run may be in flight per app, and six accounts' runs queue behind it.
func TestNoPOSTOutlivesItsLease(t *testing.T) {
	t.Parallel()
	s := setup(t)
	const lease = time.Minute
	clock := &stepClock{}
	var t0 time.Time
	ctx := context.Background()
	var mu sync.Mutex
	var late []string
	got := map[string]int{}
	var a *kobo.App
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("webhook-id")
		now := clock.Now()
		var ds []*kobo.Delivery
		s.View(ctx, func(tx kobo.Tx) error {
			var err error
			ds, err = tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, Limit: 1000})
			return err
		})
		mu.Lock()
		for _, d := range ds {
			if d.EventID == id && (d.LockedUntil == nil || !now.Before(*d.LockedUntil)) {
				late = append(late, fmt.Sprintf("%s at %v, lease until %v", id, now.Sub(t0), d.LockedUntil))
			}
		}
		got[id]++
		mu.Unlock()
		clock.add(lease / 4)
		w.WriteHeader(204)
	}))
	t.Cleanup(srv.Close)
	a = appWithHook(t, s, srv.URL)
	var all []string
	for i := range 6 {
		all = append(all, emit(t, s, a, fmt.Sprint("acct", i), webhook.RunLength)...)
	}
	t0 = time.Now().UTC() // after the events, which are due at once
	clock.t, clock.since = t0, time.Now()
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, Clock: clock, Lease: lease, PerApp: 1, Concurrency: 64,
		Backoff: func(int) time.Duration { return time.Millisecond }, Poll: 5 * time.Millisecond})
	run(t, d)
	d.Notify()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, id := range all {
			if got[id] > 0 {
				n++
			}
		}
		mu.Unlock()
		if n == len(all) {
			break
		}
		if time.Now().After(deadline) {
			var ds []*kobo.Delivery
			s.View(ctx, func(tx kobo.Tx) error {
				ds, _ = tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, Limit: 1000})
				return nil
			})
			for _, d := range ds {
				if got[d.EventID] == 0 {
					t.Logf("undelivered: %s %v next %v locked %v now %v", d.Status, d.Attempts, d.NextAttemptAt, d.LockedUntil, clock.Now())
					break
				}
			}
			t.Fatalf("%d of %d events delivered", n, len(all))
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(late) > 0 {
		t.Errorf("%d of %d POSTs started after their lease had lapsed; the first: %v", len(late), len(all), late[:min(3, len(late))])
	}
}
