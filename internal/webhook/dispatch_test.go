package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
	"github.com/kobo-oss/kobo/internal/storetest"
	"github.com/kobo-oss/kobo/internal/webhook"
)

// plainSend POSTs without signing; the dispatcher's job is scheduling.
func plainSend(ctx context.Context, m webhook.Message) webhook.Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", m.URL, bytes.NewReader(m.Body))
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("mono-webhook-secret", m.Secret.Reveal())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return webhook.Result{Err: err, Latency: time.Since(start)}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	return webhook.Result{StatusCode: res.StatusCode, Body: string(b), Latency: time.Since(start)}
}

type receiver struct {
	mu     sync.Mutex
	got    []string // event ids in arrival order
	bodies map[string]map[string]any
	fail   int // answer 500 to this many requests first
	delay  time.Duration
	hold   chan struct{} // when set, every request waits until it is closed
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{bodies: map[string]map[string]any{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(r.delay)
		if r.hold != nil {
			<-r.hold
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			http.Error(w, "boom", 500)
			return
		}
		var m map[string]any
		json.NewDecoder(req.Body).Decode(&m)
		id := req.Header.Get("webhook-id")
		r.got = append(r.got, id)
		r.bodies[id] = m
		w.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

func setup(t *testing.T) kobo.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func appWithHook(t *testing.T, s kobo.Store, url string) *kobo.App {
	a := storetest.NewApp(t, s, storetest.NewPartner(t, s, kobo.RandomToken(8)+"@b.ng").ID)
	a.WebhookURL = url
	if err := s.Update(context.Background(), func(tx kobo.Tx) error { return tx.UpdateApp(context.Background(), a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

// emit records n events for an account with their deliveries.
func emit(t *testing.T, s kobo.Store, a *kobo.App, account string, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	err := s.Update(ctx, func(tx kobo.Tx) error {
		for i := 0; i < n; i++ {
			now := time.Now().UTC()
			e := &kobo.Event{ID: kobo.NewID(now) + kobo.RandomToken(6), AppID: a.ID, Type: kobo.EventAccountUpdated, AccountID: account,
				Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: now}
			if err := tx.RecordEvent(ctx, e); err != nil {
				return err
			}
			if err := tx.CreateDelivery(ctx, &kobo.Delivery{ID: kobo.NewID(now) + kobo.RandomToken(6), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type,
				AppID: a.ID, AccountID: account, Status: kobo.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func run(t *testing.T, d *webhook.Dispatcher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDispatchOrderRetriesAndBody(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rcv := newReceiver(t)
	a := appWithHook(t, s, rcv.srv.URL)
	ids := emit(t, s, a, "acct1", 40)
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, Backoff: func(int) time.Duration { return 10 * time.Millisecond }, Poll: 20 * time.Millisecond})
	run(t, d)
	d.Notify()
	waitFor(t, "all 40 events", func() bool { return rcv.count() >= 40 })
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.got) != 40 {
		t.Fatalf("received %d deliveries, want 40 (each once)", len(rcv.got))
	}
	for i, id := range ids {
		if rcv.got[i] != id {
			t.Fatalf("delivery %d was event %s, want %s: an account's events arrived out of order", i, rcv.got[i], id)
		}
	}
	b := rcv.bodies[ids[7]]
	if b["event"] != kobo.EventAccountUpdated || b["event_id"] != ids[7] || b["timestamp"] == nil || b["data"].(map[string]any)["n"] != float64(7) {
		t.Fatalf("body = %v", b)
	}
}

// TestDispatchRetries: a receiver that fails for a while gets every event
// once it recovers, and each failure is in the attempt log.
func TestDispatchRetries(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rcv := newReceiver(t)
	rcv.fail = 5
	a := appWithHook(t, s, rcv.srv.URL)
	ids := emit(t, s, a, "acct1", 3)
	ids = append(ids, emit(t, s, a, "acct2", 3)...)
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, Backoff: func(int) time.Duration { return 10 * time.Millisecond }, Poll: 20 * time.Millisecond})
	run(t, d)
	d.Notify()
	waitFor(t, "all events after recovery", func() bool {
		list, _ := deliveries(t, s, a.ID)
		for _, dl := range list {
			if dl.Status != kobo.DeliverySucceeded {
				return false
			}
		}
		return len(list) == len(ids)
	})
	rcv.mu.Lock()
	seen := map[string]int{}
	for _, id := range rcv.got {
		seen[id]++
	}
	rcv.mu.Unlock()
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("event %s received %d times", id, seen[id])
		}
	}
	ctx := context.Background()
	list, _ := deliveries(t, s, a.ID)
	failures := 0
	for _, dl := range list {
		if dl.Status != kobo.DeliverySucceeded || dl.DeliveredAt == nil {
			t.Errorf("delivery = %+v", dl)
		}
		var atts []*kobo.DeliveryAttempt
		s.View(ctx, func(tx kobo.Tx) error { var err error; atts, err = tx.DeliveryAttempts(ctx, dl.ID); return err })
		if len(atts) != dl.Attempts || atts[len(atts)-1].StatusCode != 200 {
			t.Errorf("attempt log = %+v", atts)
		}
		for _, at := range atts {
			if at.StatusCode == 500 {
				failures++
				if at.ResponseBody != "boom\n" || at.Error == "" {
					t.Errorf("failed attempt = %+v", at)
				}
			}
		}
	}
	if failures != 5 {
		t.Fatalf("logged %d failed attempts, want 5", failures)
	}
}

func deliveries(t *testing.T, s kobo.Store, appID string) ([]*kobo.Delivery, error) {
	var list []*kobo.Delivery
	err := s.View(context.Background(), func(tx kobo.Tx) error {
		var err error
		list, err = tx.Deliveries(context.Background(), kobo.DeliveryFilter{AppID: appID, Limit: 1000})
		return err
	})
	return list, err
}

func TestDeadEndpointDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	slow := newReceiver(t)
	// The dead endpoint never answers while the test runs (its requests
	// are held until cleanup), so the healthy app finishing at all proves
	// it was not queued behind it; no wall-clock bound is needed.
	slow.hold = make(chan struct{})
	t.Cleanup(func() { close(slow.hold) })
	fast := newReceiver(t)
	dead := appWithHook(t, s, slow.srv.URL)
	healthy := appWithHook(t, s, fast.srv.URL)
	for i := 0; i < 40; i++ {
		emit(t, s, dead, fmt.Sprint("acct", i), 1) // 40 accounts: no ordering holds them back
	}
	ids := emit(t, s, healthy, "acctH", 20)
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, Concurrency: 24, PerApp: 8, Poll: 20 * time.Millisecond,
		Backoff: func(int) time.Duration { return time.Hour }})
	run(t, d)
	d.Notify()
	waitFor(t, "the healthy app's deliveries", func() bool { return fast.count() >= len(ids) })
	if n := slow.count(); n != 0 {
		t.Fatalf("the dead endpoint answered %d requests; the test needs it silent", n)
	}
}

func TestMaxAttemptsFailsDelivery(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a := appWithHook(t, s, "http://127.0.0.1:1/unreachable")
	emit(t, s, a, "acct", 1)
	var mu sync.Mutex
	var healthCalls []bool
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, MaxAttempts: 3, Poll: 10 * time.Millisecond,
		Backoff: func(int) time.Duration { return 5 * time.Millisecond },
		Health: func(ctx context.Context, app string, ok bool) (bool, error) {
			mu.Lock()
			healthCalls = append(healthCalls, ok)
			mu.Unlock()
			return false, nil
		}})
	run(t, d)
	d.Notify()
	waitFor(t, "the delivery to fail", func() bool {
		list, _ := deliveries(t, s, a.ID)
		return len(list) == 1 && list[0].Status == kobo.DeliveryFailed
	})
	list, _ := deliveries(t, s, a.ID)
	if list[0].Attempts != 3 || list[0].LastError == "" {
		t.Fatalf("failed delivery = %+v", list[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(healthCalls) == 0 || healthCalls[0] {
		t.Fatalf("health calls = %v", healthCalls)
	}
}

// TestShutdownRecordsPOSTsInFlight: when Run's context ends mid-POST, Run
// waits for the answer and records it, so a restart does not send the
// delivery again.
func TestShutdownRecordsPOSTsInFlight(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rcv := newReceiver(t)
	rcv.delay = 300 * time.Millisecond
	a := appWithHook(t, s, rcv.srv.URL)
	emit(t, s, a, "acct1", 1)
	emit(t, s, a, "acct2", 1)
	started := make(chan struct{}, 2)
	send := func(ctx context.Context, m webhook.Message) webhook.Result {
		started <- struct{}{}
		return plainSend(ctx, m)
	}
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: send, Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	d.Notify()
	<-started
	<-started
	cancel()
	<-done
	if rcv.count() != 2 {
		t.Fatalf("received %d, want 2", rcv.count())
	}
	list, _ := deliveries(t, s, a.ID)
	for _, dl := range list {
		if dl.Status != kobo.DeliverySucceeded || dl.LockedBy != "" {
			t.Fatalf("after shutdown: delivery %s is %s (locked by %q), want succeeded and released", dl.ID, dl.Status, dl.LockedBy)
		}
	}
	if len(list) != 2 {
		t.Fatalf("%d deliveries, want 2", len(list))
	}
}

// BenchmarkDispatchBurst: deliveries per second for a queue already
// recorded (32 accounts, so 32 in flight at most), to a local receiver.
func BenchmarkDispatchBurst(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "kobo.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(context.Background(), kobo.SystemClock{}); err != nil {
		b.Fatal(err)
	}
	var got atomicCount
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.add()
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	ctx := context.Background()
	p := &kobo.Partner{ID: "p_bench", Name: "b", Email: "b@b.ng", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	a := &kobo.App{ID: "app_bench", PartnerID: p.ID, Name: "b", WebhookURL: srv.URL, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		return tx.CreateApp(ctx, a)
	}); err != nil {
		b.Fatal(err)
	}
	n := b.N
	err = s.Update(ctx, func(tx kobo.Tx) error {
		for i := 0; i < n; i++ {
			now := time.Now().UTC()
			e := &kobo.Event{ID: kobo.NewID(now) + kobo.RandomToken(6), AppID: a.ID, Type: kobo.EventAccountUpdated, AccountID: fmt.Sprintf("acct%02d", i%32),
				Payload: json.RawMessage(`{"n":1}`), CreatedAt: now}
			if err := tx.RecordEvent(ctx, e); err != nil {
				return err
			}
			if err := tx.CreateDelivery(ctx, &kobo.Delivery{ID: kobo.NewID(now) + kobo.RandomToken(6), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type,
				AppID: a.ID, AccountID: e.AccountID, Status: kobo.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, Poll: 10 * time.Millisecond})
	b.ResetTimer()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(rctx); close(done) }()
	for got.load() < n {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "deliveries/s")
}

type atomicCount struct {
	mu sync.Mutex
	n  int
}

func (c *atomicCount) add()      { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *atomicCount) load() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }
