package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// An endpoint that keeps failing is marked failing at its first failure,
// disabled once it has failed for DisableAfter, and cleared by the first
// 2xx; a healthy endpoint answering 2xx changes nothing.
func TestWebhookHealthLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "hooks@ada.ng")
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("Loans")})
	if err != nil {
		t.Fatal(err)
	}
	id := d.App.ID
	health := func() (*time.Time, *time.Time) {
		t.Helper()
		var a *kobo.App
		if err := b.store.View(ctx, func(tx kobo.Tx) error { var err error; a, err = tx.App(ctx, id); return err }); err != nil {
			t.Fatal(err)
		}
		return a.WebhookFailingSince, a.WebhookDisabledAt
	}
	record := func(ok, wantDisabled bool) {
		t.Helper()
		disabled, err := b.svc.RecordWebhookHealth(ctx, id, ok)
		if err != nil || disabled != wantDisabled {
			t.Fatalf("RecordWebhookHealth(ok=%v) = %v, %v; want disabled=%v", ok, disabled, err, wantDisabled)
		}
	}

	record(true, false)
	if f, dis := health(); f != nil || dis != nil {
		t.Fatalf("healthy endpoint: failing %v disabled %v", f, dis)
	}
	record(false, false)
	first := b.clock.Now()
	if f, dis := health(); f == nil || !f.Equal(first) || dis != nil {
		t.Fatalf("after a failure: failing %v disabled %v, want failing since %v", f, dis, first)
	}
	b.clock.Add(app.DisableAfter - time.Minute)
	record(false, false) // not long enough yet, and the start of the failure is kept
	if f, dis := health(); f == nil || !f.Equal(first) || dis != nil {
		t.Fatalf("still failing: failing %v disabled %v", f, dis)
	}
	b.clock.Add(time.Minute)
	record(false, true)
	if f, dis := health(); f == nil || dis == nil {
		t.Fatalf("after %v failing: failing %v disabled %v", app.DisableAfter, f, dis)
	}
	record(false, false) // disabled once, reported once
	record(true, false)
	if f, dis := health(); f != nil || dis != nil {
		t.Fatalf("after a 2xx: failing %v disabled %v, want both cleared", f, dis)
	}

	// an app that is gone is an error, not a silent no
	if _, err := b.svc.RecordWebhookHealth(ctx, "app_missing", true); kobo.ErrorCode(err) != kobo.ENOTFOUND {
		t.Fatalf("missing app: %v", err)
	}
}
