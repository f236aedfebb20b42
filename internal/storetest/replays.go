package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func testReplays(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "replay@b.ng").ID)
	other := NewApp(t, s, NewPartner(t, s, "replay2@b.ng").ID)
	start := func(appID string, at time.Time) bool {
		t.Helper()
		var ok bool
		update(t, s, func(tx kobo.Tx) error {
			var err error
			ok, err = tx.StartReplay(ctx, appID, at)
			return err
		})
		return ok
	}
	r1 := T0.Add(time.Hour)
	if !start(a.ID, r1) {
		t.Fatal("the first replay of an app was refused")
	}
	// the replay's deliveries: created at its start
	d1 := newDelivery(t, s, recordEvent(t, s, a.ID, "acct1", kobo.EventAccountUpdated, r1))
	d2 := newDelivery(t, s, recordEvent(t, s, a.ID, "acct2", kobo.EventAccountUpdated, r1))
	// an ordinary delivery, untried, created later, is no replay's
	newDelivery(t, s, recordEvent(t, s, a.ID, "acct3", kobo.EventAccountUpdated, r1.Add(time.Minute)))
	if start(a.ID, r1.Add(time.Second)) {
		t.Fatal("a second replay started while the first had untried deliveries")
	}
	if !start(other.ID, r1.Add(time.Second)) {
		t.Fatal("another app's replay was refused")
	}
	var claimed []*kobo.Delivery
	update(t, s, func(tx kobo.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, "w", 100, r1.Add(2*time.Minute), time.Minute)
		return err
	})
	if len(claimed) < 2 {
		t.Fatalf("claimed %d deliveries", len(claimed))
	}
	if start(a.ID, r1.Add(2*time.Second)) {
		t.Fatal("a second replay started while the first's deliveries were being attempted")
	}
	retry := r1.Add(time.Hour)
	var outs []kobo.DeliveryOutcome
	for i, d := range []*kobo.Delivery{d1, d2} {
		outs = append(outs, kobo.DeliveryOutcome{DeliveryID: d.ID, Status: kobo.DeliveryPending, NextAttemptAt: &retry,
			Attempt: kobo.DeliveryAttempt{ID: "rat" + string(rune('a'+i)), Attempt: 1, AttemptedAt: r1, URL: "https://x", Error: "timed out"}})
	}
	// an untried delivery of another account, outside the replay, stays
	update(t, s, func(tx kobo.Tx) error { return tx.FinishDeliveries(ctx, "w", outs, r1.Add(3*time.Minute)) })
	r2 := r1.Add(4 * time.Minute)
	if !start(a.ID, r2) {
		t.Fatal("once every delivery of the replay was tried (retries pending), the next replay was refused")
	}
	// a replay that created nothing holds nothing
	if !start(a.ID, r2.Add(time.Second)) {
		t.Fatal("a replay that queued nothing blocked the next")
	}

	// concurrent replays of one app: the second waits for the first and
	// sees its deliveries
	c := NewApp(t, s, NewPartner(t, s, "replay3@b.ng").ID)
	r3 := T0.Add(2 * time.Hour)
	holding, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		firstDone <- s.Update(ctx, func(tx kobo.Tx) error {
			ok, err := tx.StartReplay(ctx, c.ID, r3)
			if err != nil || !ok {
				close(holding)
				return err
			}
			e := &kobo.Event{ID: kobo.NewID(r3) + kobo.RandomToken(4), AppID: c.ID, Type: kobo.EventAccountUpdated, AccountID: "acct", Payload: []byte(`{}`), CreatedAt: r3}
			if err := tx.RecordEvent(ctx, e); err != nil {
				close(holding)
				return err
			}
			err = tx.CreateDelivery(ctx, &kobo.Delivery{ID: kobo.NewID(r3) + kobo.RandomToken(4), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type, AppID: c.ID,
				AccountID: "acct", Status: kobo.DeliveryPending, NextAttemptAt: &r3, CreatedAt: r3, UpdatedAt: r3})
			close(holding)
			<-release
			return err
		})
	}()
	<-holding
	second := make(chan bool, 1)
	go func() {
		var ok bool
		err := s.Update(ctx, func(tx kobo.Tx) error {
			var err error
			ok, err = tx.StartReplay(ctx, c.ID, r3.Add(time.Second))
			return err
		})
		if err != nil {
			t.Error(err)
		}
		second <- ok
	}()
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if <-second {
		t.Fatal("two replays of one app started at once")
	}
}
