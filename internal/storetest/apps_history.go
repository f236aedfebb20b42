package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testAppHistoryMonths: an app's first-fetch window round-trips, and an
// app stored without one reads the default.
func testAppHistoryMonths(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "history@acme.ng")
	unset := NewApp(t, s, p.ID)
	a := &kobo.App{ID: kobo.NewID(T0) + "h", PartnerID: p.ID, Name: "scoring", WebhookSecret: "whsec_h", SyncFrequency: kobo.SyncEvery24h,
		Relink: kobo.RelinkNew, HistoryMonths: 18, CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateApp(ctx, a) })
	months := func(id string) int {
		var got *kobo.App
		view(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.App(ctx, id)
			return err
		})
		return got.HistoryMonths
	}
	if m := months(unset.ID); m != kobo.DefaultHistoryMonths {
		t.Errorf("an app stored without a window reads %d months", m)
	}
	if m := months(a.ID); m != 18 {
		t.Errorf("created with 18 months, read %d", m)
	}
	a.HistoryMonths = 3
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateApp(ctx, a) })
	if m := months(a.ID); m != 3 {
		t.Errorf("updated to 3 months, read %d", m)
	}
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.AppsByPartner(ctx, p.ID)
		if err == nil && (len(list) != 2 || list[0].HistoryMonths+list[1].HistoryMonths != 15) {
			err = fmt.Errorf("AppsByPartner: %+v", list)
		}
		return err
	})
}
