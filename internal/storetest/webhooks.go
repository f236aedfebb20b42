package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func testSync(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "sync@b.ng").ID)
	due, later, reauth := NewAccount(t, s, a.ID), NewAccount(t, s, a.ID), NewAccount(t, s, a.ID)
	at := func(d time.Duration) *time.Time { x := T0.Add(d); return &x }
	due.NextSyncAt, later.NextSyncAt, reauth.NextSyncAt, reauth.ReauthRequired = at(-time.Minute), at(time.Hour), at(-time.Hour), true
	update(t, s, func(tx kobo.Tx) error {
		for _, x := range []*kobo.Account{due, later, reauth} {
			if err := tx.UpdateAccount(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	var got []*kobo.Account
	update(t, s, func(tx kobo.Tx) error {
		var err error
		got, err = tx.ClaimDueAccounts(ctx, T0, 10)
		return err
	})
	if len(got) != 1 || got[0].ID != due.ID || got[0].NextSyncAt != nil {
		t.Fatalf("ClaimDueAccounts = %+v", got)
	}
	update(t, s, func(tx kobo.Tx) error {
		var err error
		got, err = tx.ClaimDueAccounts(ctx, T0, 10)
		return err
	})
	if len(got) != 0 {
		t.Fatalf("an account was claimed twice")
	}

	// jobs carry an account and a result
	j := newJob("account.fetch", "", T0, 0)
	j.AccountID = due.ID
	update(t, s, func(tx kobo.Tx) error {
		if _, err := tx.EnqueueJob(ctx, j); err != nil {
			return err
		}
		return tx.SetJobResult(ctx, j.ID, []byte(`{"code":"SYNC_SUCCESSFUL"}`))
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.LatestJob(ctx, due.ID, "account.fetch", T0.Add(-time.Minute))
		if err == nil && (got.ID != j.ID || string(got.Result) != `{"code":"SYNC_SUCCESSFUL"}` || got.AccountID != due.ID) {
			err = fmt.Errorf("LatestJob = %+v", got)
		}
		if err != nil {
			return err
		}
		_, err = tx.LatestJob(ctx, due.ID, "account.fetch", T0.Add(time.Minute))
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})

	rt := &kobo.ReauthToken{Hash: "rt1", AccountID: due.ID, AppID: a.ID, ExpiresAt: T0.Add(10 * time.Minute), CreatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateReauthToken(ctx, rt) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.ReauthToken(ctx, "rt1")
		if err == nil && (got.AccountID != due.ID || !got.ExpiresAt.Equal(rt.ExpiresAt)) {
			err = fmt.Errorf("ReauthToken = %+v", got)
		}
		return err
	})
	// unlink takes the account's data with it
	update(t, s, func(tx kobo.Tx) error {
		_, err := tx.InsertTransactions(ctx, due.ID, []kobo.Transaction{{ID: kobo.NewID(T0), ProviderRef: "r", Type: kobo.Debit, Amount: 1, Date: T0, Currency: "NGN", CreatedAt: T0, UpdatedAt: T0}})
		if err != nil {
			return err
		}
		return tx.UpsertIdentity(ctx, &kobo.Identity{AccountID: due.ID, FullName: "x", CreatedAt: T0, UpdatedAt: T0})
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteAccount(ctx, due.ID) })
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.Account(ctx, due.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.Identity(ctx, due.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.ReauthToken(ctx, "rt1")
		wantCode(t, err, kobo.ENOTFOUND)
		n, err := tx.CountTransactions(ctx, due.ID)
		if err == nil && n != 0 {
			err = fmt.Errorf("%d transactions survived unlink", n)
		}
		return err
	})
	err := s.Update(ctx, func(tx kobo.Tx) error { return tx.DeleteAccount(ctx, due.ID) })
	wantCode(t, err, kobo.ENOTFOUND)
}

func recordEvent(t *testing.T, s kobo.Store, appID, accountID, typ string, at time.Time) *kobo.Event {
	t.Helper()
	e := &kobo.Event{ID: kobo.NewID(at) + kobo.RandomToken(4), AppID: appID, Type: typ, AccountID: accountID,
		Payload: json.RawMessage(`{"n":1}`), CreatedAt: at}
	update(t, s, func(tx kobo.Tx) error { return tx.RecordEvent(context.Background(), e) })
	if e.Seq == 0 {
		t.Fatal("RecordEvent did not set Seq")
	}
	return e
}

func newDelivery(t *testing.T, s kobo.Store, e *kobo.Event) *kobo.Delivery {
	t.Helper()
	d := &kobo.Delivery{ID: kobo.NewID(T0) + kobo.RandomToken(4), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type, AppID: e.AppID, AccountID: e.AccountID,
		Status: kobo.DeliveryPending, NextAttemptAt: &e.CreatedAt, CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateDelivery(context.Background(), d) })
	return d
}

func testEventFeed(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "feed@b.ng").ID)
	var evs []*kobo.Event
	for i := 0; i < 5; i++ {
		typ := kobo.EventAccountUpdated
		if i%2 == 0 {
			typ = kobo.EventAccountConnected
		}
		evs = append(evs, recordEvent(t, s, a.ID, "acct", typ, T0.Add(time.Duration(i)*time.Minute)))
	}
	view(t, s, func(tx kobo.Tx) error {
		page, err := tx.Events(ctx, kobo.EventFilter{AppID: a.ID, AfterSeq: evs[1].Seq, Limit: 2})
		if err == nil && (len(page) != 2 || page[0].ID != evs[2].ID || page[1].ID != evs[3].ID) {
			err = fmt.Errorf("feed page = %d events", len(page))
		}
		if err != nil {
			return err
		}
		from, to := T0.Add(time.Minute), T0.Add(4*time.Minute)
		ranged, err := tx.Events(ctx, kobo.EventFilter{AppID: a.ID, From: &from, To: &to, Types: []string{kobo.EventAccountConnected}, Limit: 100})
		if err == nil && (len(ranged) != 1 || ranged[0].ID != evs[2].ID) {
			err = fmt.Errorf("replay range = %d events", len(ranged))
		}
		if err != nil {
			return err
		}
		before := T0.Add(2 * time.Minute)
		lagged, err := tx.Events(ctx, kobo.EventFilter{AppID: a.ID, Before: &before, Limit: 100})
		if err == nil && len(lagged) != 2 {
			err = fmt.Errorf("Before filter = %d events", len(lagged))
		}
		if err != nil {
			return err
		}
		live, err := tx.Events(ctx, kobo.EventFilter{AppID: a.ID, Live: true, Limit: 100})
		if err == nil && len(live) != 0 {
			err = fmt.Errorf("sandbox events leaked into the live feed")
		}
		if err != nil {
			return err
		}
		e, err := tx.Event(ctx, evs[4].ID)
		if err == nil && (e.Seq != evs[4].Seq || string(e.Payload) != `{"n":1}`) {
			err = fmt.Errorf("Event = %+v", e)
		}
		return err
	})
}

func testDeliveries(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "hooks@b.ng").ID)
	other := NewApp(t, s, NewPartner(t, s, "hooks2@b.ng").ID)
	e1 := recordEvent(t, s, a.ID, "acct1", kobo.EventAccountConnected, T0)
	e2 := recordEvent(t, s, a.ID, "acct1", kobo.EventAccountUpdated, T0)
	e3 := recordEvent(t, s, a.ID, "acct2", kobo.EventAccountConnected, T0)
	e4 := recordEvent(t, s, other.ID, "acct9", kobo.EventAccountConnected, T0)
	d1, d2, d3, d4 := newDelivery(t, s, e1), newDelivery(t, s, e2), newDelivery(t, s, e3), newDelivery(t, s, e4)
	claim := func(now time.Time) map[string]*kobo.Delivery {
		var got []*kobo.Delivery
		update(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ClaimDeliveries(ctx, "w", 100, now, time.Minute)
			return err
		})
		m := map[string]*kobo.Delivery{}
		for _, d := range got {
			m[d.ID] = d
		}
		return m
	}
	got := claim(T0)
	// account 1's second event waits for its first
	if len(got) != 3 || got[d1.ID] == nil || got[d3.ID] == nil || got[d4.ID] == nil {
		t.Fatalf("first claim = %v", keys(got))
	}
	if d := got[d1.ID]; d.Event == nil || d.Event.ID != e1.ID || d.Status != kobo.DeliveryDelivering || d.Attempts != 1 {
		t.Fatalf("claimed delivery = %+v", d)
	}
	if len(claim(T0)) != 0 {
		t.Fatal("claimed in-flight deliveries again")
	}
	ok := kobo.DeliveryOutcome{DeliveryID: d1.ID, Status: kobo.DeliverySucceeded,
		Attempt: kobo.DeliveryAttempt{ID: "at1", Attempt: 1, AttemptedAt: T0, URL: "https://x", StatusCode: 200, Latency: 1500 * time.Microsecond, ResponseBody: "ok"}}
	retry := T0.Add(time.Minute)
	bad := kobo.DeliveryOutcome{DeliveryID: d3.ID, Status: kobo.DeliveryPending, NextAttemptAt: &retry,
		Attempt: kobo.DeliveryAttempt{ID: "at2", Attempt: 1, AttemptedAt: T0, URL: "https://x", StatusCode: 500, ResponseBody: "boom", Error: "status 500"}}
	update(t, s, func(tx kobo.Tx) error { return tx.FinishDeliveries(ctx, "w", []kobo.DeliveryOutcome{ok, bad}, T0) })
	got = claim(T0)
	if len(got) != 1 || got[d2.ID] == nil {
		t.Fatalf("after account 1's first event succeeded, claim = %v (want its second)", keys(got))
	}
	view(t, s, func(tx kobo.Tx) error {
		d, err := tx.Delivery(ctx, d1.ID)
		if err == nil && (d.Status != kobo.DeliverySucceeded || d.DeliveredAt == nil || d.LastStatusCode != 200 || d.Event == nil) {
			err = fmt.Errorf("delivered = %+v", d)
		}
		if err != nil {
			return err
		}
		atts, err := tx.DeliveryAttempts(ctx, d3.ID)
		if err == nil && (len(atts) != 1 || atts[0].StatusCode != 500 || atts[0].ResponseBody != "boom" || atts[0].Error != "status 500") {
			err = fmt.Errorf("attempts = %+v", atts)
		}
		if err != nil {
			return err
		}
		atts, err = tx.DeliveryAttempts(ctx, d1.ID)
		if err == nil && (len(atts) != 1 || atts[0].Latency != 1500*time.Microsecond) {
			err = fmt.Errorf("latency = %+v", atts)
		}
		if err != nil {
			return err
		}
		next, err := tx.NextDeliveryAt(ctx)
		if err == nil && (next == nil || !next.Equal(retry) && !next.Equal(T0.Add(time.Minute))) {
			err = fmt.Errorf("NextDeliveryAt = %v", next)
		}
		if err != nil {
			return err
		}
		failed, err := tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, Status: kobo.DeliveryPending, Limit: 10})
		if err == nil && (len(failed) != 1 || failed[0].ID != d3.ID) {
			err = fmt.Errorf("filtered log = %d", len(failed))
		}
		if err != nil {
			return err
		}
		all, err := tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, Limit: 2})
		if err != nil || len(all) != 2 {
			return fmt.Errorf("page 1 = %d, %v", len(all), err)
		}
		rest, err := tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, Limit: 10, BeforeCreated: &all[1].CreatedAt, BeforeID: all[1].ID})
		if err == nil && len(rest) != 1 {
			err = fmt.Errorf("page 2 = %d", len(rest))
		}
		return err
	})
	// the lease of a dead worker expires and the delivery is claimed again
	if got := claim(T0.Add(2 * time.Minute)); got[d2.ID] == nil || got[d2.ID].Attempts != 2 || got[d3.ID] == nil {
		t.Fatalf("after lease expiry = %v", keys(got))
	}
	// a worker at its limit hands a claimed delivery back untried
	update(t, s, func(tx kobo.Tx) error { return tx.ReleaseDeliveries(ctx, "w", []string{d3.ID}, T0.Add(5*time.Minute)) })
	view(t, s, func(tx kobo.Tx) error {
		d, err := tx.Delivery(ctx, d3.ID)
		if err == nil && (d.Status != kobo.DeliveryPending || d.Attempts != 1 || !d.NextAttemptAt.Equal(T0.Add(5*time.Minute))) {
			err = fmt.Errorf("released = %+v", d)
		}
		return err
	})
	// redelivery of a finished one
	update(t, s, func(tx kobo.Tx) error { return tx.RequeueDelivery(ctx, d1.ID, T0.Add(3*time.Minute)) })
	// a disabled endpoint is not claimed
	dis := T0
	update(t, s, func(tx kobo.Tx) error { return tx.SetWebhookHealth(ctx, a.ID, &dis, &dis) })
	for _, d := range claim(T0.Add(10 * time.Minute)) {
		if d.AppID == a.ID {
			t.Fatalf("claimed %s for a disabled endpoint", d.ID)
		}
	}
	// nor is it due: a dispatcher asked when to wake would otherwise wake
	// at once, claim nothing and ask again, for as long as the endpoint
	// stays disabled (it spun at a millisecond a turn)
	view(t, s, func(tx kobo.Tx) error {
		next, err := tx.NextDeliveryAt(ctx)
		// the disabled app's redelivery is due at T0+3m; the other app's
		// delivery, just claimed, at its lease's end
		if err == nil && (next == nil || !next.Equal(T0.Add(11*time.Minute))) {
			err = fmt.Errorf("NextDeliveryAt = %v, want the other app's lease end %v", next, T0.Add(11*time.Minute))
		}
		return err
	})
	view(t, s, func(tx kobo.Tx) error {
		app, err := tx.App(ctx, a.ID)
		if err == nil && (app.WebhookDisabledAt == nil || app.WebhookFailingSince == nil) {
			err = fmt.Errorf("health not stored: %+v", app)
		}
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.SetWebhookHealth(ctx, a.ID, nil, nil) })
	if got := claim(T0.Add(10 * time.Minute)); got[d1.ID] == nil {
		t.Fatalf("re-enabled endpoint: %v", keys(got))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// testDeliveryOrder walks one account's queue: each delivery waits for the
// one before it while that one is in flight or untried, a failed one stops
// holding the rest back while it waits for its retry, and deliveries of
// other accounts are never held up.
func testDeliveryOrder(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "order@b.ng").ID)
	var ds []*kobo.Delivery
	for i := 0; i < 4; i++ {
		ds = append(ds, newDelivery(t, s, recordEvent(t, s, a.ID, "acct1", kobo.EventAccountUpdated, T0)))
	}
	lone := newDelivery(t, s, recordEvent(t, s, a.ID, "acct2", kobo.EventAccountUpdated, T0))
	claim := func(now time.Time) []string {
		t.Helper()
		var got []*kobo.Delivery
		update(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ClaimDeliveries(ctx, "w", 100, now, time.Hour) // no lease lapses here
			return err
		})
		var ids []string
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		slices.Sort(ids)
		return ids
	}
	finish := func(id string, st kobo.DeliveryStatus, next *time.Time) {
		t.Helper()
		update(t, s, func(tx kobo.Tx) error {
			return tx.FinishDeliveries(ctx, "w", []kobo.DeliveryOutcome{{DeliveryID: id, Status: st, NextAttemptAt: next,
				Attempt: kobo.DeliveryAttempt{ID: kobo.RandomToken(8), Attempt: 1, AttemptedAt: T0, URL: "https://x", StatusCode: 200}}}, T0)
		})
	}
	want := func(got []string, ids ...string) {
		t.Helper()
		slices.Sort(ids)
		if !slices.Equal(got, ids) {
			t.Fatalf("claimed %v, want %v", got, ids)
		}
	}
	want(claim(T0), ds[0].ID, lone.ID)
	want(claim(T0)) // both in flight: nothing else may go
	finish(lone.ID, kobo.DeliverySucceeded, nil)
	want(claim(T0)) // account 2 finishing frees nothing of account 1
	retry := T0.Add(time.Minute)
	finish(ds[0].ID, kobo.DeliveryPending, &retry) // failed: it waits for its retry and lets the next go
	want(claim(T0), ds[1].ID)
	finish(ds[1].ID, kobo.DeliverySucceeded, nil)
	want(claim(T0), ds[2].ID)
	var next *time.Time
	view(t, s, func(tx kobo.Tx) error {
		var err error
		next, err = tx.NextDeliveryAt(ctx)
		return err
	})
	if next == nil || next.After(retry) {
		t.Fatalf("NextDeliveryAt = %v, want at most the retry at %v", next, retry)
	}
	want(claim(retry), ds[0].ID) // the retry is due; the fourth still waits for the third
	finish(ds[2].ID, kobo.DeliverySucceeded, nil)
	want(claim(retry)) // the retry in flight holds the fourth back, as any delivery in flight does
	finish(ds[0].ID, kobo.DeliverySucceeded, nil)
	want(claim(retry), ds[3].ID)
	// a delivery recorded while the queue is empty goes at once
	finish(ds[3].ID, kobo.DeliverySucceeded, nil)
	late := newDelivery(t, s, recordEvent(t, s, a.ID, "acct1", kobo.EventAccountUpdated, T0))
	want(claim(retry), late.ID)
}

// testQueueStats: the backlog counts what is due, by kind, with the age of
// the oldest; future work and finished work do not count.
func testQueueStats(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	stats := func(now time.Time) kobo.QueueStats {
		t.Helper()
		var st kobo.QueueStats
		view(t, s, func(tx kobo.Tx) error {
			var err error
			st, err = tx.QueueStats(ctx, now)
			return err
		})
		return st
	}
	if st := stats(T0); len(st.Jobs) != 0 || st.Deliveries.Depth != 0 || st.Deliveries.OldestDue != nil {
		t.Fatalf("empty store: %+v", st)
	}
	update(t, s, func(tx kobo.Tx) error {
		for _, j := range []*kobo.Job{newJob("a.fetch", "", T0.Add(-time.Minute), 0), newJob("a.fetch", "", T0, 0), newJob("b.pdf", "", T0.Add(-time.Hour), 0),
			newJob("b.pdf", "", T0.Add(time.Hour), 0)} {
			if _, err := tx.EnqueueJob(ctx, j); err != nil {
				return err
			}
		}
		return nil
	})
	a := NewApp(t, s, NewPartner(t, s, "queue@b.ng").ID)
	e1 := recordEvent(t, s, a.ID, "acct1", kobo.EventAccountUpdated, T0.Add(-2*time.Minute))
	newDelivery(t, s, e1)
	newDelivery(t, s, recordEvent(t, s, a.ID, "acct1", kobo.EventAccountUpdated, T0)) // waits for the first: not ready
	newDelivery(t, s, recordEvent(t, s, a.ID, "acct2", kobo.EventAccountUpdated, T0.Add(time.Minute)))
	st := stats(T0)
	if len(st.Jobs) != 2 || st.Jobs[0].Kind != "a.fetch" || st.Jobs[0].Depth != 2 || !st.Jobs[0].OldestDue.Equal(T0.Add(-time.Minute)) ||
		st.Jobs[1].Kind != "b.pdf" || st.Jobs[1].Depth != 1 || !st.Jobs[1].OldestDue.Equal(T0.Add(-time.Hour)) {
		t.Fatalf("job queues = %+v", st.Jobs)
	}
	if st.Deliveries.Depth != 1 || st.Deliveries.OldestDue == nil || !st.Deliveries.OldestDue.Equal(e1.CreatedAt) {
		t.Fatalf("delivery queue = %+v", st.Deliveries)
	}
}

// testDisabledBacklogStarvesNoOne: an endpoint disabled with more due
// deliveries than a claim looks at (1,024) must not hold back another
// app's. They were passed over only after being taken as the claim's
// candidates, so the oldest thousand, all the disabled app's, left none
// for anyone else while it stayed disabled.
func testDisabledBacklogStarvesNoOne(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	down := NewApp(t, s, NewPartner(t, s, "down@b.ng").ID)
	up := NewApp(t, s, NewPartner(t, s, "up@b.ng").ID)
	old := T0.Add(-time.Hour)
	update(t, s, func(tx kobo.Tx) error {
		for i := range 1100 {
			e := &kobo.Event{ID: kobo.NewID(old) + kobo.RandomToken(4), AppID: down.ID, Type: kobo.EventAccountUpdated, AccountID: fmt.Sprintf("acct%d", i),
				Payload: json.RawMessage(`{"n":1}`), CreatedAt: old}
			if err := tx.RecordEvent(ctx, e); err != nil {
				return err
			}
			d := &kobo.Delivery{ID: kobo.NewID(old) + kobo.RandomToken(4), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type, AppID: down.ID, AccountID: e.AccountID,
				Status: kobo.DeliveryPending, NextAttemptAt: &old, CreatedAt: old, UpdatedAt: old}
			if err := tx.CreateDelivery(ctx, d); err != nil {
				return err
			}
		}
		return tx.SetWebhookHealth(ctx, down.ID, &old, &old)
	})
	want := newDelivery(t, s, recordEvent(t, s, up.ID, "acct", kobo.EventAccountConnected, T0))
	var got []*kobo.Delivery
	update(t, s, func(tx kobo.Tx) error {
		var err error
		got, err = tx.ClaimDeliveries(ctx, "w", 10, T0, time.Minute)
		return err
	})
	if len(got) != 1 || got[0].ID != want.ID {
		t.Fatalf("claimed %d deliveries behind a disabled endpoint's backlog, want only the other app's %s", len(got), want.ID)
	}
}
