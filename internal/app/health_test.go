package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestInstitutionHealth drives an institution through up, degraded and
// down with scripted bank answers and the injected clock, and checks what
// each kind of failure counts as, the window, the per-app sandbox scope,
// and the operator's note over kobo's own.
func TestInstitutionHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var answer func() (kobo.LoginStep, error)
	var clock *testClock
	bank := scripted(oneAccount, false)
	bank.login = func(kobo.LoginRequest) (kobo.LoginStep, error) { return answer() }
	b := setupConnect(t, bank)
	clock = b.clock
	unavailable := func() (kobo.LoginStep, error) {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "core banking is down"}
	}
	wrongPassword := func() (kobo.LoginStep, error) {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "Invalid login credentials"}
	}
	appKeys := func() (kobo.LoginStep, error) {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankAppCredentials, Message: "invalid secret key"}
	}
	slow := func() (kobo.LoginStep, error) {
		clock.Add(app.HealthSlowCall + time.Second)
		return wrongPassword()
	}
	logins := func(n int, f func() (kobo.LoginStep, error)) {
		t.Helper()
		answer = f
		for range n {
			cs := b.session(t)
			_, _ = b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
		}
		if err := b.svc.FlushBankHealth(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Add(6 * time.Second) // past the snapshot cache of another replica
	}
	status := func() app.InstitutionHealth {
		t.Helper()
		snap, err := b.svc.Health(ctx, false, b.caller.App.ID)
		if err != nil {
			t.Fatal(err)
		}
		return snap.Of(b.inst)
	}
	want := func(what, st string, calls, errs int, note string) app.InstitutionHealth {
		t.Helper()
		h := status()
		if h.Status != st || h.Calls != calls || h.Errors != errs || !strings.Contains(h.Note, note) || (note == "" && h.Note != "") {
			t.Fatalf("%s: health = %s, %d calls, %d errors, note %q; want %s, %d, %d, note with %q", what, h.Status, h.Calls, h.Errors, h.Note, st, calls, errs, note)
		}
		return h
	}

	// no calls, then too few to judge: up, never down on no evidence
	want("no calls", kobo.InstitutionUp, 0, 0, "")
	logins(app.HealthMinCalls-1, unavailable)
	h := want("four failures", kobo.InstitutionUp, 4, 4, "")
	if h.Judged() || h.LastErrorAt == nil {
		t.Fatalf("four calls judged = %v, last error %v", h.Judged(), h.LastErrorAt)
	}
	// wrong passwords are the bank answering: they dilute the failures
	logins(4, wrongPassword)
	want("4 of 8 failed", kobo.InstitutionDown, 8, 4, "GTBank is not responding right now")
	logins(8, wrongPassword)
	if h := want("4 of 16 failed", kobo.InstitutionDegraded, 16, 4, "GTBank is having problems right now"); h.ErrorPercent() != 25 {
		t.Fatalf("4 of 16 is %d%%", h.ErrorPercent())
	}
	// the app's keys refused at the provider say nothing of the bank
	logins(10, appKeys)
	want("app keys refused", kobo.InstitutionDegraded, 16, 4, "having problems")
	logins(30, wrongPassword)
	want("4 of 46 failed", kobo.InstitutionUp, 46, 4, "")

	// past the window, the old calls no longer count; slow answers degrade
	clock.Add(app.HealthWindow)
	want("window passed", kobo.InstitutionUp, 0, 0, "")
	if h := status(); h.LastErrorAt == nil {
		t.Fatal("the last error time is forgotten with the window; it is kept for a day")
	}
	logins(10, wrongPassword)
	logins(1, slow)
	want("1 of 11 slow", kobo.InstitutionDegraded, 11, 0, "GTBank is slow right now")

	// another app's sandbox and live are scoped apart
	snap, err := b.svc.Health(ctx, true, "")
	if err != nil {
		t.Fatal(err)
	}
	if h := snap.Of(b.inst); h.Status != kobo.InstitutionUp || h.Calls != 0 || snap.Tag != "" {
		t.Fatalf("live health = %+v (tag %q), want untouched by sandbox calls", h, snap.Tag)
	}
	other, err := b.svc.Health(ctx, false, "another-app")
	if err != nil {
		t.Fatal(err)
	}
	if other.Of(b.inst).Calls != 0 {
		t.Fatal("another app's sandbox sees this app's calls")
	}

	// the operator's note: its status and text win, audited, and cleared
	before, _ := b.svc.Health(ctx, false, b.caller.App.ID)
	if _, err := b.svc.SetInstitutionNote(ctx, b.inst.ID, "sideways", "x"); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := b.svc.SetInstitutionNote(ctx, "nope", "down", "x"); kobo.ErrorCode(err) != kobo.ENOTFOUND {
		t.Fatalf("unknown institution: %v", err)
	}
	if _, err := b.svc.SetInstitutionNote(ctx, b.inst.ID, "down", "GTBank is down for planned maintenance until 04:00 WAT."); err != nil {
		t.Fatal(err)
	}
	h = want("operator's note", kobo.InstitutionDown, 11, 0, "planned maintenance")
	if h.Computed != kobo.InstitutionDegraded || h.Operator == nil || h.Operator.By == "" {
		t.Fatalf("operator's note = %+v", h)
	}
	after, _ := b.svc.Health(ctx, false, b.caller.App.ID)
	if after.Tag == before.Tag {
		t.Fatal("the snapshot tag did not change with the operator's note")
	}
	// a note without a status keeps kobo's own, on live too
	clock.Add(time.Second)
	if _, err := b.svc.SetInstitutionNote(ctx, b.inst.ID, "", "Statements for March may be late."); err != nil {
		t.Fatal(err)
	}
	want("note without status", kobo.InstitutionDegraded, 11, 0, "Statements for March")
	snap, _ = b.svc.Health(ctx, true, "")
	if h := snap.Of(b.inst); h.Status != kobo.InstitutionUp || h.Note != "Statements for March may be late." || snap.Tag == "" {
		t.Fatalf("live with a note = %+v", h)
	}
	clock.Add(time.Second)
	if err := b.svc.ClearInstitutionNote(ctx, b.inst.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.ClearInstitutionNote(ctx, b.inst.ID); err != nil {
		t.Fatal(err)
	}
	want("cleared", kobo.InstitutionDegraded, 11, 0, "slow right now")
	audit, err := b.svc.OperatorAudit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if strings.Join(actions, ",") != "institution.note_cleared,institution.note_set,institution.note_set" {
		t.Fatalf("operator audit = %v (a clear of nothing is not audited)", actions)
	}
	// pruning keeps a day
	clock.Add(app.HealthKept + time.Minute)
	if n, err := b.svc.PruneBankHealth(ctx); err != nil || n == 0 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if h := status(); h.LastErrorAt != nil || h.Calls != 0 {
		t.Fatalf("after a day: %+v", h)
	}
}
