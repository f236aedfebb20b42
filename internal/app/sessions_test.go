package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestPasswordResetIsSingleUseAndShortLived: a reset link sets a new
// password once, ends every session, and stops working after 30 minutes
// or once a newer link was used; an unknown email gets no link and no
// error; requests are throttled per email.
func TestPasswordResetIsSingleUseAndShortLived(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "forgot@ada.ng")
	sess, err := b.svc.Login(ctx, p.Email, "correct horse battery", "192.0.2.1", "dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if l, err := b.svc.RequestPasswordReset(ctx, "nobody@ada.ng", "192.0.2.1"); l != nil || err != nil {
		t.Fatalf("unknown email: %v %v", l, err)
	}
	old, err := b.svc.RequestPasswordReset(ctx, " Forgot@Ada.ng ", "192.0.2.1")
	if err != nil || old == nil || old.Partner.ID != p.ID {
		t.Fatalf("reset: %+v %v", old, err)
	}
	b.clock.Add(31 * time.Minute)
	code(t, b.svc.CheckPasswordReset(ctx, old.Token.Reveal()), kobo.EGONE)
	code(t, b.svc.ResetPassword(ctx, old.Token.Reveal(), "a brand new passphrase"), kobo.EGONE)

	l, err := b.svc.RequestPasswordReset(ctx, p.Email, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	spare, err := b.svc.RequestPasswordReset(ctx, p.Email, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.CheckPasswordReset(ctx, l.Token.Reveal()); err != nil {
		t.Fatal(err)
	}
	code(t, b.svc.ResetPassword(ctx, l.Token.Reveal(), "short"), kobo.EINVALID)
	if err := b.svc.ResetPassword(ctx, l.Token.Reveal(), "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	code(t, b.svc.ResetPassword(ctx, l.Token.Reveal(), "another new passphrase"), kobo.EGONE)
	code(t, b.svc.ResetPassword(ctx, spare.Token.Reveal(), "another new passphrase"), kobo.EGONE)
	code(t, func() error { _, err := b.svc.AuthenticatePartner(ctx, sess.Value.Reveal()); return err }(), kobo.EUNAUTHORIZED)
	code(t, func() error {
		_, err := b.svc.Login(ctx, p.Email, "correct horse battery", "192.0.2.1", "dashboard")
		return err
	}(), kobo.EUNAUTHORIZED)
	if _, err := b.svc.Login(ctx, p.Email, "a brand new passphrase", "192.0.2.1", "dashboard"); err != nil {
		t.Fatal(err)
	}
	// three requests an hour per email: this is the fourth
	code(t, func() error { _, err := b.svc.RequestPasswordReset(ctx, p.Email, "192.0.2.9"); return err }(), kobo.ERATELIMIT)
	log, err := b.svc.AuditLog(ctx, p.ID, app.AuditQuery{Action: "password."})
	if err != nil || len(log) != 4 {
		t.Errorf("audit = %d lines, %v; want three requests and a reset", len(log), err)
	}
}

// TestSessionsList: each session keeps where it was made and when it was
// last used; one other session or all others can be ended, not the
// current one; each is audited.
func TestSessionsList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := signup(t, b, "sessions@ada.ng")
	login := func(ua string) string {
		t.Helper()
		ctx := app.WithClient(context.Background(), app.Client{IP: "192.0.2.5", UserAgent: ua})
		tok, err := b.svc.Login(ctx, p.Email, "correct horse battery", "192.0.2.5", "dashboard")
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Add(time.Second)
		return tok.Value.Reveal()
	}
	ctx := context.Background()
	me, laptop, phone := login("Firefox"), login("Laptop"), login("Phone")
	b.clock.Add(2 * time.Minute)
	if _, err := b.svc.AuthenticatePartner(ctx, laptop); err != nil {
		t.Fatal(err)
	}
	list, err := b.svc.Sessions(ctx, p.ID, me)
	if err != nil || len(list) != 3 {
		t.Fatalf("sessions = %+v, %v", list, err)
	}
	var phoneHash string
	for _, s := range list {
		switch s.UserAgent {
		case "Firefox":
			if !s.Current || s.IP != "192.0.2.5" {
				t.Errorf("current session = %+v", s)
			}
		case "Laptop":
			if s.LastSeenAt == nil || !s.LastSeenAt.Equal(b.clock.Now()) {
				t.Errorf("laptop last seen = %v", s.LastSeenAt)
			}
		case "Phone":
			phoneHash = s.Hash
		}
	}
	code(t, b.svc.EndSession(ctx, p.ID, me, list[len(list)-1].Hash), kobo.EINVALID) // the oldest is mine
	if err := b.svc.EndSession(ctx, p.ID, me, phoneHash); err != nil {
		t.Fatal(err)
	}
	code(t, b.svc.EndSession(ctx, p.ID, me, phoneHash), kobo.ENOTFOUND)
	code(t, func() error { _, err := b.svc.AuthenticatePartner(ctx, phone); return err }(), kobo.EUNAUTHORIZED)
	if n, err := b.svc.EndOtherSessions(ctx, p.ID, me); err != nil || n != 1 {
		t.Fatalf("ending others: %d %v", n, err)
	}
	code(t, func() error { _, err := b.svc.AuthenticatePartner(ctx, laptop); return err }(), kobo.EUNAUTHORIZED)
	if _, err := b.svc.AuthenticatePartner(ctx, me); err != nil {
		t.Errorf("the current session ended too: %v", err)
	}
	log, err := b.svc.AuditLog(ctx, p.ID, app.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range log {
		seen[l.Action] = true
	}
	if !seen[app.AuditSessionEnded] || !seen[app.AuditSessionsOthersEnded] {
		t.Errorf("audit = %v", seen)
	}
}
