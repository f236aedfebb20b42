package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func testConnectSessions(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "sess@b.ng").ID)
	cs := &kobo.ConnectSession{ID: "sess_" + kobo.RandomToken(24), AppID: a.ID, InstitutionID: "inst", AuthMethod: kobo.InternetBanking,
		Scope: kobo.ScopeAuth, State: kobo.SessionCreated, CustomerName: "Ada", CustomerEmail: "ada@b.ng", Reference: "ref-1",
		Form:      kobo.UIForm{Title: "Log in", Form: []kobo.FormField{{Type: "elements.input", Name: "username", Hint: "User", ContentType: "string"}}},
		ExpiresAt: T0.Add(15 * time.Minute), CreatedAt: T0, UpdatedAt: T0, ViaLink: true}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateConnectSession(ctx, cs) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.ConnectSession(ctx, cs.ID)
		if err == nil && (got.State != kobo.SessionCreated || got.Form.Form[0].Name != "username" || got.CustomerEmail != "ada@b.ng" ||
			!got.ExpiresAt.Equal(cs.ExpiresAt) || got.CodeHash != "" || got.BusyUntil != nil || got.Live || !got.ViaLink) {
			err = fmt.Errorf("ConnectSession = %+v", got)
		}
		return err
	})
	// one claim at a time
	update(t, s, func(tx kobo.Tx) error { return tx.ClaimConnectSession(ctx, cs.ID, T0, T0.Add(30*time.Second)) })
	err := s.Update(ctx, func(tx kobo.Tx) error {
		return tx.ClaimConnectSession(ctx, cs.ID, T0.Add(time.Second), T0.Add(31*time.Second))
	})
	wantCode(t, err, kobo.ECONFLICT)
	err = s.Update(ctx, func(tx kobo.Tx) error { return tx.ClaimConnectSession(ctx, "sess_missing", T0, T0) })
	wantCode(t, err, kobo.ENOTFOUND)
	// an expired claim can be taken over
	update(t, s, func(tx kobo.Tx) error {
		return tx.ClaimConnectSession(ctx, cs.ID, T0.Add(time.Minute), T0.Add(90*time.Second))
	})

	exp := T0.Add(10 * time.Minute)
	cs.State, cs.Challenge, cs.BankSession, cs.Accounts = kobo.SessionLinked, "k1.challenge", "k1.session", "k1.accounts"
	cs.Attempts, cs.CodeHash, cs.CodeExpiresAt, cs.AccountID, cs.UpdatedAt = 2, "codehash", &exp, "acct", T0.Add(time.Minute)
	cs.Form = kobo.UIForm{Title: "OTP", Form: []kobo.FormField{{Type: "elements.input", Name: "otp", Hint: "OTP", ContentType: "string"}}}
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateConnectSession(ctx, cs) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.ConnectSessionByCode(ctx, "codehash")
		if err == nil && (got.ID != cs.ID || got.State != kobo.SessionLinked || got.BankSession != "k1.session" || got.Attempts != 2 ||
			got.Form.Form[0].Name != "otp" || got.CodeExpiresAt == nil || !got.CodeExpiresAt.Equal(exp) || got.BusyUntil != nil || got.AccountID != "acct") {
			err = fmt.Errorf("after update: %+v", got)
		}
		if err != nil {
			return err
		}
		_, err = tx.ConnectSessionByCode(ctx, "other")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	// the update released the claim
	update(t, s, func(tx kobo.Tx) error {
		return tx.ClaimConnectSession(ctx, cs.ID, T0.Add(time.Minute), T0.Add(2*time.Minute))
	})

	c := &kobo.Customer{ID: kobo.NewID(T0), AppID: a.ID, Name: "Ada", Email: "Ada@B.ng", CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateCustomer(ctx, c) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.CustomerByEmail(ctx, a.ID, false, "ada@b.NG")
		if err == nil && got.ID != c.ID {
			err = fmt.Errorf("CustomerByEmail = %+v", got)
		}
		if err != nil {
			return err
		}
		_, err = tx.CustomerByEmail(ctx, a.ID, true, "ada@b.ng")
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.Customer(ctx, c.ID)
		return err
	})
}

// NewAccount inserts an account for an app and returns it.
func NewAccount(t *testing.T, s kobo.Store, appID string) *kobo.Account {
	t.Helper()
	acct := &kobo.Account{ID: kobo.NewID(T0), AppID: appID, InstitutionID: "inst", AuthMethod: kobo.InternetBanking, ProviderRef: "bank-acct-1",
		Name: "ADA OBI", AccountNumber: "0123456789", Fingerprint: "fp1", Type: "SAVINGS ACCOUNT", Currency: "NGN", Balance: 1234567,
		BVNLast4: "4321", DataStatus: kobo.DataProcessing, Credentials: "k1.creds", Reference: "ref", CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateAccount(context.Background(), acct) })
	return acct
}

func testAccounts(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "acct@b.ng").ID)
	acct := NewAccount(t, s, a.ID)
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Account(ctx, acct.ID)
		if err == nil && (got.AccountNumber != "0123456789" || got.Balance != 1234567 || got.DataStatus != kobo.DataProcessing ||
			got.Credentials != "k1.creds" || len(got.RetrievedData) != 0 || got.LastSyncedAt != nil) {
			err = fmt.Errorf("Account = %+v", got)
		}
		return err
	})
	now := T0.Add(time.Hour)
	acct.DataStatus, acct.RetrievedData, acct.Balance, acct.LastSyncedAt, acct.ReauthRequired, acct.UpdatedAt = kobo.DataAvailable, []string{"balance", "transactions"}, 99, &now, true, now
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateAccount(ctx, acct) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Account(ctx, acct.ID)
		if err == nil && (got.DataStatus != kobo.DataAvailable || fmt.Sprint(got.RetrievedData) != "[balance transactions]" || got.Balance != 99 ||
			got.LastSyncedAt == nil || !got.LastSyncedAt.Equal(now) || !got.ReauthRequired) {
			err = fmt.Errorf("after update: %+v", got)
		}
		if err != nil {
			return err
		}
		list, err := tx.AccountsByFingerprint(ctx, a.ID, false, "fp1")
		if err == nil && (len(list) != 1 || list[0].ID != acct.ID) {
			err = fmt.Errorf("AccountsByFingerprint = %d", len(list))
		}
		return err
	})

	bal := int64(500)
	mk := func(ref string, day int) kobo.Transaction {
		d := T0.AddDate(0, 0, day)
		return kobo.Transaction{ID: kobo.NewID(d), ProviderRef: ref, Type: kobo.Credit, Amount: 100, Narration: "NIP/TRF " + ref,
			Date: d, Balance: &bal, Currency: "NGN", Category: "transfer", CreatedAt: T0, UpdatedAt: T0}
	}
	var batch []kobo.Transaction
	for i := 0; i < 250; i++ { // crosses the adapters' chunk and COPY thresholds
		batch = append(batch, mk(fmt.Sprintf("ref-%03d", i), i))
	}
	var m kobo.TxnMerge
	update(t, s, func(tx kobo.Tx) error {
		var err error
		m, err = tx.InsertTransactions(ctx, acct.ID, batch)
		return err
	})
	if m.Added != 250 || m.Modified != 0 {
		t.Fatalf("merge = %+v, want 250 added", m)
	}
	// the bank repeats old rows and adds two new ones: only the new ones land
	again := append(batch[240:], mk("ref-new-1", 300), mk("ref-new-2", 301))
	again[0].ID = kobo.NewID(T0) // a repeat arrives with a fresh id; the bank's ref decides
	update(t, s, func(tx kobo.Tx) error {
		var err error
		m, err = tx.InsertTransactions(ctx, acct.ID, again)
		return err
	})
	if m.Added != 2 || m.Modified != 0 {
		t.Fatalf("re-insert = %+v, want 2 added", m)
	}
	view(t, s, func(tx kobo.Tx) error {
		c, err := tx.CountTransactions(ctx, acct.ID)
		if err == nil && c != 252 {
			err = fmt.Errorf("CountTransactions = %d", c)
		}
		if err != nil {
			return err
		}
		c, err = tx.CountPostedTransactionsBetween(ctx, acct.ID, T0.AddDate(0, 0, 10), T0.AddDate(0, 0, 19))
		if err == nil && c != 10 {
			err = fmt.Errorf("CountPostedTransactionsBetween = %d, want 10 (both ends inclusive)", c)
		}
		return err
	})

	id := &kobo.Identity{AccountID: acct.ID, FullName: "Ada Obi", Email: "ada@b.ng", Phone: "08030000000", Gender: "female", DOB: "1990-02-01",
		BVN: "22123454321", AddressLine1: "1 Marina", StateOfOrigin: "Lagos", CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.UpsertIdentity(ctx, id) })
	id.Phone = "08031111111"
	update(t, s, func(tx kobo.Tx) error { return tx.UpsertIdentity(ctx, id) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Identity(ctx, acct.ID)
		if err == nil && (got.BVN != "22123454321" || got.Phone != "08031111111" || got.DOB != "1990-02-01") {
			err = fmt.Errorf("Identity = %+v", got)
		}
		if err != nil {
			return err
		}
		_, err = tx.Identity(ctx, "missing")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
}

func newJob(kind, unique string, runAt time.Time, prio int) *kobo.Job {
	return &kobo.Job{ID: kobo.NewID(T0) + kobo.RandomToken(4), Kind: kind, Args: json.RawMessage(`{"x":1}`), UniqueKey: unique,
		Priority: prio, MaxAttempts: 5, RunAt: runAt, CreatedAt: T0, UpdatedAt: T0}
}

func testJobs(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	enqueue := func(j *kobo.Job) bool {
		var ok bool
		update(t, s, func(tx kobo.Tx) error {
			var err error
			ok, err = tx.EnqueueJob(ctx, j)
			return err
		})
		return ok
	}
	claim := func(worker string, n int, now time.Time) []*kobo.Job {
		var got []*kobo.Job
		update(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ClaimJobs(ctx, worker, n, now, time.Minute)
			return err
		})
		return got
	}
	a := newJob("fetch", "fetch:a", T0, 0)
	if !enqueue(a) {
		t.Fatal("first unique job not inserted")
	}
	if enqueue(newJob("fetch", "fetch:a", T0, 0)) {
		t.Fatal("duplicate unique job inserted while the first is pending")
	}
	later := newJob("sync", "", T0.Add(time.Hour), 0)
	urgent := newJob("hook", "", T0.Add(-time.Second), -1)
	enqueue(later)
	enqueue(urgent)
	view(t, s, func(tx kobo.Tx) error {
		next, err := tx.NextJobAt(ctx)
		if err == nil && (next == nil || !next.Equal(urgent.RunAt)) {
			err = fmt.Errorf("NextJobAt = %v", next)
		}
		return err
	})

	got := claim("w1", 10, T0)
	if len(got) != 2 {
		t.Fatalf("claimed %d jobs at T0, want 2 (the future one waits)", len(got))
	}
	byID := map[string]*kobo.Job{}
	for _, j := range got {
		byID[j.ID] = j
		if j.Status != kobo.JobRunning || j.Attempt != 1 || j.LockedBy != "w1" || string(j.Args) != `{"x":1}` {
			t.Errorf("claimed job = %+v", j)
		}
	}
	if byID[a.ID] == nil || byID[urgent.ID] == nil {
		t.Fatalf("claimed the wrong jobs: %v", byID)
	}
	if len(claim("w2", 10, T0.Add(time.Second))) != 0 {
		t.Fatal("a leased job was claimed twice")
	}
	// w1 finishes a; the unique key is free again
	update(t, s, func(tx kobo.Tx) error { return tx.CompleteJob(ctx, a.ID, "w1", T0.Add(time.Second)) })
	err := s.Update(ctx, func(tx kobo.Tx) error { return tx.CompleteJob(ctx, a.ID, "w1", T0) })
	wantCode(t, err, kobo.ENOTFOUND)
	if !enqueue(newJob("fetch", "fetch:a", T0, 0)) {
		t.Fatal("unique key not released by completion")
	}
	// w1 dies holding urgent: after the lease it is reclaimed by w2
	got = claim("w2", 10, T0.Add(2*time.Minute))
	found := false
	for _, j := range got {
		if j.ID == urgent.ID {
			found = j.Attempt == 2 && j.LockedBy == "w2"
		}
	}
	if !found {
		t.Fatalf("expired lease not reclaimed: %+v", got)
	}
	err = s.Update(ctx, func(tx kobo.Tx) error { return tx.CompleteJob(ctx, urgent.ID, "w1", T0) })
	wantCode(t, err, kobo.ENOTFOUND) // the old holder lost it
	update(t, s, func(tx kobo.Tx) error {
		return tx.RetryJob(ctx, urgent.ID, "w2", T0.Add(10*time.Minute), "bank down", T0.Add(2*time.Minute))
	})
	view(t, s, func(tx kobo.Tx) error {
		j, err := tx.Job(ctx, urgent.ID)
		if err == nil && (j.Status != kobo.JobAvailable || j.LastError != "bank down" || !j.RunAt.Equal(T0.Add(10*time.Minute)) || j.LockedBy != "") {
			err = fmt.Errorf("after retry: %+v", j)
		}
		return err
	})
	got = claim("w3", 1, T0.Add(11*time.Minute))
	if len(got) != 1 {
		t.Fatalf("claim with n=1 = %d", len(got))
	}
	update(t, s, func(tx kobo.Tx) error { return tx.ExtendJobLease(ctx, got[0].ID, "w3", T0.Add(time.Hour)) })
	update(t, s, func(tx kobo.Tx) error { return tx.FailJob(ctx, got[0].ID, "w3", "gave up", T0.Add(12*time.Minute)) })
	view(t, s, func(tx kobo.Tx) error {
		j, err := tx.Job(ctx, got[0].ID)
		if err == nil && (j.Status != kobo.JobFailed || j.FinishedAt == nil) {
			err = fmt.Errorf("after fail: %+v", j)
		}
		return err
	})
	var pruned int
	update(t, s, func(tx kobo.Tx) error {
		var err error
		pruned, err = tx.PruneJobs(ctx, T0.Add(time.Hour))
		return err
	})
	if pruned != 2 {
		t.Fatalf("pruned %d finished jobs, want 2", pruned)
	}
}

// testJobsConcurrentClaims has several workers claim from one queue at
// once: every job is claimed exactly once.
func testJobsConcurrentClaims(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	const total = 60
	update(t, s, func(tx kobo.Tx) error {
		for i := 0; i < total; i++ {
			if _, err := tx.EnqueueJob(ctx, newJob("k", "", T0, 0)); err != nil {
				return err
			}
		}
		return nil
	})
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				var got []*kobo.Job
				err := s.Update(ctx, func(tx kobo.Tx) error {
					var err error
					got, err = tx.ClaimJobs(ctx, fmt.Sprint("w", w), 3, T0, time.Hour)
					return err
				})
				if kobo.ErrorCode(err) == kobo.EUNAVAILABLE {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, j := range got {
					seen[j.ID]++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("claimed %d distinct jobs, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id, n)
		}
	}
}

func testEventsAndIdempotency(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	payload := json.RawMessage(`{"id":"x","meta":{"data_status":"PROCESSING"}}`)
	for i := 0; i < 3; i++ {
		e := &kobo.Event{ID: fmt.Sprint("evt", i), AppID: "app", Type: kobo.EventAccountConnected, AccountID: "acct", Payload: payload, CreatedAt: T0}
		update(t, s, func(tx kobo.Tx) error { return tx.RecordEvent(ctx, e) })
	}
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.EventsByAccount(ctx, "acct")
		if err == nil && (len(list) != 3 || list[0].ID != "evt0" || list[2].ID != "evt2" || string(list[1].Payload) != string(payload)) {
			err = fmt.Errorf("EventsByAccount = %d events", len(list))
		}
		return err
	})
	err := s.Update(ctx, func(tx kobo.Tx) error {
		return tx.RecordEvent(ctx, &kobo.Event{ID: "evt0", AppID: "app", Type: "x", Payload: payload, CreatedAt: T0})
	})
	wantCode(t, err, kobo.ECONFLICT)

	rec := &kobo.IdempotencyRecord{AppID: "app", Key: "k1", RequestHash: "h1", CreatedAt: T0}
	var ex *kobo.IdempotencyRecord
	update(t, s, func(tx kobo.Tx) error {
		var err error
		ex, err = tx.InsertIdempotency(ctx, rec)
		return err
	})
	if ex != nil {
		t.Fatalf("first insert returned an existing record %+v", ex)
	}
	update(t, s, func(tx kobo.Tx) error {
		var err error
		ex, err = tx.InsertIdempotency(ctx, rec)
		return err
	})
	if ex == nil || ex.Status != 0 || ex.RequestHash != "h1" {
		t.Fatalf("second insert = %+v, want the in-flight record", ex)
	}
	update(t, s, func(tx kobo.Tx) error {
		return tx.CompleteIdempotency(ctx, "app", false, "k1", 201, []byte(`{"id":"x"}`), "application/json")
	})
	update(t, s, func(tx kobo.Tx) error {
		var err error
		ex, err = tx.InsertIdempotency(ctx, &kobo.IdempotencyRecord{AppID: "app", Key: "k1", RequestHash: "other", CreatedAt: T0})
		return err
	})
	if ex == nil || ex.Status != 201 || string(ex.Body) != `{"id":"x"}` || ex.ContentType != "application/json" || ex.RequestHash != "h1" {
		t.Fatalf("completed record = %+v", ex)
	}
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteIdempotency(ctx, "app", false, "k1") })
	update(t, s, func(tx kobo.Tx) error {
		var err error
		ex, err = tx.InsertIdempotency(ctx, rec)
		return err
	})
	if ex != nil {
		t.Fatal("deleted key still known")
	}
	var n int
	update(t, s, func(tx kobo.Tx) error {
		var err error
		n, err = tx.PruneIdempotency(ctx, T0.Add(time.Second))
		return err
	})
	if n != 1 {
		t.Fatalf("pruned %d", n)
	}
}
