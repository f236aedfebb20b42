package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testSessionsList: sessions keep where they were made and when last used;
// a partner's unexpired ones are listed newest first; one, or all but
// one, can be ended, and only the partner's own.
func testSessionsList(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "sessions@b.ng")
	other := NewPartner(t, s, "sessions-other@b.ng")
	update(t, s, func(tx kobo.Tx) error {
		for i, h := range []string{"s_old", "s_new", "s_gone"} {
			exp := T0.Add(time.Hour)
			if h == "s_gone" {
				exp = T0.Add(-time.Minute)
			}
			if err := tx.CreatePartnerToken(ctx, &kobo.PartnerToken{Hash: h, PartnerID: p.ID, Kind: "dashboard", CreatedAt: T0.Add(time.Duration(i) * time.Second),
				ExpiresAt: exp, UserAgent: "Firefox " + h, IP: "192.0.2.1"}); err != nil {
				return err
			}
		}
		if err := tx.CreatePartnerToken(ctx, &kobo.PartnerToken{Hash: "s_other", PartnerID: other.ID, Kind: "api", CreatedAt: T0, ExpiresAt: T0.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.TouchPartnerToken(ctx, "s_old", T0.Add(time.Minute))
	})
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.PartnerTokens(ctx, p.ID, T0)
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].Hash != "s_new" || list[1].Hash != "s_old" {
			return fmt.Errorf("sessions = %+v, want s_new then s_old", list)
		}
		if list[1].LastSeenAt == nil || !list[1].LastSeenAt.Equal(T0.Add(time.Minute)) || list[1].UserAgent != "Firefox s_old" || list[1].IP != "192.0.2.1" {
			return fmt.Errorf("s_old = %+v", list[1])
		}
		if list[0].LastSeenAt != nil {
			return fmt.Errorf("unused session has last seen %v", list[0].LastSeenAt)
		}
		one, err := tx.PartnerTokenByHash(ctx, "s_old")
		if err != nil || one.UserAgent != "Firefox s_old" {
			return fmt.Errorf("by hash = %+v, %v", one, err)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.DeletePartnerTokenOf(ctx, p.ID, "s_other"); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("ending another partner's session = %v, want ENOTFOUND", err)
		}
		n, err := tx.DeletePartnerTokensExcept(ctx, p.ID, "s_new")
		if err != nil || n != 2 {
			return fmt.Errorf("ended %d, %v; want 2 (s_old and the expired one)", n, err)
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		if _, err := tx.PartnerTokenByHash(ctx, "s_other"); err != nil {
			return fmt.Errorf("another partner's session went: %v", err)
		}
		list, err := tx.PartnerTokens(ctx, p.ID, T0)
		if err != nil || len(list) != 1 || list[0].Hash != "s_new" {
			return fmt.Errorf("left = %+v, %v", list, err)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeletePartnerTokenOf(ctx, p.ID, "s_new") })
}

// testPasswordResets: a reset is used once, not after it expires, and
// using one voids the partner's other unused ones.
func testPasswordResets(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "reset@b.ng")
	update(t, s, func(tx kobo.Tx) error {
		for _, h := range []string{"r1", "r2", "r3"} {
			if err := tx.CreatePasswordReset(ctx, &kobo.PasswordReset{TokenHash: h, PartnerID: p.ID, CreatedAt: T0, ExpiresAt: T0.Add(time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if _, err := tx.UsePasswordReset(ctx, "r1", T0.Add(2*time.Hour)); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("expired reset used: %v", err)
		}
		r, err := tx.UsePasswordReset(ctx, "r1", T0.Add(time.Minute))
		if err != nil || r.PartnerID != p.ID || r.UsedAt == nil || !r.UsedAt.Equal(T0.Add(time.Minute)) {
			return fmt.Errorf("use = %+v, %v", r, err)
		}
		if _, err := tx.UsePasswordReset(ctx, "r1", T0.Add(time.Minute)); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("reset used twice: %v", err)
		}
		if _, err := tx.UsePasswordReset(ctx, "r2", T0.Add(time.Minute)); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("a sibling reset survived the use of another: %v", err)
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		r, err := tx.PasswordReset(ctx, "r1")
		if err != nil || r.UsedAt == nil || !r.ExpiresAt.Equal(T0.Add(time.Hour)) {
			return fmt.Errorf("r1 = %+v, %v", r, err)
		}
		if _, err := tx.PasswordReset(ctx, "r3"); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("r3 = %v, want ENOTFOUND", err)
		}
		return nil
	})
}

// testSettingsAndEpochs: settings are put and replaced; an epoch starts
// at 0 and counts its bumps.
func testSettingsAndEpochs(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	view(t, s, func(tx kobo.Tx) error {
		if _, err := tx.Setting(ctx, "st_never"); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("unset setting = %v", err)
		}
		if n, err := tx.Epoch(ctx, "ep_test"); err != nil || n != 0 {
			return fmt.Errorf("new epoch = %d, %v", n, err)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutSetting(ctx, &kobo.Setting{Name: "st_x", Value: "a", UpdatedAt: T0, UpdatedBy: "ops"}); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, &kobo.Setting{Name: "st_x", Value: "b", UpdatedAt: T0.Add(time.Second), UpdatedBy: "ops2"}); err != nil {
			return err
		}
		if err := tx.BumpEpoch(ctx, "ep_test"); err != nil {
			return err
		}
		return tx.BumpEpoch(ctx, "ep_test")
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Setting(ctx, "st_x")
		if err != nil || got.Value != "b" || got.UpdatedBy != "ops2" || !got.UpdatedAt.Equal(T0.Add(time.Second)) {
			return fmt.Errorf("setting = %+v, %v", got, err)
		}
		if n, err := tx.Epoch(ctx, "ep_test"); err != nil || n != 2 {
			return fmt.Errorf("epoch = %d, %v; want 2", n, err)
		}
		return nil
	})
}

// testGoLiveReviews: a review is stored with the business details,
// replaced by the decision, and listed by status oldest first.
func testGoLiveReviews(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	d := kobo.BusinessDetails{LegalName: "Ada Ltd", RegistrationNumber: "RC123", Country: "NG", Website: "https://ada.ng", ContactEmail: "ops@ada.ng", UseCase: "lending"}
	update(t, s, func(tx kobo.Tx) error {
		for i, id := range []string{"glr_b", "glr_a"} {
			at := T0.Add(time.Duration(i) * time.Minute)
			if err := tx.PutGoLiveReview(ctx, &kobo.GoLiveReview{AppID: id, Status: kobo.GoLivePending, BusinessDetails: d, SubmittedAt: at, SubmittedBy: "me@ada.ng", UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.GoLiveReviewsByStatus(ctx, kobo.GoLivePending, 10)
		if err != nil {
			return err
		}
		var mine []*kobo.GoLiveReview
		for _, r := range list {
			if r.AppID == "glr_a" || r.AppID == "glr_b" {
				mine = append(mine, r)
			}
		}
		if len(mine) != 2 || mine[0].AppID != "glr_b" || mine[0].BusinessDetails != d || mine[0].DecidedAt != nil {
			return fmt.Errorf("pending = %+v", mine)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		r, err := tx.GoLiveReview(ctx, "glr_a")
		if err != nil {
			return err
		}
		at := T0.Add(time.Hour)
		r.Status, r.DecidedAt, r.DecidedBy, r.Reason, r.UpdatedAt = kobo.GoLiveRejected, &at, "ops", "no website", at
		return tx.PutGoLiveReview(ctx, r)
	})
	view(t, s, func(tx kobo.Tx) error {
		r, err := tx.GoLiveReview(ctx, "glr_a")
		if err != nil || r.Status != kobo.GoLiveRejected || r.Reason != "no website" || r.DecidedAt == nil || !r.DecidedAt.Equal(T0.Add(time.Hour)) || r.SubmittedBy != "me@ada.ng" {
			return fmt.Errorf("decided = %+v, %v", r, err)
		}
		if _, err := tx.GoLiveReview(ctx, "glr_none"); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("missing review = %v", err)
		}
		return nil
	})
}
