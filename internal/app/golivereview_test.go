package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

var adaBusiness = kobo.BusinessDetails{LegalName: "Ada Lending Ltd", RegistrationNumber: "RC 1234567", Country: "ng", Website: "https://ada.ng",
	ContactEmail: "Compliance@Ada.ng", UseCase: "Affordability checks for personal loans"}

// TestGoLiveUnderReview: under the review policy an app cannot simply
// switch to live; it submits business details, gets live keys that are
// refused while pending and after a rejection (whose reason the partner
// sees), and that work once the operator approves. Each step is audited.
func TestGoLiveUnderReview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "review@ada.ng")
	name := "loans"
	a, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if pol, set, err := b.svc.GoLivePolicy(ctx); err != nil || pol != kobo.GoLivePolicyAutomatic || set != nil {
		t.Fatalf("default policy = %q %v %v", pol, set, err)
	}
	if err := b.svc.SetGoLivePolicy(ctx, "sometimes"); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Errorf("bad policy: %v", err)
	}
	if err := b.svc.SetGoLivePolicy(ctx, kobo.GoLivePolicyReview); err != nil {
		t.Fatal(err)
	}
	live := true
	_, err = b.svc.UpdateApp(ctx, p.ID, a.App.ID, app.AppInput{Live: &live})
	if e := code(t, err, kobo.ECONFLICT); !strings.Contains(e.Message, "business details") {
		t.Errorf("switching to live without review: %v", err)
	}
	if _, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name, Live: &live}); kobo.ErrorCode(err) != kobo.ECONFLICT {
		t.Errorf("creating a live app under review: %v", err)
	}
	bad := adaBusiness
	bad.Country, bad.Website = "Nigeria", "ada"
	_, _, err = b.svc.GoLive(ctx, p.ID, a.App.ID, bad)
	if e := code(t, err, kobo.EINVALID); e.Fields["country"] == "" || e.Fields["website"] == "" {
		t.Errorf("bad details: %+v", e)
	}
	d, r, err := b.svc.GoLive(ctx, p.ID, a.App.ID, adaBusiness)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != kobo.GoLivePending || r.Country != "NG" || r.ContactEmail != "compliance@ada.ng" || !d.App.Live {
		t.Fatalf("submitted: %+v, app live %v", r, d.App.Live)
	}
	lk := d.SecretKeys[kobo.ModeLive].Reveal()
	_, err = b.svc.AuthenticateKey(ctx, lk, kobo.SecretKey)
	if e := code(t, err, kobo.EFORBIDDEN); !strings.Contains(e.Message, "waiting for the review") {
		t.Errorf("live key while pending: %v", err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, a.SecretKeys[kobo.ModeTest].Reveal(), kobo.SecretKey); err != nil {
		t.Errorf("sandbox key while pending: %v", err)
	}
	q, err := b.svc.PendingGoLives(ctx)
	if err != nil || len(q) != 1 || q[0].App.ID != a.App.ID || q[0].LegalName != "Ada Lending Ltd" || q[0].Partner.Email != p.Email {
		t.Fatalf("queue = %+v, %v", q, err)
	}
	if _, err := b.svc.DecideGoLive(ctx, a.App.ID, false, " "); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Errorf("rejecting without a reason: %v", err)
	}
	if _, err := b.svc.DecideGoLive(ctx, a.App.ID, false, "registration number not found"); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.AuthenticateKey(ctx, lk, kobo.SecretKey)
	if e := code(t, err, kobo.EFORBIDDEN); !strings.Contains(e.Message, "registration number not found") {
		t.Errorf("live key after rejection: %v", err)
	}
	if got, _ := b.svc.GoLiveReview(ctx, p.ID, a.App.ID); got.Reason != "registration number not found" || got.Status != kobo.GoLiveRejected {
		t.Errorf("the partner's view: %+v", got)
	}
	// corrected and submitted again: pending, the same keys
	fixed := adaBusiness
	fixed.RegistrationNumber = "RC 7654321"
	if _, r, err = b.svc.GoLive(ctx, p.ID, a.App.ID, fixed); err != nil || r.Status != kobo.GoLivePending {
		t.Fatalf("resubmission: %+v %v", r, err)
	}
	if _, err := b.svc.DecideGoLive(ctx, a.App.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, lk, kobo.SecretKey); err != nil {
		t.Errorf("live key after approval: %v", err)
	}
	if _, err := b.svc.DecideGoLive(ctx, a.App.ID, false, "changed my mind"); kobo.ErrorCode(err) != kobo.ECONFLICT {
		t.Errorf("rejecting an approved app: %v", err)
	}
	if q, _ := b.svc.PendingGoLives(ctx); len(q) != 0 {
		t.Errorf("queue after approval = %+v", q)
	}
	log, err := b.svc.AuditLog(ctx, p.ID, app.AuditQuery{AppID: a.App.ID, Action: "golive."})
	if err != nil || len(log) != 4 {
		t.Fatalf("audit = %d lines, %v; want submitted, rejected, submitted, approved", len(log), err)
	}
	// the test clock stands still, so lines are compared as a set
	seen := map[string]int{}
	for _, l := range log {
		seen[l.Action]++
		if l.Action == app.AuditGoLiveRejected && (l.Detail != "registration number not found" || l.Source != "operator") {
			t.Errorf("rejection audited as %+v", l)
		}
	}
	if seen[app.AuditGoLiveSubmitted] != 2 || seen[app.AuditGoLiveRejected] != 1 || seen[app.AuditGoLiveApproved] != 1 {
		t.Errorf("audit actions = %v", seen)
	}
}

// TestGoLiveAutomaticNeedsNoDetails: the default policy switches at once,
// and a review left pending from a review period is settled when the
// partner switches under automatic.
func TestGoLiveAutomaticNeedsNoDetails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "auto@ada.ng")
	name := "loans"
	a, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	d, r, err := b.svc.GoLive(ctx, p.ID, a.App.ID, kobo.BusinessDetails{})
	if err != nil || r != nil || !d.App.Live {
		t.Fatalf("automatic go-live: %+v %+v %v", d, r, err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, d.SecretKeys[kobo.ModeLive].Reveal(), kobo.SecretKey); err != nil {
		t.Errorf("live key: %v", err)
	}

	a2, _ := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err := b.svc.SetGoLivePolicy(ctx, kobo.GoLivePolicyReview); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.svc.GoLive(ctx, p.ID, a2.App.ID, adaBusiness); err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := b.svc.UpdateApp(ctx, p.ID, a2.App.ID, app.AppInput{Live: &off}); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.SetGoLivePolicy(ctx, kobo.GoLivePolicyAutomatic); err != nil {
		t.Fatal(err)
	}
	d2, _, err := b.svc.GoLive(ctx, p.ID, a2.App.ID, kobo.BusinessDetails{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, d2.SecretKeys[kobo.ModeLive].Reveal(), kobo.SecretKey); err != nil {
		t.Errorf("live key after switching under automatic: %v", err)
	}
	if r, _ := b.svc.GoLiveReview(ctx, p.ID, a2.App.ID); r.Status != kobo.GoLiveApproved || r.DecidedBy != "automatic policy" {
		t.Errorf("settled review = %+v", r)
	}
}
