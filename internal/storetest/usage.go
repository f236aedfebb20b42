package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testUsage covers the per-day usage counters: a batch adds to what a
// day holds (twice for a key the batch repeats), modes and days stay
// apart, a listed range is inclusive, totals add both modes, and a prune
// removes only days before its cutoff.
func testUsage(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	day := kobo.UsageDayOf(T0)
	d := func(n int) time.Time { return day.AddDate(0, 0, n) }
	u := func(app string, mode kobo.Mode, at time.Time, c kobo.UsageCounts) kobo.UsageDay {
		return kobo.UsageDay{AppID: app, Mode: mode, Day: at, UsageCounts: c}
	}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.AddUsage(ctx, nil); err != nil {
			return err
		}
		return tx.AddUsage(ctx, []kobo.UsageDay{
			// times within a day land on its row
			u("app_a", kobo.ModeTest, T0, kobo.UsageCounts{Calls: 3, Errors: 1}),
			u("app_a", kobo.ModeTest, day.Add(23*time.Hour), kobo.UsageCounts{Calls: 2, Links: 1}),
			u("app_a", kobo.ModeLive, T0, kobo.UsageCounts{Calls: 10, Webhooks: 4}),
			u("app_a", kobo.ModeTest, d(-1), kobo.UsageCounts{Syncs: 2}),
			u("app_a", kobo.ModeTest, d(-400), kobo.UsageCounts{Calls: 7}),
			u("app_b", kobo.ModeTest, T0, kobo.UsageCounts{Calls: 1}),
			u("app_c", kobo.ModeTest, T0, kobo.UsageCounts{}), // nothing: no row
		})
	})
	// a second flush (another replica's) adds to the same rows
	update(t, s, func(tx kobo.Tx) error {
		return tx.AddUsage(ctx, []kobo.UsageDay{
			u("app_a", kobo.ModeTest, T0, kobo.UsageCounts{Calls: 5, Errors: 2, Syncs: 1, Webhooks: 3}),
			u("app_b", kobo.ModeTest, d(1), kobo.UsageCounts{Links: 1}),
		})
	})
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.ListUsage(ctx, "app_a", kobo.ModeTest, d(-30), d(0))
		if err != nil {
			return err
		}
		want := []kobo.UsageDay{
			u("app_a", kobo.ModeTest, d(-1), kobo.UsageCounts{Syncs: 2}),
			u("app_a", kobo.ModeTest, d(0), kobo.UsageCounts{Calls: 10, Errors: 3, Links: 1, Syncs: 1, Webhooks: 3}),
		}
		if len(list) != len(want) {
			t.Fatalf("ListUsage = %+v, want %+v", list, want)
		}
		for i := range want {
			if list[i].AppID != want[i].AppID || list[i].Mode != want[i].Mode || !list[i].Day.Equal(want[i].Day) ||
				list[i].Day.Location() != time.UTC || list[i].UsageCounts != want[i].UsageCounts {
				t.Errorf("ListUsage[%d] = %+v, want %+v", i, list[i], want[i])
			}
		}
		// the range is inclusive at both ends, by day whatever the time
		one, err := tx.ListUsage(ctx, "app_a", kobo.ModeTest, T0, T0)
		if err != nil || len(one) != 1 || one[0].Calls != 10 {
			t.Errorf("ListUsage of one day = %+v, %v", one, err)
		}
		live, err := tx.ListUsage(ctx, "app_a", kobo.ModeLive, d(-30), d(0))
		if err != nil || len(live) != 1 || live[0].UsageCounts != (kobo.UsageCounts{Calls: 10, Webhooks: 4}) {
			t.Errorf("live ListUsage = %+v, %v", live, err)
		}
		tot, err := tx.UsageTotals(ctx, []string{"app_a", "app_b", "app_c"}, d(-29), d(0))
		if err != nil {
			return err
		}
		if len(tot) != 2 || tot["app_a"] != (kobo.UsageCounts{Calls: 20, Errors: 3, Links: 1, Syncs: 3, Webhooks: 7}) ||
			tot["app_b"] != (kobo.UsageCounts{Calls: 1}) {
			t.Errorf("UsageTotals = %+v", tot)
		}
		if none, err := tx.UsageTotals(ctx, nil, d(-29), d(0)); err != nil || len(none) != 0 {
			t.Errorf("UsageTotals of no apps = %+v, %v", none, err)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		n, err := tx.PruneUsage(ctx, d(-1), 100)
		if err != nil || n != 1 {
			t.Errorf("PruneUsage = %d, %v; want the one row 400 days old", n, err)
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		old, err := tx.ListUsage(ctx, "app_a", kobo.ModeTest, d(-500), d(-2))
		if err != nil || len(old) != 0 {
			t.Errorf("after the prune, old days = %+v, %v", old, err)
		}
		kept, err := tx.ListUsage(ctx, "app_a", kobo.ModeTest, d(-1), d(-1))
		if err != nil || len(kept) != 1 {
			t.Errorf("after the prune, the cutoff day = %+v, %v", kept, err)
		}
		return nil
	})
}
