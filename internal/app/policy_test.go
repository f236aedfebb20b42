package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// drain runs every due job by hand (no runner: nothing runs behind the
// test's back) and completes it.
func drain(t *testing.T, b openBundle) {
	t.Helper()
	ctx := context.Background()
	for {
		var list []*kobo.Job
		if err := b.store.Update(ctx, func(tx kobo.Tx) error {
			var err error
			list, err = tx.ClaimJobs(ctx, "t", 10, b.clock.Now(), time.Minute)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			return
		}
		for _, j := range list {
			if err := b.svc.FetchAccount(ctx, j); err != nil {
				t.Fatal(err)
			}
			if err := b.store.Update(ctx, func(tx kobo.Tx) error { return tx.CompleteJob(ctx, j.ID, "t", b.clock.Now()) }); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// fetchJob queues one account.fetch job for reason, drains the queue and
// returns the job's outcome.
func fetchJob(t *testing.T, b openBundle, accountID, reason string) app.SyncOutcome {
	t.Helper()
	args, _ := json.Marshal(app.FetchArgs{AccountID: accountID, Reason: reason})
	id := "job-" + kobo.RandomToken(8)
	j := &kobo.Job{ID: id, Kind: app.JobFetchAccount, UniqueKey: id, Args: args, MaxAttempts: 1, RunAt: b.clock.Now(), CreatedAt: b.clock.Now()}
	ctx := context.Background()
	if err := b.store.Update(ctx, func(tx kobo.Tx) error { _, err := tx.EnqueueJob(ctx, j); return err }); err != nil {
		t.Fatal(err)
	}
	drain(t, b)
	var out app.SyncOutcome
	if err := b.store.View(ctx, func(tx kobo.Tx) error {
		got, err := tx.Job(ctx, id)
		if err == nil {
			err = json.Unmarshal(got.Result, &out)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestProviderPolicyAndConsentExpiry: a provider's manual-sync interval
// answers 429 with its own message; its scheduled-sync interval puts a
// sync off without calling out; consent_expiring is announced once a week
// ahead; past expiry the account stops syncing (REAUTHORISATION_REQUIRED
// with the consent's message), and re-authorisation renews the consent.
func TestProviderPolicyAndConsentExpiry(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true, MinManualSyncInterval: 10 * time.Minute, MinSyncInterval: 24 * time.Hour})
	var balances atomic.Int32
	b.bank.balance = func() (kobo.BankBalance, error) {
		balances.Add(1)
		return kobo.BankBalance{Balance: 100, Currency: "NGN"}, nil
	}
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentToken)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	drain(t, b) // the first fetch

	// manual syncs: the provider's 10 minutes, not Mono's 2
	if _, err := b.svc.SyncNow(ctx, b.caller, acct.ID, false, 0); err != nil {
		t.Fatal(err)
	}
	drain(t, b)
	b.clock.Add(3 * time.Minute)
	_, err = b.svc.SyncNow(ctx, b.caller, acct.ID, false, 0)
	e := code(t, err, kobo.ERATELIMIT)
	if !strings.Contains(e.Message, "provider (open) allows one sync every 10 minutes") || e.RetryAfter != 7*time.Minute {
		t.Errorf("429 = %q, retry after %v", e.Message, e.RetryAfter)
	}

	// a scheduled sync within the provider's day is put off, the bank untouched
	before := balances.Load()
	if out := fetchJob(t, b, acct.ID, "sync"); !strings.Contains(out.Message, "no oftener") {
		t.Errorf("early scheduled sync = %+v", out)
	}
	if balances.Load() != before {
		t.Error("a sync the provider's policy refuses called the provider")
	}
	got, _ := b.svc.Account(ctx, b.caller, acct.ID)
	if got.NextSyncAt == nil || got.LastSyncedAt == nil || !got.NextSyncAt.Equal(got.LastSyncedAt.Add(24*time.Hour)) {
		t.Errorf("next sync %v, last %v", got.NextSyncAt, got.LastSyncedAt)
	}

	// a week before the 90 days are up: consent_expiring, once
	if n, err := b.svc.AnnounceExpiringConsents(ctx); err != nil || n != 0 {
		t.Fatalf("announced %d (%v) with 90 days to go", n, err)
	}
	b.clock.Add(84 * 24 * time.Hour)
	for i, want := range []int{1, 0} {
		if n, err := b.svc.AnnounceExpiringConsents(ctx); err != nil || n != want {
			t.Fatalf("announcement %d: %d, %v; want %d", i, n, err, want)
		}
	}
	if ev := eventTypes(t, b.connectBundle, acct.ID); !strings.HasSuffix(ev, "consent_expiring") {
		t.Errorf("events = %s", ev)
	}

	// past expiry: no sync reaches the provider
	b.clock.Add(7 * 24 * time.Hour)
	before = balances.Load()
	out := fetchJob(t, b, acct.ID, "sync")
	if out.Code != app.SyncReauthRequired || !strings.Contains(out.Message, "consent at open expired") {
		t.Errorf("sync past expiry = %+v", out)
	}
	if balances.Load() != before {
		t.Error("an account past its consent reached the provider")
	}
	so, err := b.svc.SyncNow(ctx, b.caller, acct.ID, false, 0)
	if err != nil || so.Code != app.SyncReauthRequired {
		t.Errorf("manual sync past expiry = %+v, %v", so, err)
	}
	if ev := eventTypes(t, b.connectBundle, acct.ID); !strings.HasSuffix(ev, "reauthorisation_required,account_updated") {
		t.Errorf("events = %s", ev)
	}

	// re-consent through re-authorisation: a new expiry, to be announced afresh
	step, err = b.svc.StartReauth(ctx, b.caller, acct.ID, app.SessionInput{})
	if err != nil || step.ResponseCode != app.CodeMoreInput {
		t.Fatalf("reauth = %+v, %v", step, err)
	}
	step, err = b.svc.ReauthLogin(ctx, b.caller, step.Session.ID, map[string]string{"setup_token": "good-token"})
	if err != nil || step.ResponseCode != app.CodeLinked {
		t.Fatalf("reauth login = %+v, %v", step, err)
	}
	c := b.consent(t, acct.ID)
	if c.ExpiresAt == nil || !c.ExpiresAt.After(b.clock.Now().Add(80*24*time.Hour)) || c.NotifiedAt != nil {
		t.Errorf("renewed consent = %+v", c)
	}
	if got, _ := b.svc.Account(ctx, b.caller, acct.ID); got.ReauthRequired {
		t.Error("still needs re-authorisation after re-consent")
	}
}

// TestPendingTransactionsFromRealSources: pending rows are kept as
// pending, a posted row naming its pending one (PendingRef) replaces it,
// rows without a source id merge by their content, and every sync
// re-reads the provider's overlap window.
func TestPendingTransactionsFromRealSources(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true, OverlapWindow: 30 * 24 * time.Hour})
	ctx := context.Background()
	day := b.clock.Now().Add(-24 * time.Hour)
	noID := kobo.BankTransaction{Date: day, Type: kobo.Credit, Amount: 900, Narration: "CASH DEPOSIT"}
	rows := []kobo.BankTransaction{
		{Ref: "p1", Date: day, Type: kobo.Debit, Amount: 500, Narration: "COFFEE", Pending: true, ProviderID: true},
		{Ref: "a1", Date: day, Type: kobo.Debit, Amount: 700, Narration: "RENT", ProviderID: true},
		noID,
	}
	var froms []time.Time
	b.bank.txns = func(q kobo.TxnQuery) ([]kobo.BankTransaction, error) {
		froms = append(froms, q.From)
		return rows, nil
	}
	cs := b.start(t, kobo.ConsentToken)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	drain(t, b)
	list := func() map[string]kobo.Transaction {
		t.Helper()
		var got []kobo.Transaction
		if err := b.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: acct.ID, Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		out := map[string]kobo.Transaction{}
		for _, x := range got {
			out[x.Narration] = x
		}
		return out
	}
	got := list()
	if len(got) != 3 || !got["COFFEE"].Pending || got["RENT"].Pending || !got["RENT"].ProviderID || got["CASH DEPOSIT"].ProviderID {
		t.Fatalf("first fetch = %+v", got)
	}
	// the coffee posts under its own id, naming the pending row
	b.clock.Add(time.Hour)
	rows = []kobo.BankTransaction{
		{Ref: "t1", PendingRef: "p1", Date: day.Add(time.Hour), Type: kobo.Debit, Amount: 520, Narration: "COFFEE SHOP", ProviderID: true},
		rows[1], noID,
	}
	if out := fetchJob(t, b, acct.ID, "sync"); out.Code != app.SyncSuccessful {
		t.Fatalf("sync = %+v", out)
	}
	got = list()
	if _, ok := got["COFFEE"]; ok || len(got) != 3 || got["COFFEE SHOP"].Pending || got["COFFEE SHOP"].Amount != 520 {
		t.Errorf("after posting = %+v", got)
	}
	acctNow, _ := b.svc.Account(ctx, b.caller, acct.ID)
	last := froms[len(froms)-1]
	if want := acctNow.LastSyncedAt.Add(-time.Hour).Add(-30 * 24 * time.Hour); !last.Equal(want) {
		t.Errorf("sync read from %v, want the provider's 30-day overlap before the last sync (%v)", last, want)
	}
}

// TestProviderCallBudget: an app's calls to a provider are capped per
// minute in the database; the call over the cap is refused before kobo
// calls out (a retryable provider error with Retry-After), and the next
// minute has a fresh budget. The outcome reaches the metrics hook.
func TestProviderCallBudget(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true, CallsPerMinute: 2})
	ctx := context.Background()
	login := func() error {
		t.Helper()
		cs := b.start(t, kobo.ConsentToken)
		_, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
		return err
	}
	if err := login(); err != nil { // login + accounts: the whole budget
		t.Fatal(err)
	}
	logins := b.bank.logins
	e := code(t, login(), kobo.EPROVIDER)
	if e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
		t.Errorf("retry after %v", e.RetryAfter)
	}
	if b.bank.logins != logins {
		t.Error("a call over the budget reached the provider")
	}
	b.clock.Add(time.Minute)
	if err := login(); err != nil {
		t.Errorf("the next minute: %v", err)
	}
}
