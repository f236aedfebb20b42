package webhook_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/webhook"
)

// emitMode records one event of the given mode (test or live) for app a,
// with its delivery.
func emitMode(t *testing.T, s kobo.Store, a *kobo.App, live bool) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx kobo.Tx) error {
		now := time.Now().UTC()
		e := &kobo.Event{ID: kobo.NewID(now) + kobo.RandomToken(6), AppID: a.ID, Type: kobo.EventWebhookTest, Live: live, Payload: json.RawMessage(`{}`), CreatedAt: now}
		if err := tx.RecordEvent(ctx, e); err != nil {
			return err
		}
		return tx.CreateDelivery(ctx, &kobo.Delivery{ID: kobo.NewID(now) + kobo.RandomToken(6), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type,
			AppID: a.ID, Live: live, Status: kobo.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGuardFollowsTheAppNotTheEvent: whether a POST may reach a private
// address depends on the app that owns the URL (a live app never may) and
// on the operator's switch for sandbox apps, never on the mode of the
// event: a test-mode event of a live app (webhooks/test?mode=test, a
// replay with mode test, a sandbox fire) is dialled through the guard.
func TestGuardFollowsTheAppNotTheEvent(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for _, c := range []struct {
		name             string
		appLive, evLive  bool
		sandboxPrivate   bool
		wantAllowPrivate bool
	}{
		{"live app, test event", true, false, false, false},
		{"live app, test event, private allowed for sandbox", true, false, true, false},
		{"live app, live event", true, true, true, false},
		{"sandbox app, private not allowed", false, false, false, false},
		{"sandbox app, private allowed", false, false, true, true},
	} {
		// one store for every case (a store is the slow part under -race);
		// each case has its own app and its own dispatcher
		a := appWithHook(t, s, "http://127.0.0.1:1/hooks")
		a.Live = c.appLive
		if err := s.Update(context.Background(), func(tx kobo.Tx) error { return tx.UpdateApp(context.Background(), a) }); err != nil {
			t.Fatal(err)
		}
		emitMode(t, s, a, c.evLive)
		var mu sync.Mutex
		var got []bool
		d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Poll: 10 * time.Millisecond, SandboxPrivate: c.sandboxPrivate,
			Send: func(ctx context.Context, m webhook.Message) webhook.Result {
				mu.Lock()
				got = append(got, m.AllowPrivate)
				mu.Unlock()
				return webhook.Result{StatusCode: 200}
			}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		d.Notify()
		waitFor(t, c.name+": the attempt", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 })
		cancel()
		<-done
		if len(got) != 1 || got[0] != c.wantAllowPrivate {
			t.Errorf("%s: AllowPrivate = %v, want [%v]", c.name, got, c.wantAllowPrivate)
		}
	}
}

// TestBlockedAttemptsLookAlike: with the guard on, a sandbox app's
// delivery to a port that answers, a closed port and an unreachable
// private host all end with the same error text, no status and no
// response body, so the delivery log is no port scanner and no way to
// read an internal service's reply.
func TestBlockedAttemptsLookAlike(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var hits sync.Map
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		http.Error(w, "method not allowed: internal admin", http.StatusMethodNotAllowed)
	}))
	defer open.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/closed"
	l.Close()
	targets := []string{open.URL + "/metrics", closed, "http://10.255.255.1:81/unreachable", "http://[::ffff:127.0.0.1]:" + portOf(open.URL) + "/mapped"}
	var apps []*kobo.App
	for _, u := range targets {
		a := appWithHook(t, s, u)
		emitMode(t, s, a, false)
		apps = append(apps, a)
	}
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: webhook.NewClient(2 * time.Second).Send, MaxAttempts: 1, Poll: 10 * time.Millisecond})
	run(t, d)
	d.Notify()
	var errs []string
	for i, a := range apps {
		waitFor(t, "the delivery to "+targets[i]+" to fail", func() bool {
			list, _ := deliveries(t, s, a.ID)
			return len(list) == 1 && list[0].Status == kobo.DeliveryFailed
		})
		list, _ := deliveries(t, s, a.ID)
		var atts []*kobo.DeliveryAttempt
		if err := s.View(context.Background(), func(tx kobo.Tx) error {
			var err error
			atts, err = tx.DeliveryAttempts(context.Background(), list[0].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(atts) != 1 {
			t.Fatalf("%s: %d attempts", targets[i], len(atts))
		}
		at := atts[0]
		if at.StatusCode != 0 || at.ResponseBody != "" || list[0].LastStatusCode != 0 {
			t.Errorf("%s: attempt kept status %d and body %q", targets[i], at.StatusCode, at.ResponseBody)
		}
		errs = append(errs, at.Error)
	}
	for i := range errs {
		if errs[i] != errs[0] || errs[i] == "" {
			t.Fatalf("errors differ by target, which tells an open port from a closed one: %q", errs)
		}
	}
	if _, ok := hits.Load("/metrics"); ok {
		t.Fatal("the guarded client reached the loopback server")
	}
}

func portOf(u string) string {
	_, p, _ := net.SplitHostPort(u[len("http://"):])
	return p
}
