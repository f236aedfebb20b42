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

// testAppPurge covers what deleting an app does to its data: its work
// stops, its accounts are listed for their last events, and the purge
// takes everything in batches but the account_unlinked events.
func testAppPurge(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "purge@b.ng")
	a, other := NewApp(t, s, p.ID), NewApp(t, s, p.ID)
	var accts []*kobo.Account
	for i := 0; i < 3; i++ {
		acct := NewAccount(t, s, a.ID)
		next := T0.Add(time.Hour)
		acct.NextSyncAt = &next
		update(t, s, func(tx kobo.Tx) error { return tx.UpdateAccount(ctx, acct) })
		accts = append(accts, acct)
	}
	kept := NewAccount(t, s, other.ID)
	cust := &kobo.Customer{ID: kobo.NewID(T0), AppID: a.ID, Name: "Ada", Email: "ada@b.ng", CreatedAt: T0, UpdatedAt: T0}
	job := newJob("account.fetch", "fetch:"+accts[0].ID, T0, 0)
	job.AccountID = accts[0].ID
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.CreateCustomer(ctx, cust); err != nil {
			return err
		}
		_, err := tx.EnqueueJob(ctx, job)
		return err
	})
	updated := recordEvent(t, s, a.ID, accts[0].ID, kobo.EventAccountUpdated, T0)
	unlinked := recordEvent(t, s, a.ID, accts[0].ID, kobo.EventAccountUnlinked, T0)
	newDelivery(t, s, updated)
	newDelivery(t, s, unlinked)
	// another account's update is in flight at a dispatcher when the purge
	// runs, its account_unlinked waiting behind it
	updated1 := recordEvent(t, s, a.ID, accts[1].ID, kobo.EventAccountUpdated, T0)
	lease := T0.Add(48 * time.Hour) // not lapsed at any time below
	inFlight := &kobo.Delivery{ID: kobo.NewID(T0) + "fly", EventID: updated1.ID, EventSeq: updated1.Seq, EventType: updated1.Type, AppID: a.ID,
		AccountID: accts[1].ID, Status: kobo.DeliveryDelivering, Attempts: 1, LockedBy: "w2", LockedUntil: &lease, NextAttemptAt: &T0, CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateDelivery(ctx, inFlight) })
	unlinked1 := newDelivery(t, s, recordEvent(t, s, a.ID, accts[1].ID, kobo.EventAccountUnlinked, T0))

	view(t, s, func(tx kobo.Tx) error {
		if _, err := tx.DeletedApp(ctx, a.ID); err != nil {
			return err
		}
		_, err := tx.DeletedApp(ctx, "nope")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.DeleteApp(ctx, a.ID, T0); err != nil {
			return err
		}
		if err := tx.StopAppWork(ctx, a.ID, T0); err != nil {
			return err
		}
		return tx.ScheduleAppPurge(ctx, a.ID, T0.Add(time.Hour))
	})
	// announcements pending hold the purge back
	start, mid := "", accts[0].ID
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.SetUnlinkCursor(ctx, a.ID, &start); err != nil {
			return err
		}
		if p, err := tx.AppsUnlinkPending(ctx, 10); err != nil || !slices.Equal(p, []string{a.ID}) {
			return fmt.Errorf("AppsUnlinkPending = %v, %v", p, err)
		}
		if due, err := tx.AppsDueForPurge(ctx, T0.Add(time.Hour), 10); err != nil || len(due) != 0 {
			return fmt.Errorf("due while announcements are pending: %v, %v", due, err)
		}
		if err := tx.SetUnlinkCursor(ctx, a.ID, &mid); err != nil {
			return err
		}
		if c, err := tx.UnlinkCursor(ctx, a.ID); err != nil || c == nil || *c != mid {
			return fmt.Errorf("UnlinkCursor = %v, %v", c, err)
		}
		if err := tx.SetUnlinkCursor(ctx, a.ID, nil); err != nil {
			return err
		}
		if c, err := tx.UnlinkCursor(ctx, a.ID); err != nil || c != nil {
			return fmt.Errorf("UnlinkCursor after done = %v, %v", c, err)
		}
		if c, err := tx.UnlinkCursor(ctx, other.ID); err != nil || c != nil {
			return fmt.Errorf("UnlinkCursor of an app never deleted = %v, %v", c, err)
		}
		if p, err := tx.AppsUnlinkPending(ctx, 10); err != nil || len(p) != 0 {
			return fmt.Errorf("AppsUnlinkPending after done = %v, %v", p, err)
		}
		_, err := tx.UnlinkCursor(ctx, "nope")
		wantCode(t, err, kobo.ENOTFOUND)
		wantCode(t, tx.SetUnlinkCursor(ctx, "nope", nil), kobo.ENOTFOUND)
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if due, err := tx.ClaimDueAccounts(ctx, T0.Add(2*time.Hour), 10); err != nil || len(due) != 0 {
			return fmt.Errorf("a deleted app's accounts are still due: %d, %v", len(due), err)
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		if j, err := tx.Job(ctx, job.ID); err != nil || j.Status != kobo.JobCancelled {
			return fmt.Errorf("queued job after StopAppWork: %+v, %v", j, err)
		}
		if got, err := tx.DeletedApp(ctx, a.ID); err != nil || got.WebhookSecret != a.WebhookSecret {
			return fmt.Errorf("DeletedApp = %+v, %v", got, err)
		}
		var ids []string
		for after := ""; ; {
			page, err := tx.AppAccounts(ctx, a.ID, after, 2)
			if err != nil {
				return err
			}
			for _, x := range page {
				ids, after = append(ids, x.ID), x.ID
			}
			if len(page) < 2 {
				break
			}
		}
		want := []string{accts[0].ID, accts[1].ID, accts[2].ID}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			return fmt.Errorf("AppAccounts = %v, want %v", ids, want)
		}
		if due, err := tx.AppsDueForPurge(ctx, T0.Add(time.Minute), 10); err != nil || len(due) != 0 {
			return fmt.Errorf("due before its time: %v, %v", due, err)
		}
		if due, err := tx.AppsDueForPurge(ctx, T0.Add(time.Hour), 10); err != nil || !slices.Equal(due, []string{a.ID}) {
			return fmt.Errorf("AppsDueForPurge = %v, %v", due, err)
		}
		return nil
	})
	wantCode(t, s.Update(ctx, func(tx kobo.Tx) error { return tx.ScheduleAppPurge(ctx, other.ID, T0) }), kobo.ENOTFOUND)
	// usage goes with the app; another app's stays
	update(t, s, func(tx kobo.Tx) error {
		return tx.AddUsage(ctx, []kobo.UsageDay{{AppID: a.ID, Mode: kobo.ModeTest, Day: T0, UsageCounts: kobo.UsageCounts{Calls: 1}},
			{AppID: other.ID, Mode: kobo.ModeTest, Day: T0, UsageCounts: kobo.UsageCounts{Calls: 2}}})
	})
	batches := 0
	for done := false; !done; batches++ {
		update(t, s, func(tx kobo.Tx) error {
			var err error
			done, err = tx.PurgeAppBatch(ctx, a.ID, 2, T0.Add(time.Hour))
			return err
		})
	}
	if batches != 2 {
		t.Fatalf("3 accounts in batches of 2 took %d batches", batches)
	}
	view(t, s, func(tx kobo.Tx) error {
		for _, x := range accts {
			_, err := tx.Account(ctx, x.ID)
			wantCode(t, err, kobo.ENOTFOUND)
		}
		_, err := tx.Customer(ctx, cust.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		if _, err := tx.Account(ctx, kept.ID); err != nil {
			return fmt.Errorf("another app's account went: %w", err)
		}
		if used, err := tx.UsageTotals(ctx, []string{a.ID, other.ID}, T0, T0); err != nil || len(used) != 1 || used[other.ID].Calls != 2 {
			return fmt.Errorf("usage after the purge = %v, %v; want only the other app's", used, err)
		}
		_, err = tx.Event(ctx, updated.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		if _, err := tx.Event(ctx, unlinked.ID); err != nil {
			return fmt.Errorf("account_unlinked went with the purge: %w", err)
		}
		ds, err := tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: a.ID, Limit: 10})
		var kinds []string
		for _, d := range ds {
			kinds = append(kinds, string(d.EventType)+"/"+string(d.Status))
		}
		slices.Sort(kinds)
		if want := []string{"mono.events.account_unlinked/pending", "mono.events.account_unlinked/pending", "mono.events.account_updated/delivering"}; err != nil || !slices.Equal(kinds, want) {
			return fmt.Errorf("deliveries after purge = %v (%v), want %v", kinds, err, want)
		}
		return nil
	})
	// account_unlinked waited behind account_updated, which the purge
	// took: it goes now, or it would wait for a delivery that never comes
	update(t, s, func(tx kobo.Tx) error {
		got, err := tx.ClaimDeliveries(ctx, "w", 100, T0.Add(time.Hour), time.Minute)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].EventType != kobo.EventAccountUnlinked {
			return fmt.Errorf("after the purge the claim took %d deliveries, not account_unlinked", len(got))
		}
		return tx.ReleaseDeliveries(ctx, "w", []string{got[0].ID}, T0)
	})
	// the in-flight one is recorded (its row stayed), and its account's
	// account_unlinked goes next
	update(t, s, func(tx kobo.Tx) error {
		at := T0.Add(time.Hour)
		if err := tx.FinishDeliveries(ctx, "w2", []kobo.DeliveryOutcome{{DeliveryID: inFlight.ID, Status: kobo.DeliverySucceeded,
			Attempt: kobo.DeliveryAttempt{ID: kobo.NewID(T0) + "att", DeliveryID: inFlight.ID, Attempt: 1, AttemptedAt: at, StatusCode: 204}}}, at); err != nil {
			return fmt.Errorf("finishing a delivery in flight during the purge: %w", err)
		}
		got, err := tx.ClaimDeliveries(ctx, "w", 100, at, time.Minute)
		if err != nil {
			return err
		}
		var ids []string
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		if !slices.Contains(ids, unlinked1.ID) {
			return fmt.Errorf("after the in-flight delivery finished the claim took %v, not its account's account_unlinked %s", ids, unlinked1.ID)
		}
		return tx.ReleaseDeliveries(ctx, "w", ids, T0)
	})
	view(t, s, func(tx kobo.Tx) error {
		if due, err := tx.AppsDueForPurge(ctx, T0.Add(48*time.Hour), 10); err != nil || len(due) != 0 {
			return fmt.Errorf("a purged app is due again: %v, %v", due, err)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateEventPayload(ctx, unlinked.ID, json.RawMessage(`{"r":1}`)) })
	view(t, s, func(tx kobo.Tx) error {
		e, err := tx.Event(ctx, unlinked.ID)
		if err == nil && string(e.Payload) != `{"r":1}` {
			err = fmt.Errorf("payload = %s", e.Payload)
		}
		return err
	})
	wantCode(t, s.Update(ctx, func(tx kobo.Tx) error { return tx.UpdateEventPayload(ctx, "nope", json.RawMessage(`{}`)) }), kobo.ENOTFOUND)
}

// testPrune covers each retention kind: old rows go, recent ones and
// rows still in use stay, and limit bounds a batch.
func testPrune(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "prune@b.ng")
	a := NewApp(t, s, p.ID)
	old, recent := T0.Add(-40*24*time.Hour), T0.Add(-time.Hour)
	cutoff := T0.Add(-30 * 24 * time.Hour)

	e1, e2 := recordEvent(t, s, a.ID, "", kobo.EventWebhookTest, old), recordEvent(t, s, a.ID, "", kobo.EventWebhookTest, recent)
	finished := &kobo.Delivery{ID: kobo.NewID(old) + "fin", EventID: e1.ID, EventSeq: e1.Seq, EventType: e1.Type, AppID: a.ID,
		Status: kobo.DeliverySucceeded, Attempts: 1, CreatedAt: old, UpdatedAt: old, DeliveredAt: &old}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateDelivery(ctx, finished) })
	pendingOld := newDelivery(t, s, e1)

	cs := func(id string, exp time.Time, customer string) *kobo.ConnectSession {
		return &kobo.ConnectSession{ID: id, AppID: a.ID, InstitutionID: "inst", AuthMethod: kobo.InternetBanking, Scope: kobo.ScopeAuth,
			State: kobo.SessionCreated, CustomerID: customer, Form: kobo.UIForm{Title: "x"}, ExpiresAt: exp, CreatedAt: exp, UpdatedAt: exp}
	}
	linked := NewAccount(t, s, a.ID)
	custs := map[string]*kobo.Customer{}
	for _, id := range []string{"c_old", "c_recent", "c_linked", "c_session"} {
		at := old
		if id == "c_recent" {
			at = recent
		}
		custs[id] = &kobo.Customer{ID: id, AppID: a.ID, Name: id, CreatedAt: at, UpdatedAt: at}
	}
	linked.CustomerID = "c_linked"
	update(t, s, func(tx kobo.Tx) error {
		for _, c := range custs {
			if err := tx.CreateCustomer(ctx, c); err != nil {
				return err
			}
		}
		if err := tx.UpdateAccount(ctx, linked); err != nil {
			return err
		}
		for _, x := range []*kobo.ConnectSession{cs("sess_old", old, ""), cs("sess_recent", recent, ""), cs("sess_live", T0.Add(time.Hour), "c_session")} {
			if err := tx.CreateConnectSession(ctx, x); err != nil {
				return err
			}
		}
		for _, st := range []*kobo.Statement{{ID: "st_old", AccountID: linked.ID, AppID: a.ID, Status: "BUILT", Period: "last1months", From: old, To: old, PDF: []byte("%PDF"), CreatedAt: old},
			{ID: "st_recent", AccountID: linked.ID, AppID: a.ID, Status: "BUILT", Period: "last1months", From: recent, To: recent, CreatedAt: recent}} {
			if err := tx.CreateStatement(ctx, st); err != nil {
				return err
			}
		}
		for _, tok := range []*kobo.PartnerToken{{Hash: "h_old", PartnerID: p.ID, Kind: "api", CreatedAt: old, ExpiresAt: old.Add(time.Hour)},
			{Hash: "h_live", PartnerID: p.ID, Kind: "api", CreatedAt: T0, ExpiresAt: T0.Add(time.Hour)}} {
			if err := tx.CreatePartnerToken(ctx, tok); err != nil {
				return err
			}
		}
		for _, r := range []*kobo.PasswordReset{{TokenHash: "pr_old", PartnerID: p.ID, CreatedAt: old, ExpiresAt: old.Add(30 * time.Minute)},
			{TokenHash: "pr_live", PartnerID: p.ID, CreatedAt: T0, ExpiresAt: T0.Add(30 * time.Minute)}} {
			if err := tx.CreatePasswordReset(ctx, r); err != nil {
				return err
			}
		}
		return tx.CreateReauthToken(ctx, &kobo.ReauthToken{Hash: "r_old", AccountID: linked.ID, AppID: a.ID, ExpiresAt: old, CreatedAt: old})
	})

	prune := func(k kobo.PruneKind, before time.Time, limit int) int {
		t.Helper()
		var n int
		update(t, s, func(tx kobo.Tx) error {
			var err error
			n, err = tx.Prune(ctx, k, before, limit)
			return err
		})
		return n
	}
	// events: the old event and its finished delivery go, the pending one stays
	if n := prune(kobo.PruneEvents, cutoff, 1000); n != 2 {
		t.Fatalf("pruned %d events and deliveries, want 2 (an old event and its finished delivery)", n)
	}
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.Event(ctx, e1.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		if _, err := tx.Event(ctx, e2.ID); err != nil {
			return err
		}
		if _, err := tx.Delivery(ctx, pendingOld.ID); err != nil {
			return fmt.Errorf("a pending delivery was pruned: %w", err)
		}
		return nil
	})
	// sessions, then customers that never linked and have no session
	if n := prune(kobo.PruneSessions, cutoff, 1000); n != 1 {
		t.Fatalf("pruned %d sessions, want 1", n)
	}
	if n := prune(kobo.PruneCustomers, cutoff, 1); n != 1 {
		t.Fatalf("pruned %d customers with limit 1", n)
	}
	if n := prune(kobo.PruneCustomers, cutoff, 1000); n != 0 {
		t.Fatalf("pruned %d more customers, want 0 (c_old went; the rest are recent, linked or in a session)", n)
	}
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.Customer(ctx, "c_old")
		wantCode(t, err, kobo.ENOTFOUND)
		for _, id := range []string{"c_recent", "c_linked", "c_session"} {
			if _, err := tx.Customer(ctx, id); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
		}
		_, err = tx.ConnectSession(ctx, "sess_old")
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.ConnectSession(ctx, "sess_recent")
		return err
	})
	if n := prune(kobo.PruneStatements, T0.Add(-24*time.Hour), 1000); n != 1 {
		t.Fatalf("pruned %d statements, want 1", n)
	}
	if n := prune(kobo.PruneTokens, T0, 1000); n != 3 {
		t.Fatalf("pruned %d tokens, want the expired partner token, re-auth token and password reset", n)
	}
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.PasswordReset(ctx, "pr_old")
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.PasswordReset(ctx, "pr_live")
		return err
	})
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.Statement(ctx, "st_old", true)
		wantCode(t, err, kobo.ENOTFOUND)
		if _, err := tx.Statement(ctx, "st_recent", false); err != nil {
			return err
		}
		_, err = tx.PartnerTokenByHash(ctx, "h_old")
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.PartnerTokenByHash(ctx, "h_live")
		return err
	})
	if _, err := func() (int, error) {
		var n int
		err := s.Update(ctx, func(tx kobo.Tx) error {
			var err error
			n, err = tx.Prune(ctx, "nope", T0, 1)
			return err
		})
		return n, err
	}(); err == nil {
		t.Fatal("an unknown prune kind was accepted")
	}
}

// testSealedFields covers raw access to sealed fields: paging by row,
// compare-and-swap replacement and the seal backlog.
func testSealedFields(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "sealed@b.ng").ID)
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, NewAccount(t, s, a.ID).ID)
	}
	slices.Sort(ids)
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.UpsertIdentity(ctx, &kobo.Identity{AccountID: ids[0], FullName: "ADA", BVN: "22123456789", CreatedAt: T0, UpdatedAt: T0}); err != nil {
			return err
		}
		if _, err := tx.InsertIdempotency(ctx, &kobo.IdempotencyRecord{AppID: a.ID, Key: "k 1", RequestHash: "h", CreatedAt: T0}); err != nil {
			return err
		}
		return tx.CompleteIdempotency(ctx, a.ID, false, "k 1", 200, []byte(`{"x":1}`), "application/json")
	})
	view(t, s, func(tx kobo.Tx) error {
		var rows []string
		for after := ""; ; {
			page, err := tx.SealedValues(ctx, kobo.FieldAccountNumber, after, 2)
			if err != nil {
				return err
			}
			for _, v := range page {
				if v.Value != "0123456789" {
					return fmt.Errorf("value = %q", v.Value)
				}
				rows, after = append(rows, v.Row), v.Row
			}
			if len(page) < 2 {
				break
			}
		}
		if !slices.Equal(rows, ids) {
			return fmt.Errorf("rows = %v, want %v", rows, ids)
		}
		if v, err := tx.SealedValues(ctx, kobo.FieldBVN, "", 10); err != nil || len(v) != 1 || v[0].Row != ids[0] || v[0].Value != "22123456789" {
			return fmt.Errorf("BVN values = %v, %v", v, err)
		}
		if v, err := tx.SealedValues(ctx, kobo.FieldIdempotency, "", 10); err != nil || len(v) != 1 || v[0].Row != a.ID+" k 1" || v[0].Value != `{"x":1}` {
			return fmt.Errorf("idempotency values = %v, %v", v, err)
		}
		// empty values are not listed
		if v, err := tx.SealedValues(ctx, kobo.FieldCustomerID, "", 10); err != nil || len(v) != 0 {
			return fmt.Errorf("customer id values = %v, %v", v, err)
		}
		for _, f := range kobo.SealedFields {
			if _, err := tx.SealedValues(ctx, f, "", 1); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
		_, err := tx.SealedValues(ctx, "nope.nope", "", 1)
		if err == nil {
			return fmt.Errorf("an unknown field was accepted")
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if ok, err := tx.ReplaceSealedValue(ctx, kobo.FieldAccountNumber, ids[1], "0123456789", "abcd0123.sealed"); err != nil || !ok {
			return fmt.Errorf("replace = %v, %v", ok, err)
		}
		if ok, err := tx.ReplaceSealedValue(ctx, kobo.FieldAccountNumber, ids[1], "0123456789", "other"); err != nil || ok {
			return fmt.Errorf("a stale replace won: %v, %v", ok, err)
		}
		if ok, err := tx.ReplaceSealedValue(ctx, kobo.FieldIdempotency, a.ID+" k 1", `{"x":1}`, "abcd0123.body"); err != nil || !ok {
			return fmt.Errorf("replace body = %v, %v", ok, err)
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Account(ctx, ids[1])
		if err == nil && got.AccountNumber != "abcd0123.sealed" {
			err = fmt.Errorf("account number = %q", got.AccountNumber)
		}
		return err
	})
	// a fresh database records every legacy field in the backlog
	var backlog []kobo.SealedField
	view(t, s, func(tx kobo.Tx) error {
		var err error
		backlog, err = tx.SealBacklog(ctx)
		return err
	})
	if len(backlog) != len(kobo.LegacyFields) || !slices.Contains(backlog, kobo.FieldAccountNumber) || slices.Contains(backlog, kobo.FieldCredentials) || slices.Contains(backlog, kobo.FieldDerivedKey) {
		t.Fatalf("backlog = %v", backlog)
	}
	update(t, s, func(tx kobo.Tx) error { return tx.SealDone(ctx, kobo.FieldAccountNumber) })
	view(t, s, func(tx kobo.Tx) error {
		var err error
		backlog, err = tx.SealBacklog(ctx)
		return err
	})
	if len(backlog) != len(kobo.LegacyFields)-1 || slices.Contains(backlog, kobo.FieldAccountNumber) {
		t.Fatalf("backlog after SealDone = %v", backlog)
	}
	// a derived key is stored once; later callers get the first one
	for _, try := range []kobo.Sealed{"abcd0123.first", "abcd0123.second"} {
		update(t, s, func(tx kobo.Tx) error {
			got, err := tx.DerivedKey(ctx, "account-fingerprint", try)
			if err == nil && got != "abcd0123.first" {
				err = fmt.Errorf("DerivedKey = %q, want the first stored", got)
			}
			return err
		})
	}
	view(t, s, func(tx kobo.Tx) error {
		v, err := tx.SealedValues(ctx, kobo.FieldDerivedKey, "", 10)
		if err == nil && (len(v) != 1 || v[0].Row != "account-fingerprint") {
			err = fmt.Errorf("derived key values = %v", v)
		}
		return err
	})
}
