package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// NewFunnelSession creates a connect session of app for the funnel tests.
func NewFunnelSession(t *testing.T, s kobo.Store, appID, inst string, live, reauth bool, at time.Time) *kobo.ConnectSession {
	t.Helper()
	scope := kobo.ScopeAuth
	if reauth {
		scope = kobo.ScopeReauth
	}
	cs := &kobo.ConnectSession{ID: "sess_" + kobo.RandomToken(24), AppID: appID, Live: live, InstitutionID: inst, AuthMethod: kobo.InternetBanking,
		Scope: scope, State: kobo.SessionCreated, Form: kobo.UIForm{Title: "Log in"}, ExpiresAt: at.Add(15 * time.Minute), CreatedAt: at, UpdatedAt: at}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateConnectSession(context.Background(), cs) })
	return cs
}

func testConnectFunnel(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "funnel@b.ng")
	a, other := NewApp(t, s, p.ID), NewApp(t, s, p.ID)
	day := time.Date(T0.Year(), T0.Month(), T0.Day(), 0, 0, 0, 0, time.UTC)
	mark := func(id string, st kobo.FunnelStage, at time.Time) bool {
		t.Helper()
		var counted bool
		update(t, s, func(tx kobo.Tx) error {
			var err error
			counted, err = tx.MarkConnectStage(ctx, id, st, at)
			return err
		})
		return counted
	}
	// one session goes all the way, marking every stage twice
	linked := NewFunnelSession(t, s, a.ID, "gtb", false, false, T0)
	for _, st := range []kobo.FunnelStage{kobo.StageStarted, kobo.StageChosen, kobo.StageSubmitted, kobo.StageLinked} {
		if !mark(linked.ID, st, T0) {
			t.Fatalf("first mark of %s did not count", st)
		}
		if mark(linked.ID, st, T0.Add(time.Minute)) {
			t.Fatalf("second mark of %s counted", st)
		}
	}
	// a failed one: its end is counted once, and a later exit is not an end
	failed := NewFunnelSession(t, s, a.ID, "gtb", false, false, T0)
	mark(failed.ID, kobo.StageStarted, T0)
	mark(failed.ID, kobo.StageSubmitted, T0)
	if !mark(failed.ID, kobo.StageFailed, T0) || mark(failed.ID, kobo.StageExited, T0) || mark(failed.ID, kobo.StageFailed, T0) {
		t.Fatal("a session's end must count once, the first one")
	}
	// another institution, the next day; a live one; a re-auth one; another app's
	next := NewFunnelSession(t, s, a.ID, "access", false, false, T0.Add(24*time.Hour))
	mark(next.ID, kobo.StageStarted, T0.Add(24*time.Hour))
	mark(next.ID, kobo.StageExited, T0.Add(24*time.Hour))
	live := NewFunnelSession(t, s, a.ID, "gtb", true, false, T0)
	mark(live.ID, kobo.StageStarted, T0)
	reauth := NewFunnelSession(t, s, a.ID, "gtb", false, true, T0)
	mark(reauth.ID, kobo.StageStarted, T0)
	mark(reauth.ID, kobo.StageLinked, T0)
	o := NewFunnelSession(t, s, other.ID, "gtb", false, false, T0)
	mark(o.ID, kobo.StageStarted, T0)

	err := s.Update(ctx, func(tx kobo.Tx) error {
		_, err := tx.MarkConnectStage(ctx, "sess_missing", kobo.StageStarted, T0)
		return err
	})
	wantCode(t, err, kobo.ENOTFOUND)
	err = s.Update(ctx, func(tx kobo.Tx) error { _, err := tx.MarkConnectStage(ctx, linked.ID, "bogus", T0); return err })
	wantCode(t, err, kobo.EINVALID)

	sandbox, yes, no := false, true, false
	funnel := func(f kobo.FunnelFilter) string {
		t.Helper()
		if f.AppID == "" {
			f.AppID = a.ID
		}
		var rows []kobo.FunnelRow
		view(t, s, func(tx kobo.Tx) error {
			var err error
			rows, err = tx.ConnectFunnel(ctx, f)
			return err
		})
		return fmt.Sprint(rows)
	}
	for _, c := range []struct {
		name string
		f    kobo.FunnelFilter
		want string
	}{
		{"both days sandbox, no re-auth", kobo.FunnelFilter{From: day, To: day.AddDate(0, 0, 2), Live: &sandbox, Reauth: &no},
			"[{gtb {2 1 2 1 0 1}} {access {1 0 0 0 1 0}}]"},
		{"first day, every mode and scope", kobo.FunnelFilter{From: day, To: day.AddDate(0, 0, 1)},
			"[{gtb {4 1 2 2 0 1}}]"},
		{"re-auth only", kobo.FunnelFilter{From: day, To: day.AddDate(0, 0, 2), Reauth: &yes},
			"[{gtb {1 0 0 1 0 0}}]"},
		{"live only", kobo.FunnelFilter{From: day, To: day.AddDate(0, 0, 2), Live: &yes},
			"[{gtb {1 0 0 0 0 0}}]"},
		{"second day", kobo.FunnelFilter{From: day.AddDate(0, 0, 1), To: day.AddDate(0, 0, 2)},
			"[{access {1 0 0 0 1 0}}]"},
		{"nothing before", kobo.FunnelFilter{From: day.AddDate(0, 0, -5), To: day}, "[]"},
		{"the other app", kobo.FunnelFilter{AppID: other.ID, From: day, To: day.AddDate(0, 0, 2)}, "[{gtb {1 0 0 0 0 0}}]"},
	} {
		if got := funnel(c.f); got != c.want {
			t.Errorf("%s: ConnectFunnel = %s, want %s", c.name, got, c.want)
		}
	}

	// the counters outlive the sessions (pruned when expired) and go with the app
	update(t, s, func(tx kobo.Tx) error {
		_, err := tx.Prune(ctx, kobo.PruneSessions, T0.Add(48*time.Hour), 100)
		return err
	})
	if got := funnel(kobo.FunnelFilter{From: day, To: day.AddDate(0, 0, 2), Live: &sandbox, Reauth: &no}); got != "[{gtb {2 1 2 1 0 1}} {access {1 0 0 0 1 0}}]" {
		t.Errorf("after pruning sessions: %s", got)
	}
	for done := false; !done; {
		update(t, s, func(tx kobo.Tx) error {
			var err error
			done, err = tx.PurgeAppBatch(ctx, a.ID, 100, T0)
			return err
		})
	}
	if got := funnel(kobo.FunnelFilter{From: day, To: day.AddDate(0, 0, 2)}); got != "[]" {
		t.Errorf("after purging the app: %s", got)
	}
}
