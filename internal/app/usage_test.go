package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres/pgtest"
	"github.com/kobo-oss/kobo/internal/storetest"
)

// TestUsageTwoReplicasAddUp: two replicas (two services, two pools, one
// Postgres database) count the same app's calls and webhooks at once and
// flush while counting, many times over, across a day boundary. What the
// usage API then shows, from either replica, is exactly what both counted:
// flushes add increments, they never overwrite another replica's count.
func TestUsageTwoReplicasAddUp(t *testing.T) {
	t.Parallel()
	a, b := pgtest.Replicas(t)
	ctx := context.Background()
	p := storetest.NewPartner(t, a, "replicas@usage.ng")
	appID := storetest.NewApp(t, a, p.ID).ID
	clock := &testClock{t: time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC)}
	svcs := []*app.Service{app.New(app.Config{Store: a, Clock: clock}), app.New(app.Config{Store: b, Clock: clock})}

	const rounds, perRound = 20, 50
	want := map[string]kobo.UsageCounts{} // by day
	// two days, the second past midnight UTC
	for range 2 {
		var wg sync.WaitGroup
		for i, svc := range svcs {
			wg.Go(func() {
				for r := range rounds {
					for n := range perRound {
						status := 200
						if n%5 == 0 {
							status = 404 + i // 4xx from one replica, 405 from the other
						}
						svc.CountCall(appID, kobo.ModeTest, status)
						if n%10 == 0 {
							svc.CountWebhook(appID, false)
						}
					}
					svc.CountCall(appID, kobo.ModeLive, 500)
					if r%3 == 0 { // flushes race the other replica's flushes
						if err := svc.FlushUsage(ctx); err != nil {
							t.Error(err)
						}
					}
				}
				if err := svc.FlushUsage(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		k := clock.Now().Format("2006-01-02")
		want[k] = kobo.UsageCounts{Calls: 2 * rounds * perRound, Errors: 2 * rounds * perRound / 5, Webhooks: 2 * rounds * perRound / 10}
		clock.Add(time.Hour) // past midnight UTC: the next day's rows
	}
	for i, svc := range svcs {
		days, err := svc.AppUsage(ctx, p.ID, appID, false, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 3 {
			t.Fatalf("replica %d: %d days, want 3", i, len(days))
		}
		for _, d := range days {
			if got, w := d.UsageCounts, want[d.Day.Format("2006-01-02")]; got != w {
				t.Errorf("replica %d, %s: %+v, want %+v", i, d.Day.Format("2006-01-02"), got, w)
			}
		}
		live, err := svc.AppUsage(ctx, p.ID, appID, true, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range live {
			if w := (kobo.UsageCounts{Calls: 2 * rounds, Errors: 2 * rounds}); d.UsageCounts != w {
				t.Errorf("replica %d, live %s: %+v, want %+v", i, d.Day.Format("2006-01-02"), d.UsageCounts, w)
			}
		}
	}
}

// TestAppUsageRange: every day of the range is present (zeros where
// nothing was counted), oldest first and ending today; the range is 1..90
// days (30 by default) and only the app's owner may read it.
func TestAppUsageRange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "usage@ada.ng")
	name := "loans"
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	appID := d.App.ID
	b.svc.CountCall(appID, kobo.ModeTest, 200)
	b.clock.Add(-48 * time.Hour)
	b.svc.CountCall(appID, kobo.ModeTest, 500)
	b.svc.CountWebhook(appID, false)
	b.clock.Add(48 * time.Hour)
	if err := b.svc.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	days, err := b.svc.AppUsage(ctx, p.ID, appID, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	today := kobo.UsageDayOf(b.clock.Now())
	if len(days) != 30 || !days[29].Day.Equal(today) || !days[0].Day.Equal(today.AddDate(0, 0, -29)) {
		t.Fatalf("default range: %d days, %v..%v", len(days), days[0].Day, days[len(days)-1].Day)
	}
	var got []string
	for _, x := range days {
		if !x.IsZero() {
			got = append(got, fmt.Sprintf("%s %+v", x.Day.Format("01-02"), x.UsageCounts))
		}
	}
	if w := "04-29 {Calls:1 Errors:1 Links:0 Syncs:0 Webhooks:1},05-01 {Calls:1 Errors:0 Links:0 Syncs:0 Webhooks:0}"; strings.Join(got, ",") != w {
		t.Errorf("days with usage: %s, want %s", strings.Join(got, ","), w)
	}
	if one, err := b.svc.AppUsage(ctx, p.ID, appID, false, 1); err != nil || len(one) != 1 || one[0].Calls != 1 {
		t.Errorf("one day: %+v, %v", one, err)
	}
	if live, err := b.svc.AppUsage(ctx, p.ID, appID, true, 90); err != nil || len(live) != 90 || !live[89].IsZero() {
		t.Errorf("live: %d days, %v", len(live), err)
	}
	for _, n := range []int{91, -1} {
		_, err := b.svc.AppUsage(ctx, p.ID, appID, false, n)
		if e := code(t, err, kobo.EINVALID); !strings.Contains(e.Message, "90") {
			t.Errorf("days=%d: %q does not say the limit", n, e.Message)
		}
	}
	other := signup(t, b, "other@ada.ng")
	_, err = b.svc.AppUsage(ctx, other.ID, appID, false, 7)
	code(t, err, kobo.ENOTFOUND)
}

// TestPruneUsage: days older than UsageKept go, the rest stay.
func TestPruneUsage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	now := b.clock.Now()
	for _, age := range []time.Duration{app.UsageKept + 48*time.Hour, app.UsageKept - 48*time.Hour, 0} {
		b.clock.Add(-age)
		b.svc.CountCall("app_prune", kobo.ModeTest, 200)
		b.clock.Add(age)
	}
	if err := b.svc.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := b.svc.PruneUsage(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PruneUsage = %d, %v; want the one day past %v", n, err, app.UsageKept)
	}
	var left map[string]kobo.UsageCounts
	if err := b.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		left, err = tx.UsageTotals(ctx, []string{"app_prune"}, now.Add(-2*app.UsageKept), now)
		return err
	}); err != nil || left["app_prune"].Calls != 2 {
		t.Fatalf("after the prune: %v, %v; want 2 calls left", left, err)
	}
}
