package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

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

// TestSuspensionReachesEveryReplicaAtOnce: two services on one database
// are two replicas. B has the key cached; a hold put through A refuses
// B's very next request (it used to pass for the cache's 5 s), and a
// reinstatement through A lets it through again.
func TestSuspensionReachesEveryReplicaAtOnce(t *testing.T) {
	t.Parallel()
	a := setup(t)
	// the same clock and store: only the caches are apart
	b := bundle{svc: app.New(app.Config{Store: a.store, Clock: a.clock, KeyCacheTTL: time.Hour, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}}), clock: a.clock, store: a.store}
	ctx := context.Background()
	p := signup(t, a, "replicas@held.ng")
	name := "loans"
	ap, err := a.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	sk := ap.SecretKeys[kobo.ModeTest].Reveal()
	for range 3 { // resolved once, then from B's cache
		if _, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []struct{ kind, id string }{{kobo.SuspendApp, ap.App.ID}, {kobo.SuspendPartner, p.ID}} {
		if err := a.svc.Suspend(ctx, h.kind, h.id, "test"); err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey)
		if e := code(t, err, kobo.EFORBIDDEN); !strings.Contains(e.Message, "suspended") {
			t.Errorf("%s hold through A, key on B: %v", h.kind, err)
		}
		if err := a.svc.Reinstate(ctx, h.kind, h.id); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey); err != nil {
				t.Errorf("%s reinstated through A, key on B: %v", h.kind, err)
			}
		}
	}
}

// TestEpochReadsAreShared: many concurrent key checks on a cached key
// all pass and all see a hold put before they began.
func TestEpochReadsAreShared(t *testing.T) {
	t.Parallel()
	a := setup(t)
	b := bundle{svc: app.New(app.Config{Store: a.store, Clock: a.clock, KeyCacheTTL: time.Hour, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}}), clock: a.clock, store: a.store}
	ctx := context.Background()
	p := signup(t, a, "many@held.ng")
	name := "loans"
	ap, err := a.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	sk := ap.SecretKeys[kobo.ModeTest].Reveal()
	run := func(want kobo.Code) {
		t.Helper()
		errs := make(chan error, 50)
		for range 50 {
			go func() { _, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey); errs <- err }()
		}
		for range 50 {
			if err := <-errs; kobo.ErrorCode(err) != want {
				t.Errorf("concurrent check = %v, want %q", err, want)
			}
		}
	}
	run("")
	if err := a.svc.Suspend(ctx, kobo.SuspendApp, ap.App.ID, "test"); err != nil {
		t.Fatal(err)
	}
	run(kobo.EFORBIDDEN)
}

// TestKeyRevocationReachesEveryReplicaAtOnce: a key revoked through A
// (rotated with no overlap, the app sent back to sandbox, the app deleted)
// is refused by B's very next request, though B has it cached for an hour:
// revocations move the epoch the cache is checked against, as holds do.
func TestKeyRevocationReachesEveryReplicaAtOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		mode   kobo.Mode
		revoke func(ctx context.Context, svc *app.Service, partnerID, appID string) error
	}{
		{"rotate secret key, no overlap", kobo.ModeTest, func(ctx context.Context, svc *app.Service, p, a string) error {
			_, err := svc.RotateKey(ctx, p, a, app.RotateInput{Kind: kobo.SecretKey})
			return err
		}},
		{"rotate both keys", kobo.ModeTest, func(ctx context.Context, svc *app.Service, p, a string) error {
			_, err := svc.RotateKeys(ctx, p, a, kobo.ModeTest)
			return err
		}},
		{"rotate as operator", kobo.ModeTest, func(ctx context.Context, svc *app.Service, _, a string) error {
			_, err := svc.RotateKeyAsOperator(ctx, a, app.RotateInput{Kind: kobo.SecretKey})
			return err
		}},
		{"back to sandbox", kobo.ModeLive, func(ctx context.Context, svc *app.Service, p, a string) error {
			_, err := svc.UpdateApp(ctx, p, a, app.AppInput{Live: ptr(false)})
			return err
		}},
		{"delete app", kobo.ModeTest, func(ctx context.Context, svc *app.Service, p, a string) error {
			return svc.DeleteApp(ctx, p, a, false)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := setup(t)
			// the same clock and store: only the caches are apart
			b := bundle{svc: app.New(app.Config{Store: a.store, Clock: a.clock, KeyCacheTTL: time.Hour, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}}), clock: a.clock, store: a.store}
			ctx := context.Background()
			p := signup(t, a, "revoke@replicas.ng")
			in := app.AppInput{Name: ptr("loans")}
			ap, err := a.svc.CreateApp(ctx, p.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			if c.mode == kobo.ModeLive {
				if ap, err = a.svc.UpdateApp(ctx, p.ID, ap.App.ID, app.AppInput{Live: ptr(true)}); err != nil {
					t.Fatal(err)
				}
			}
			sk := ap.SecretKeys[c.mode].Reveal()
			for range 2 { // resolved once, then from B's cache
				if _, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.revoke(ctx, a.svc, p.ID, ap.App.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
				t.Errorf("old key on B after %s through A: %v, want EUNAUTHORIZED", c.name, err)
			}
		})
	}
}
