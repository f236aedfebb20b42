package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testFlashes: a flash is taken once, only by its partner, and not after
// it expires.
func testFlashes(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	f := &kobo.Flash{ID: "fl1", PartnerID: "p1", Kind: "ok", Message: "Keys rotated", Payload: []byte(`{"test":"test_sk_x"}`), CreatedAt: T0, ExpiresAt: T0.Add(5 * time.Minute)}
	old := &kobo.Flash{ID: "fl2", PartnerID: "p1", Kind: "warn", Message: "stale", CreatedAt: T0, ExpiresAt: T0.Add(time.Minute)}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutFlash(ctx, f); err != nil {
			return err
		}
		return tx.PutFlash(ctx, old)
	})
	update(t, s, func(tx kobo.Tx) error {
		_, err := tx.TakeFlash(ctx, "fl1", "p2", T0)
		wantCode(t, err, kobo.ENOTFOUND) // someone else's
		got, err := tx.TakeFlash(ctx, "fl1", "p1", T0.Add(time.Minute))
		if err != nil {
			return err
		}
		if got.Message != f.Message || got.Kind != "ok" || string(got.Payload) != string(f.Payload) || !got.CreatedAt.Equal(T0) || !got.ExpiresAt.Equal(f.ExpiresAt) {
			return fmt.Errorf("TakeFlash = %+v", got)
		}
		_, err = tx.TakeFlash(ctx, "fl1", "p1", T0.Add(time.Minute))
		wantCode(t, err, kobo.ENOTFOUND) // once only
		_, err = tx.TakeFlash(ctx, "fl2", "p1", T0.Add(2*time.Minute))
		wantCode(t, err, kobo.ENOTFOUND) // expired
		return nil
	})
}

// testKeyExpiry: expiring keys of one kind leaves the other kind alone,
// never lengthens an earlier expiry, and revoking by kind is by kind.
func testKeyExpiry(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "expiry@b.ng").ID)
	pk := &kobo.APIKey{ID: "kx-pk", AppID: a.ID, Kind: kobo.PublicKey, Mode: kobo.ModeTest, Prefix: "test_pk_x", Hash: "test_pk_x", CreatedAt: T0}
	sk := &kobo.APIKey{ID: "kx-sk", AppID: a.ID, Kind: kobo.SecretKey, Mode: kobo.ModeTest, Prefix: "test_sk_x", Hash: "h", CreatedAt: T0}
	live := &kobo.APIKey{ID: "kx-live", AppID: a.ID, Kind: kobo.SecretKey, Mode: kobo.ModeLive, Prefix: "live_sk_x", Hash: "h2", CreatedAt: T0}
	update(t, s, func(tx kobo.Tx) error {
		for _, k := range []*kobo.APIKey{pk, sk, live} {
			if err := tx.CreateAPIKey(ctx, k); err != nil {
				return err
			}
		}
		if err := tx.ExpireAPIKeys(ctx, a.ID, kobo.ModeTest, kobo.SecretKey, T0.Add(time.Hour)); err != nil {
			return err
		}
		// a later expiry does not extend the earlier one
		return tx.ExpireAPIKeys(ctx, a.ID, kobo.ModeTest, kobo.SecretKey, T0.Add(7*24*time.Hour))
	})
	view(t, s, func(tx kobo.Tx) error {
		exp, err := tx.APIKeyExpiries(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(exp) != 1 || !exp["kx-sk"].Equal(T0.Add(time.Hour)) {
			return fmt.Errorf("APIKeyExpiries = %v", exp)
		}
		// an expiring key is still found by prefix: the caller compares the time
		got, err := tx.APIKeysByPrefix(ctx, "test_sk_x")
		if err == nil && len(got) != 1 {
			err = fmt.Errorf("APIKeysByPrefix = %d keys", len(got))
		}
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.RevokeAPIKeysOfKind(ctx, a.ID, kobo.ModeTest, kobo.PublicKey, T0) })
	view(t, s, func(tx kobo.Tx) error {
		all, err := tx.APIKeysByApp(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].Kind != kobo.SecretKey || all[1].Kind != kobo.SecretKey {
			return fmt.Errorf("after revoking public keys: %+v", all)
		}
		exp, err := tx.APIKeyExpiries(ctx, a.ID)
		if err == nil && len(exp) != 1 {
			err = fmt.Errorf("expiries after revoke = %v", exp)
		}
		return err
	})
}

// testTeams: members with roles, both directions of lookup, invitations
// accepted once.
func testTeams(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	org := NewPartner(t, s, "org@b.ng")
	dev := NewPartner(t, s, "dev@b.ng")
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutTeamMember(ctx, &kobo.TeamMember{OrgID: org.ID, MemberID: org.ID, Role: kobo.RoleOwner, CreatedAt: T0}); err != nil {
			return err
		}
		if err := tx.PutTeamMember(ctx, &kobo.TeamMember{OrgID: org.ID, MemberID: dev.ID, Role: kobo.RoleViewer, CreatedAt: T0.Add(time.Second)}); err != nil {
			return err
		}
		// a second put changes the role
		return tx.PutTeamMember(ctx, &kobo.TeamMember{OrgID: org.ID, MemberID: dev.ID, Role: kobo.RoleDeveloper, CreatedAt: T0.Add(time.Hour)})
	})
	view(t, s, func(tx kobo.Tx) error {
		m, err := tx.TeamMember(ctx, org.ID, dev.ID)
		if err != nil {
			return err
		}
		if m.Role != kobo.RoleDeveloper || m.Email != "dev@b.ng" || m.OrgName != org.Name || !m.CreatedAt.Equal(T0.Add(time.Second)) {
			return fmt.Errorf("TeamMember = %+v", m)
		}
		all, err := tx.TeamMembers(ctx, org.ID)
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].MemberID != org.ID || all[1].MemberID != dev.ID {
			return fmt.Errorf("TeamMembers = %+v", all)
		}
		orgs, err := tx.MemberOrgs(ctx, dev.ID)
		if err == nil && (len(orgs) != 1 || orgs[0].OrgID != org.ID) {
			err = fmt.Errorf("MemberOrgs = %+v", orgs)
		}
		_, err2 := tx.TeamMember(ctx, dev.ID, org.ID)
		wantCode(t, err2, kobo.ENOTFOUND)
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteTeamMember(ctx, org.ID, dev.ID) })
	update(t, s, func(tx kobo.Tx) error {
		wantCode(t, tx.DeleteTeamMember(ctx, org.ID, dev.ID), kobo.ENOTFOUND)
		return nil
	})

	inv := &kobo.TeamInvite{ID: "inv1", OrgID: org.ID, Email: "new@b.ng", Role: kobo.RoleAdmin, TokenHash: "th1", InvitedBy: org.ID, CreatedAt: T0, ExpiresAt: T0.Add(7 * 24 * time.Hour)}
	gone := &kobo.TeamInvite{ID: "inv2", OrgID: org.ID, Email: "late@b.ng", Role: kobo.RoleViewer, TokenHash: "th2", InvitedBy: org.ID, CreatedAt: T0, ExpiresAt: T0.Add(time.Hour)}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.CreateTeamInvite(ctx, inv); err != nil {
			return err
		}
		return tx.CreateTeamInvite(ctx, gone)
	})
	dup := *gone
	dup.ID = "inv3"
	wantCode(t, s.Update(ctx, func(tx kobo.Tx) error { return tx.CreateTeamInvite(ctx, &dup) }), kobo.ECONFLICT) // token hashes are unique
	update(t, s, func(tx kobo.Tx) error {
		pending, err := tx.PendingTeamInvites(ctx, org.ID, T0.Add(2*time.Hour))
		if err != nil {
			return err
		}
		if len(pending) != 1 || pending[0].ID != "inv1" || pending[0].Role != kobo.RoleAdmin || !pending[0].ExpiresAt.Equal(inv.ExpiresAt) {
			return fmt.Errorf("PendingTeamInvites = %+v", pending)
		}
		got, err := tx.TeamInviteByToken(ctx, "th1")
		if err != nil {
			return err
		}
		if got.Email != "new@b.ng" || got.AcceptedAt != nil {
			return fmt.Errorf("TeamInviteByToken = %+v", got)
		}
		if err := tx.AcceptTeamInvite(ctx, "inv1", T0.Add(time.Minute)); err != nil {
			return err
		}
		wantCode(t, tx.AcceptTeamInvite(ctx, "inv1", T0.Add(time.Minute)), kobo.ENOTFOUND)
		wantCode(t, tx.DeleteTeamInvite(ctx, org.ID, "inv1"), kobo.ENOTFOUND) // accepted ones stay, as a record
		got, err = tx.TeamInviteByToken(ctx, "th1")
		if err == nil && (got.AcceptedAt == nil || !got.AcceptedAt.Equal(T0.Add(time.Minute))) {
			err = fmt.Errorf("accepted invite = %+v", got)
		}
		if err != nil {
			return err
		}
		wantCode(t, tx.DeleteTeamInvite(ctx, "someone-else", "inv2"), kobo.ENOTFOUND)
		return tx.DeleteTeamInvite(ctx, org.ID, "inv2")
	})
}

// testAuditLog: entries come back newest first, filtered, and can be
// neither changed nor deleted.
func testAuditLog(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	actions := []string{"keys.rotated", "webhook.updated", "keys.rotated", "member.invited", "app.live"}
	update(t, s, func(tx kobo.Tx) error {
		for i, a := range actions {
			e := &kobo.AuditEntry{ID: fmt.Sprintf("au%02d", i), OrgID: "org-a", AppID: []string{"app1", "app2"}[i%2], ActorID: "u1", ActorEmail: "u1@b.ng",
				Action: a, Target: "t", Detail: "d", Source: "api", CreatedAt: T0.Add(time.Duration(i) * time.Minute)}
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, &kobo.AuditEntry{ID: "other", OrgID: "org-b", ActorID: "u2", ActorEmail: "u2@b.ng", Action: "keys.rotated", Source: "dashboard", CreatedAt: T0})
	})
	ids := func(f kobo.AuditFilter) string {
		var out string
		view(t, s, func(tx kobo.Tx) error {
			list, err := tx.AuditEntries(ctx, f)
			for _, e := range list {
				out += e.ID + " "
			}
			return err
		})
		return out
	}
	before := T0.Add(4 * time.Minute)
	since := T0.Add(time.Minute)
	for _, c := range []struct {
		f    kobo.AuditFilter
		want string
	}{
		{kobo.AuditFilter{OrgID: "org-a"}, "au04 au03 au02 au01 au00 "},
		{kobo.AuditFilter{OrgID: "org-a", Limit: 2}, "au04 au03 "},
		{kobo.AuditFilter{OrgID: "org-a", Action: "keys.rotated"}, "au02 au00 "},
		{kobo.AuditFilter{OrgID: "org-a", Action: "keys."}, "au02 au00 "},
		{kobo.AuditFilter{OrgID: "org-a", AppID: "app2"}, "au03 au01 "},
		{kobo.AuditFilter{OrgID: "org-a", Before: &before, Since: &since}, "au03 au02 au01 "},
		{kobo.AuditFilter{OrgID: "org-a", ActorID: "u2"}, ""},
		{kobo.AuditFilter{OrgID: "org-b"}, "other "},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("AuditEntries(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	// an entry is written once: appending an existing id is refused
	if err := s.Update(ctx, func(tx kobo.Tx) error {
		return tx.AppendAudit(ctx, &kobo.AuditEntry{ID: "au00", OrgID: "org-a", ActorID: "x", ActorEmail: "x", Action: "x", Source: "api", CreatedAt: T0})
	}); kobo.ErrorCode(err) != kobo.ECONFLICT {
		t.Errorf("re-appending an id = %v, want a conflict", err)
	}
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.AuditEntries(ctx, kobo.AuditFilter{OrgID: "org-a", Action: "keys.rotated"})
		if err == nil && (len(list) != 2 || list[0].ActorEmail != "u1@b.ng" || list[0].Source != "api" || list[0].Detail != "d" || !list[0].CreatedAt.Equal(T0.Add(2*time.Minute))) {
			err = fmt.Errorf("entry = %+v", list[0])
		}
		return err
	})
}

// testLiveWebhook: an app's live webhook URL is set, replaced and cleared;
// none set reads as "".
func testLiveWebhook(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "livehook@b.ng").ID)
	get := func() string {
		var u string
		view(t, s, func(tx kobo.Tx) error {
			var err error
			u, err = tx.LiveWebhookURL(ctx, a.ID)
			return err
		})
		return u
	}
	if u := get(); u != "" {
		t.Fatalf("unset live webhook = %q", u)
	}
	for _, want := range []string{"https://live.acme.ng/a", "https://live.acme.ng/b", ""} {
		update(t, s, func(tx kobo.Tx) error { return tx.SetLiveWebhookURL(ctx, a.ID, want, T0) })
		if u := get(); u != want {
			t.Errorf("after setting %q: %q", want, u)
		}
	}
}
