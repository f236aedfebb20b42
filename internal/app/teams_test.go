package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Rotating the secret key with an overlap: both secrets work until the
// overlap ends, then only the new one; the public key is untouched.
func TestRotateSecretKeyWithOverlap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "rot@ada.ng")
	name := "loans"
	a, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	oldSK, oldPK := a.SecretKeys[kobo.ModeTest].Reveal(), a.PublicKeys[kobo.ModeTest]
	r, err := b.svc.RotateKey(ctx, p.ID, a.App.ID, app.RotateInput{Kind: kobo.SecretKey, Overlap: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	newSK := r.SecretKeys[kobo.ModeTest].Reveal()
	if newSK == "" || newSK == oldSK || r.PublicKeys[kobo.ModeTest] != oldPK {
		t.Fatalf("rotation: new sk %q, public key %q (was %q)", newSK, r.PublicKeys[kobo.ModeTest], oldPK)
	}
	for _, k := range []string{oldSK, newSK} {
		if _, err := b.svc.AuthenticateKey(ctx, k, kobo.SecretKey); err != nil {
			t.Fatalf("during the overlap %s…: %v", k[:12], err)
		}
	}
	if _, err := b.svc.AuthenticateKey(ctx, oldPK, kobo.PublicKey); err != nil {
		t.Fatalf("public key after a secret rotation: %v", err)
	}
	keys, err := b.svc.AppKeys(ctx, p.ID, a.App.ID)
	if err != nil {
		t.Fatal(err)
	}
	expiring := 0
	for _, k := range keys {
		if k.ExpiresAt != nil {
			expiring++
			if k.Kind != kobo.SecretKey || !k.ExpiresAt.Equal(b.clock.Now().Add(time.Hour)) {
				t.Errorf("expiring key %+v", k)
			}
		}
	}
	if len(keys) != 3 || expiring != 1 {
		t.Fatalf("keys = %+v, want pk, new sk and the expiring old sk", keys)
	}
	b.clock.Add(time.Hour)
	code(t, func() error { _, err := b.svc.AuthenticateKey(ctx, oldSK, kobo.SecretKey); return err }(), kobo.EUNAUTHORIZED)
	if _, err := b.svc.AuthenticateKey(ctx, newSK, kobo.SecretKey); err != nil {
		t.Fatal(err)
	}
	// no overlap: the old public key stops at once
	r, err = b.svc.RotateKey(ctx, p.ID, a.App.ID, app.RotateInput{Kind: kobo.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	code(t, func() error { _, err := b.svc.AuthenticateKey(ctx, oldPK, kobo.PublicKey); return err }(), kobo.EUNAUTHORIZED)
	if _, err := b.svc.AuthenticateKey(ctx, r.PublicKeys[kobo.ModeTest], kobo.PublicKey); err != nil {
		t.Fatal(err)
	}
	if _, err := app.ParseOverlap("3h"); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Errorf("overlap 3h: %v, want invalid", err)
	}
	_, err = b.svc.RotateKey(ctx, p.ID, a.App.ID, app.RotateInput{Kind: kobo.SecretKey, Overlap: 3 * time.Hour})
	code(t, err, kobo.EINVALID)

	log, err := b.svc.AuditLog(ctx, p.ID, app.AuditQuery{Action: "keys."})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Target != "test public key" || log[1].Detail != "old key works for 1 more hour" {
		t.Fatalf("audit = %+v", log)
	}
}

// A team: invite, accept as the invited email only, roles enforced,
// removal, transfer; every change in the audit log.
func TestTeams(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	owner := signup(t, b, "owner@ada.ng")
	dev := signup(t, b, "dev@ada.ng")
	stranger := signup(t, b, "stranger@ada.ng")
	name := "loans"
	a, err := b.svc.CreateApp(ctx, owner.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	// strangers do not see the app at all
	_, _, err = b.svc.AuthorizeApp(ctx, stranger.ID, a.App.ID, app.PermView)
	code(t, err, kobo.ENOTFOUND)

	_, err = b.svc.Invite(ctx, owner.ID, owner.ID, "dev@ada.ng", kobo.RoleOwner)
	code(t, err, kobo.EINVALID)
	inv, err := b.svc.Invite(ctx, owner.ID, owner.ID, " Dev@Ada.ng ", kobo.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.AcceptInvite(ctx, stranger, inv.Token.Reveal())
	code(t, err, kobo.EFORBIDDEN)
	b.clock.Add(time.Second) // the log is ordered by time
	if _, err := b.svc.AcceptInvite(ctx, dev, inv.Token.Reveal()); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.AcceptInvite(ctx, dev, inv.Token.Reveal())
	code(t, err, kobo.EGONE)

	org, role, err := b.svc.AuthorizeApp(ctx, dev.ID, a.App.ID, app.PermKeys)
	if err != nil || org != owner.ID || role != kobo.RoleDeveloper {
		t.Fatalf("developer rotating keys: org %q role %q err %v", org, role, err)
	}
	_, _, err = b.svc.AuthorizeApp(ctx, dev.ID, a.App.ID, app.PermGoLive)
	code(t, err, kobo.EFORBIDDEN)
	_, err = b.svc.Invite(ctx, dev.ID, owner.ID, "x@ada.ng", kobo.RoleViewer)
	code(t, err, kobo.EFORBIDDEN)
	apps, err := b.svc.ListMemberApps(ctx, dev)
	if err != nil || len(apps) != 1 || apps[0].App.ID != a.App.ID {
		t.Fatalf("developer's apps = %v, %v", apps, err)
	}

	code(t, b.svc.RemoveMember(ctx, owner.ID, owner.ID, owner.ID), kobo.ECONFLICT) // the owner stays
	b.clock.Add(time.Second)
	if err := b.svc.TransferOwnership(ctx, owner.ID, owner.ID, dev.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AuthorizeOrg(ctx, dev.ID, owner.ID, app.PermOwner); err != nil {
		t.Fatalf("new owner: %v", err)
	}
	if r, err := b.svc.AuthorizeOrg(ctx, owner.ID, owner.ID, app.PermTeam); err != nil || r != kobo.RoleAdmin {
		t.Fatalf("old owner is %q (%v), want admin", r, err)
	}
	code(t, b.svc.RemoveMember(ctx, owner.ID, owner.ID, owner.ID), kobo.ECONFLICT) // the founding login stays
	b.clock.Add(time.Second)
	if err := b.svc.SetRole(ctx, dev.ID, owner.ID, owner.ID, kobo.RoleViewer); err != nil {
		t.Fatal(err)
	}
	_, _, err = b.svc.AuthorizeApp(ctx, owner.ID, a.App.ID, app.PermSettings)
	code(t, err, kobo.EFORBIDDEN)

	log, err := b.svc.AuditLog(ctx, owner.ID, app.AuditQuery{Action: "member."})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range log {
		acts = append(acts, e.Action)
	}
	if got := strings.Join(acts, " "); got != "member.role_changed member.ownership_transferred member.joined member.invited" {
		t.Fatalf("audit actions = %s", got)
	}
	var buf bytes.Buffer
	if err := app.WriteAuditCSV(&buf, []*kobo.AuditEntry{{ActorEmail: "=cmd()", Action: "x", CreatedAt: b.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "'=cmd()") || !strings.HasPrefix(buf.String(), "time,actor,") {
		t.Fatalf("csv = %q", buf.String())
	}
}

// A test event of any account type carries the sample account, never a
// real one, and an unknown type is refused.
func TestTestEventOfType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "hooks@ada.ng")
	name, hook := "loans", "https://hooks.ada.ng/kobo"
	a, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name, WebhookURL: &hook})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := b.svc.SendTestEventOfType(ctx, p.ID, a.App.ID, false, kobo.EventAccountUnlinked)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != kobo.EventAccountUnlinked || ev.AccountID != "" || !strings.Contains(string(ev.Payload), "000000000000000000000000") {
		t.Fatalf("test unlinked event: %+v %s", ev, ev.Payload)
	}
	_, err = b.svc.SendTestEventOfType(ctx, p.ID, a.App.ID, false, "mono.events.made_up")
	code(t, err, kobo.EINVALID)
}
