package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestReplayIsCappedAndOneAtATime: one replay queues at most
// app.MaxReplay events, and an app has one replay in flight at a time
// (until each delivery it queued has been tried once), so replays cannot
// flood an endpoint faster than kobo delivers them.
func TestReplayIsCappedAndOneAtATime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "replay@ada.ng")
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("Loans"), WebhookURL: ptr("https://hooks.ada.ng/kobo")})
	if err != nil {
		t.Fatal(err)
	}
	if app.MaxReplay > 1000 {
		t.Fatalf("MaxReplay = %d, want at most 1,000", app.MaxReplay)
	}
	// MaxReplay events, then one more a minute later
	t0 := b.clock.Now()
	if err := b.store.Update(ctx, func(tx kobo.Tx) error {
		for i := 0; i <= app.MaxReplay; i++ {
			at := t0
			if i == app.MaxReplay {
				at = t0.Add(time.Minute)
			}
			e := &kobo.Event{ID: kobo.NewID(at) + kobo.RandomToken(6), AppID: d.App.ID, Type: kobo.EventAccountUpdated, AccountID: fmt.Sprintf("acct%04d", i),
				Payload: []byte(`{}`), CreatedAt: at}
			if err := tx.RecordEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(2 * time.Minute)
	_, err = b.svc.Replay(ctx, p.ID, d.App.ID, app.ReplayInput{From: t0.Add(-time.Second)})
	code(t, err, kobo.EINVALID)

	// the replay of the last event is in flight until its delivery is tried
	n, err := b.svc.Replay(ctx, p.ID, d.App.ID, app.ReplayInput{From: t0.Add(30 * time.Second)})
	if err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v; want 1", n, err)
	}
	_, err = b.svc.Replay(ctx, p.ID, d.App.ID, app.ReplayInput{From: t0.Add(30 * time.Second)})
	code(t, err, kobo.ECONFLICT)

	// every delivery tried once (retries pending): the next replay may go
	now := b.clock.Now()
	for claimed := -1; claimed != 0; {
		if err := b.store.Update(ctx, func(tx kobo.Tx) error {
			list, err := tx.ClaimDeliveries(ctx, "w", 5000, now, time.Minute)
			if err != nil {
				return err
			}
			claimed = len(list)
			retry := now.Add(time.Hour)
			var outs []kobo.DeliveryOutcome
			for _, dl := range list {
				outs = append(outs, kobo.DeliveryOutcome{DeliveryID: dl.ID, Status: kobo.DeliveryPending, NextAttemptAt: &retry,
					Attempt: kobo.DeliveryAttempt{ID: "a" + dl.ID, DeliveryID: dl.ID, Attempt: 1, AttemptedAt: now, Error: "timed out"}})
			}
			return tx.FinishDeliveries(ctx, "w", outs, now)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := b.svc.Replay(ctx, p.ID, d.App.ID, app.ReplayInput{From: t0.Add(30 * time.Second)}); err != nil || n != 1 {
		t.Fatalf("replay after the first was tried = %d, %v", n, err)
	}
}
