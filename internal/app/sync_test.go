package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/jobs"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// syncBank is a bank whose history can grow and whose background logins
// can start demanding MFA, like a real one.
type syncBank struct {
	*fakeBank
	mu       sync.Mutex
	txns     []kobo.BankTransaction
	needsMFA bool
}

// start is the setup clock's time (2026-05-01 12:00 UTC); the history
// ends just before it, inside a sync's look-back window.
var start = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func newSyncBank(n int) *syncBank {
	b := &syncBank{}
	for i := 0; i < n; i++ {
		b.add(start.Add(-time.Duration(n-i) * time.Hour))
	}
	b.fakeBank = scripted(oneAccount, false)
	inner := b.fakeBank.login
	b.fakeBank.login = func(req kobo.LoginRequest) (kobo.LoginStep, error) {
		if req.Persist != "" {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.needsMFA {
				if !req.Interactive {
					return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankMFARequired}
				}
				return kobo.LoginStep{Challenge: &kobo.Challenge{Ref: "ch1", Kind: "otp", UI: otpForm}}, nil
			}
			return kobo.LoginStep{Session: session}, nil
		}
		return inner(req)
	}
	b.fakeBank.answer = func(ch kobo.Challenge, f map[string]kobo.Secret) (kobo.LoginStep, error) {
		if f["otp"].Reveal() != "123456" {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "Invalid OTP Sent"}
		}
		b.mu.Lock()
		b.needsMFA = false
		b.mu.Unlock()
		return kobo.LoginStep{Session: &kobo.BankSession{Token: "tok2", Persist: "persist", ExpiresAt: time.Now().Add(-time.Hour)}}, nil
	}
	b.fakeBank.txns = func(q kobo.TxnQuery) ([]kobo.BankTransaction, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		var out []kobo.BankTransaction
		for _, t := range b.txns {
			if !t.Date.Before(q.From) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	return b
}

func (b *syncBank) add(at time.Time) {
	bal := int64(len(b.txns))
	b.txns = append(b.txns, kobo.BankTransaction{Ref: fmt.Sprint("r", len(b.txns)), Date: at, Type: kobo.Credit, Amount: 1, Balance: &bal, Narration: "NIP/TRF", Currency: "NGN"})
}

func (b *syncBank) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	return b.fakeBank.login(req)
}

// linkAndFetch links an account through the flow and runs jobs until its
// first fetch is done.
func linkAndFetch(t *testing.T, b connectBundle) *kobo.Account {
	t.Helper()
	ctx := context.Background()
	cs := b.session(t)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := b.svc.Exchange(ctx, b.caller, step.Code)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := b.svc.Account(ctx, b.caller, acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.DataStatus != kobo.DataProcessing && fetchDone(t, b, a.ID) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatal("first fetch did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fetchDone reports whether the account's latest fetch job has finished:
// its account is AVAILABLE a moment before the job is marked completed,
// and tests that move the clock past the job's lease must wait for that,
// or the runner takes the job as abandoned and runs it again.
func fetchDone(t *testing.T, b connectBundle, accountID string) bool {
	t.Helper()
	ctx := context.Background()
	var j *kobo.Job
	err := b.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		j, err = tx.LatestJob(ctx, accountID, "", time.Time{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return j.Status == kobo.JobCompleted || j.Status == kobo.JobFailed
}

func runJobs(t *testing.T, b connectBundle) {
	t.Helper()
	r := jobs.New(jobs.Config{Store: b.store, Clock: b.clock, PollInterval: 20 * time.Millisecond})
	for _, k := range app.FetchJobKinds {
		r.Handle(k, b.svc.FetchAccount)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func eventTypes(t *testing.T, b connectBundle, accountID string) string {
	t.Helper()
	var evs []*kobo.Event
	ctx := context.Background()
	if err := b.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		evs, err = tx.EventsByAccount(ctx, accountID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(e.Type, "mono.events."), "mono.accounts."))
	}
	return strings.Join(out, ",")
}

func TestSyncAndReauth(t *testing.T) {
	t.Parallel()
	bank := newSyncBank(100)
	b := setupConnect(t, bank)
	runJobs(t, b)
	ctx := context.Background()
	acct := linkAndFetch(t, b)
	if acct.DataStatus != kobo.DataAvailable {
		t.Fatalf("after link: %s", acct.DataStatus)
	}

	// a manual sync right after the first fetch is fine (the link is not a sync)
	out, err := b.svc.SyncNow(ctx, b.caller, acct.ID, false, 5*time.Second)
	if err != nil || out.Code != app.SyncSuccessful || out.HasNewData {
		t.Fatalf("first manual sync = %+v, %v", out, err)
	}
	// once per two minutes
	_, err = b.svc.SyncNow(ctx, b.caller, acct.ID, false, 5*time.Second)
	if e := code(t, err, kobo.ERATELIMIT); e.RetryAfter <= 0 || e.RetryAfter > app.ManualSyncInterval {
		t.Fatalf("rate limit = %+v", e)
	}
	// new transactions at the bank: the next sync finds them, once
	bank.mu.Lock()
	bank.add(start.Add(time.Minute))
	bank.add(start.Add(2 * time.Minute))
	bank.mu.Unlock()
	b.clock.Add(app.ManualSyncInterval + time.Second)
	out, err = b.svc.SyncNow(ctx, b.caller, acct.ID, false, 5*time.Second)
	if err != nil || out.Code != app.SyncSuccessful || !out.HasNewData {
		t.Fatalf("sync with new data = %+v, %v", out, err)
	}
	var n int
	b.store.View(ctx, func(tx kobo.Tx) error { n, err = tx.CountTransactions(ctx, acct.ID); return err })
	if n != 102 {
		t.Fatalf("transactions = %d, want 102", n)
	}

	// the bank loses rows it had: INCOMPLETE_STATEMENT_ERROR unless allowed
	bank.mu.Lock()
	saved := bank.txns
	bank.txns = append(bank.txns[:95:95], bank.txns[100:]...)
	bank.mu.Unlock()
	b.clock.Add(app.ManualSyncInterval + time.Second)
	out, err = b.svc.SyncNow(ctx, b.caller, acct.ID, false, 5*time.Second)
	if err != nil || out.Code != app.SyncIncompleteStmtErr {
		t.Fatalf("incomplete statement = %+v, %v", out, err)
	}
	b.clock.Add(app.ManualSyncInterval + time.Second)
	out, err = b.svc.SyncNow(ctx, b.caller, acct.ID, true, 5*time.Second)
	if err != nil || out.Code != app.SyncSuccessful {
		t.Fatalf("allow_incomplete_statement = %+v, %v", out, err)
	}
	bank.mu.Lock()
	bank.txns = saved
	bank.needsMFA = true // the bank now wants the customer again
	bank.mu.Unlock()

	// reauthorise is refused while not needed
	_, err = b.svc.Reauthorise(ctx, b.caller, acct.ID)
	if e := code(t, err, kobo.EINVALID); e.Message != app.ErrCannotReauthorise {
		t.Fatalf("message = %q", e.Message)
	}
	b.clock.Add(app.ManualSyncInterval + time.Second)
	out, err = b.svc.SyncNow(ctx, b.caller, acct.ID, false, 5*time.Second)
	if err != nil || out.Code != app.SyncReauthRequired || out.Status != "failed" {
		t.Fatalf("sync needing MFA = %+v, %v", out, err)
	}
	got, _ := b.svc.Account(ctx, b.caller, acct.ID)
	if !got.ReauthRequired || got.NextSyncAt != nil {
		t.Fatalf("account after MFA demand: reauth=%v next=%v", got.ReauthRequired, got.NextSyncAt)
	}
	// syncing stops until re-authorised
	out, _ = b.svc.SyncNow(ctx, b.caller, acct.ID, false, time.Second)
	if out.Code != app.SyncReauthRequired {
		t.Fatalf("sync while flagged = %+v", out)
	}

	token, err := b.svc.Reauthorise(ctx, b.caller, acct.ID)
	if err != nil || len(token) != 20 {
		t.Fatalf("token = %q, %v", token, err)
	}
	if id, err := b.svc.ResolveReauthToken(ctx, b.caller, token); err != nil || id != acct.ID {
		t.Fatalf("ResolveReauthToken = %q, %v", id, err)
	}
	// Mono's guide: the session opens with 99 and nothing asked of the bank
	step, err := b.svc.OpenReauth(ctx, b.caller, acct.ID, app.SessionInput{})
	if err != nil || step.ResponseCode != 99 || step.Code != "" {
		t.Fatalf("OpenReauth = %+v, %v (want 99 without a code)", step, err)
	}
	// kobo's shortcut: no credentials, the saved ones log in, the OTP sent answers the bank
	step, err = b.svc.ReauthLogin(ctx, b.caller, step.Session.ID, map[string]string{"otp": "123456"})
	if err != nil || step.ResponseCode != 99 {
		t.Fatalf("ReauthLogin = %+v, %v", step, err)
	}
	again, err := b.svc.Exchange(ctx, b.caller, step.Code)
	if err != nil || again.ID != acct.ID {
		t.Fatalf("re-auth code exchanged to %v, %v; want the same account", again, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasSuffix(eventTypes(t, b, acct.ID), "account_reauthorized,account_updated") {
		if time.Now().After(deadline) {
			t.Fatalf("events = %s", eventTypes(t, b, acct.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, _ = b.svc.Account(ctx, b.caller, acct.ID)
	if got.ReauthRequired || got.NextSyncAt == nil {
		t.Fatalf("after re-auth: %+v", got)
	}
	if ev := eventTypes(t, b, acct.ID); !strings.Contains(ev, "reauthorisation_required") {
		t.Fatalf("events = %s", ev)
	}

	// unlink removes everything and announces it
	if err := b.svc.Unlink(ctx, b.caller, acct.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Account(ctx, b.caller, acct.ID)
	code(t, err, kobo.ENOTFOUND)
	if ev := eventTypes(t, b, acct.ID); !strings.HasSuffix(ev, "account_unlinked") {
		t.Fatalf("events = %s", ev)
	}
	b.store.View(ctx, func(tx kobo.Tx) error { n, err = tx.CountTransactions(ctx, acct.ID); return err })
	if n != 0 {
		t.Fatalf("%d transactions survived unlink", n)
	}
}

func TestScheduledSync(t *testing.T) {
	t.Parallel()
	bank := newSyncBank(10)
	b := setupConnect(t, bank)
	runJobs(t, b)
	ctx := context.Background()
	acct := linkAndFetch(t, b)
	if n, err := b.svc.ScheduleSyncs(ctx); err != nil || n != 0 {
		t.Fatalf("nothing due yet: %d, %v", n, err)
	}
	bank.mu.Lock()
	bank.add(start.Add(time.Hour))
	bank.mu.Unlock()
	b.clock.Add(24*time.Hour + time.Minute)
	if n, err := b.svc.ScheduleSyncs(ctx); err != nil || n != 1 {
		t.Fatalf("due after 24 h: %d, %v", n, err)
	}
	if n, _ := b.svc.ScheduleSyncs(ctx); n != 0 {
		t.Fatal("the same account was scheduled twice")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasSuffix(eventTypes(t, b, acct.ID), "account_updated,account_updated") {
		if time.Now().After(deadline) {
			t.Fatalf("scheduled sync did not run: %s", eventTypes(t, b, acct.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, _ := b.svc.Account(ctx, b.caller, acct.ID)
	if got.NextSyncAt == nil || got.NextSyncAt.Sub(b.clock.Now()) < 23*time.Hour {
		t.Fatalf("next sync = %v", got.NextSyncAt)
	}
}
