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

// TestRunsKeepOrderAndTheAppCap: with more accounts waiting than an app
// may have POSTs in flight, the claimed runs wait in the dispatcher and go
// as slots are answered: never more than PerApp at once, each account's
// events in order, each event once, and an endpoint failing mid-run hands
// the rest of the run back instead of holding it (the retry comes later,
// the events after it still arrive in order).
func TestRunsKeepOrderAndTheAppCap(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var mu sync.Mutex
	inflight, most := 0, 0
	got := map[string][]string{} // account → event ids in arrival order
	failOnce := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inflight++
		most = max(most, inflight)
		mu.Unlock()
		time.Sleep(time.Millisecond) // let POSTs overlap
		mu.Lock()
		defer mu.Unlock()
		inflight--
		id := r.Header.Get("webhook-id")
		if !failOnce[id] && len(failOnce) < 3 {
			failOnce[id] = true
			http.Error(w, "not now", 503)
			return
		}
		got[id] = append(got[id], "ok")
		w.WriteHeader(204)
	}))
	t.Cleanup(srv.Close)
	a := appWithHook(t, s, srv.URL)
	order := map[string][]string{}
	var all []string
	for i := 0; i < 6; i++ {
		acct := fmt.Sprint("acct", i)
		order[acct] = emit(t, s, a, acct, 12)
		all = append(all, order[acct]...)
	}
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, PerApp: 2, Concurrency: 64,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond }, Poll: 20 * time.Millisecond})
	run(t, d)
	d.Notify()
	waitFor(t, "every event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(all)
	})
	// The receiver's 204 reaches the test before the dispatcher has written
	// the attempt back, so wait for the store too before reading it.
	ctx := context.Background()
	waitFor(t, "every delivery recorded as succeeded", func() bool {
		var ds []*kobo.Delivery
		if err := s.View(ctx, func(tx kobo.Tx) error {
			var err error
			ds, err = tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, Status: kobo.DeliverySucceeded, Limit: 1000})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return len(ds) == len(all)
	})
	mu.Lock()
	defer mu.Unlock()
	if most > 2 {
		t.Errorf("%d POSTs of one app in flight at once, PerApp is 2", most)
	}
	for id, oks := range got {
		if len(oks) != 1 {
			t.Errorf("event %s answered 2xx %d times", id, len(oks))
		}
	}
	// order: the attempt log's first attempt of each delivery follows the
	// account's event order, a retried one excepted
	for acct, ids := range order {
		var ds []*kobo.Delivery
		if err := s.View(ctx, func(tx kobo.Tx) error {
			var err error
			ds, err = tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, AccountID: acct, Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		first := map[string]time.Time{}
		for _, dl := range ds {
			var atts []*kobo.DeliveryAttempt
			if err := s.View(ctx, func(tx kobo.Tx) error {
				var err error
				atts, err = tx.DeliveryAttempts(ctx, dl.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if dl.Status != kobo.DeliverySucceeded || len(atts) == 0 {
				t.Fatalf("delivery %s: %s after %d attempts", dl.ID, dl.Status, len(atts))
			}
			first[dl.EventID] = atts[0].AttemptedAt
		}
		for i := 1; i < len(ids); i++ {
			if first[ids[i]].Before(first[ids[i-1]]) {
				t.Errorf("%s: event %d was first attempted before event %d", acct, i, i-1)
			}
		}
	}
}
