package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testAppAddons: an add-on row round-trips whole, is replaced in place by
// the next decision, is listed per app and in the operator's queue by
// status; a missing one is ENOTFOUND.
func testAppAddons(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "addons@b.ng")
	a, b := NewApp(t, s, p.ID), NewApp(t, s, p.ID)
	view(t, s, func(tx kobo.Tx) error {
		if _, err := tx.AppAddon(ctx, a.ID, kobo.AddonHeadlessConnect); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("missing add-on = %v, want ENOTFOUND", err)
		}
		return nil
	})
	req := &kobo.AppAddon{AppID: a.ID, Addon: kobo.AddonHeadlessConnect, Status: kobo.AddonRequested, Reason: "we run a lending app",
		RequestedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutAppAddon(ctx, req); err != nil {
			return err
		}
		return tx.PutAppAddon(ctx, &kobo.AppAddon{AppID: b.ID, Addon: kobo.AddonHeadlessConnect, Status: kobo.AddonRequested,
			RequestedAt: T0.Add(time.Minute), UpdatedAt: T0.Add(time.Minute)})
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.AppAddon(ctx, a.ID, kobo.AddonHeadlessConnect)
		if err != nil {
			return err
		}
		if got.Status != kobo.AddonRequested || got.Reason != req.Reason || !got.RequestedAt.Equal(T0) || got.DecidedAt != nil || got.DecidedBy != "" {
			return fmt.Errorf("requested row = %+v", got)
		}
		q, err := tx.AddonsByStatus(ctx, kobo.AddonRequested, 10)
		if err != nil {
			return err
		}
		if len(q) != 2 || q[0].AppID != a.ID || q[1].AppID != b.ID {
			return fmt.Errorf("queue = %+v, want a then b", q)
		}
		return nil
	})
	dec := T0.Add(time.Hour).Add(123 * time.Microsecond)
	approved := *req
	approved.Status, approved.Note, approved.DecidedAt, approved.DecidedBy, approved.UpdatedAt = kobo.AddonApproved, "ok", &dec, "ops@deploy", dec
	update(t, s, func(tx kobo.Tx) error { return tx.PutAppAddon(ctx, &approved) })
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.AppAddons(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Status != kobo.AddonApproved || list[0].DecidedAt == nil || !list[0].DecidedAt.Equal(dec) ||
			list[0].DecidedBy != "ops@deploy" || list[0].Note != "ok" || !list[0].UpdatedAt.Equal(dec) {
			return fmt.Errorf("after approval = %+v", list)
		}
		q, err := tx.AddonsByStatus(ctx, kobo.AddonRequested, 10)
		if err != nil {
			return err
		}
		if len(q) != 1 || q[0].AppID != b.ID {
			return fmt.Errorf("queue after approval = %+v, want only b", q)
		}
		return nil
	})
}

// testSuspensions: a hold is put, read, listed, replaced and lifted;
// partner and app holds on the same id are apart.
func testSuspensions(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutSuspension(ctx, &kobo.Suspension{Kind: kobo.SuspendApp, SubjectID: "x1", Reason: "fraud", By: "ops", CreatedAt: T0}); err != nil {
			return err
		}
		return tx.PutSuspension(ctx, &kobo.Suspension{Kind: kobo.SuspendPartner, SubjectID: "x1", Reason: "unpaid", By: "ops", CreatedAt: T0.Add(time.Minute)})
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Suspension(ctx, kobo.SuspendApp, "x1")
		if err != nil {
			return err
		}
		if got.Reason != "fraud" || got.By != "ops" || !got.CreatedAt.Equal(T0) {
			return fmt.Errorf("app hold = %+v", got)
		}
		all, err := tx.Suspensions(ctx)
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].Kind != kobo.SuspendPartner {
			return fmt.Errorf("holds = %+v, want the partner's first (newest)", all)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteSuspension(ctx, kobo.SuspendApp, "x1") })
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteSuspension(ctx, kobo.SuspendApp, "x1") }) // lifting twice is fine
	view(t, s, func(tx kobo.Tx) error {
		if _, err := tx.Suspension(ctx, kobo.SuspendApp, "x1"); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("lifted hold = %v, want ENOTFOUND", err)
		}
		if _, err := tx.Suspension(ctx, kobo.SuspendPartner, "x1"); err != nil {
			return fmt.Errorf("partner hold went with the app's: %v", err)
		}
		return nil
	})
}

// testPartnersList: partners are listed by id in pages.
func testPartnersList(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	for i := range 3 {
		NewPartner(t, s, fmt.Sprintf("list%d@b.ng", i))
	}
	var all []*kobo.Partner
	after := ""
	for {
		var page []*kobo.Partner
		view(t, s, func(tx kobo.Tx) error {
			var err error
			page, err = tx.Partners(ctx, after, 2)
			return err
		})
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	if len(all) < 3 {
		t.Fatalf("paged partners = %d, want at least 3", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatalf("partners out of order at %d", i)
		}
	}
}
