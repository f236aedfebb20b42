package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestSuspendedPartnersMembersAreLockedOut: suspending a partner used to
// stop only its founding login; the members it invited could still log in
// and their sessions still reached its apps. Now none can, and all can
// again once it is reinstated.
func TestSuspendedPartnersMembersAreLockedOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	owner := signup(t, b, "owner@held.ng")
	dev := signup(t, b, "dev@held.ng")
	name := "loans"
	a, err := b.svc.CreateApp(ctx, owner.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := b.svc.Invite(ctx, owner.ID, owner.ID, dev.Email, kobo.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AcceptInvite(ctx, dev, inv.Token.Reveal()); err != nil {
		t.Fatal(err)
	}
	sess, err := b.svc.Login(ctx, dev.Email, "correct horse battery", "192.0.2.7", "dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Suspend(ctx, kobo.SuspendPartner, owner.ID, "fraud"); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Login(ctx, dev.Email, "correct horse battery", "192.0.2.7", "dashboard")
	if e := code(t, err, kobo.EFORBIDDEN); !strings.Contains(e.Message, "suspended") {
		t.Errorf("member's login: %v", err)
	}
	_, err = b.svc.AuthenticatePartner(ctx, sess.Value.Reveal())
	if kobo.ErrorCode(err) != kobo.EFORBIDDEN && kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
		t.Errorf("member's existing session: %v, want it refused", err)
	}
	if _, _, err := b.svc.AuthorizeApp(ctx, dev.ID, a.App.ID, app.PermView); kobo.ErrorCode(err) != kobo.EFORBIDDEN {
		t.Errorf("member reaching the suspended partner's app: %v, want EFORBIDDEN", err)
	}
	if err := b.svc.Reinstate(ctx, kobo.SuspendPartner, owner.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Login(ctx, dev.Email, "correct horse battery", "192.0.2.7", "dashboard"); err != nil {
		t.Errorf("member's login after reinstatement: %v", err)
	}
	if _, _, err := b.svc.AuthorizeApp(ctx, dev.ID, a.App.ID, app.PermView); err != nil {
		t.Errorf("member reaching the app after reinstatement: %v", err)
	}
}
