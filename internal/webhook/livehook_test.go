package webhook_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/webhook"
)

// TestDispatchLiveWebhookURL: with a live webhook URL set, live events go
// there and sandbox events to the app's webhook URL; each receiver gets
// only its own mode's events.
func TestDispatchLiveWebhookURL(t *testing.T) {
	t.Parallel()
	s := setup(t)
	sandbox, live := newReceiver(t), newReceiver(t)
	a := appWithHook(t, s, sandbox.srv.URL)
	ctx := context.Background()
	if err := s.Update(ctx, func(tx kobo.Tx) error { return tx.SetLiveWebhookURL(ctx, a.ID, live.srv.URL, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	ids := map[bool][]string{}
	if err := s.Update(ctx, func(tx kobo.Tx) error {
		for i, isLive := range []bool{false, true, false, true, true} {
			now := time.Now().UTC()
			e := &kobo.Event{ID: kobo.NewID(now) + kobo.RandomToken(6), AppID: a.ID, Type: kobo.EventAccountUpdated, AccountID: "acct", Live: isLive,
				Payload: json.RawMessage(`{"n":1}`), CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}
			if err := tx.RecordEvent(ctx, e); err != nil {
				return err
			}
			if err := tx.CreateDelivery(ctx, &kobo.Delivery{ID: kobo.NewID(now) + kobo.RandomToken(6), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type,
				AppID: a.ID, Live: isLive, AccountID: "acct", Status: kobo.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			ids[isLive] = append(ids[isLive], e.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d := webhook.NewDispatcher(webhook.DispatcherConfig{Store: s, Send: plainSend, Backoff: func(int) time.Duration { return 10 * time.Millisecond }, Poll: 20 * time.Millisecond})
	run(t, d)
	d.Notify()
	waitFor(t, "all 5 events", func() bool { return sandbox.count()+live.count() >= 5 })
	for r, want := range map[*receiver][]string{sandbox: ids[false], live: ids[true]} {
		r.mu.Lock()
		got := append([]string(nil), r.got...)
		r.mu.Unlock()
		if len(got) != len(want) {
			t.Fatalf("receiver got %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("receiver got %v, want %v", got, want)
			}
		}
	}
}
