package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestProviderRefusesAppKeys: a provider refusing the app's own keys at it
// (Mono's 401/403) is the partner's to fix, not a bank outage: the fetch
// settles at once instead of retrying, its outcome and sync_failed say the
// keys were refused, the app's provider health records it, and a connect
// step answers a distinct code with the provider's message.
func TestProviderRefusesAppKeys(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true, Credentials: []string{"api_key"}})
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentToken)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	drain(t, b)
	partner := b.caller.App.PartnerID
	if _, err := b.svc.PutAppProvider(ctx, partner, b.caller.App.ID, "open", map[string]string{"api_key": "good"}); err != nil {
		t.Fatal(err)
	}

	refused := &kobo.BankError{Kind: kobo.BankAppCredentials, Message: "Open refused this app's api_key (401 Invalid key)"}
	var calls atomic.Int32
	b.bank.balance = func() (kobo.BankBalance, error) { calls.Add(1); return kobo.BankBalance{}, refused }
	b.bank.txns = func(kobo.TxnQuery) ([]kobo.BankTransaction, error) { return nil, refused }

	// a scheduled sync with attempts to spare: settled, not retried
	args, _ := json.Marshal(app.FetchArgs{AccountID: acct.ID, Reason: "sync"})
	j := &kobo.Job{ID: "job-keys", Kind: app.JobFetchAccount, UniqueKey: "job-keys", Args: args, Attempt: 1, MaxAttempts: 5,
		RunAt: b.clock.Now(), CreatedAt: b.clock.Now()}
	if err := b.store.Update(ctx, func(tx kobo.Tx) error { _, err := tx.EnqueueJob(ctx, j); return err }); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.FetchAccount(ctx, j); err != nil {
		t.Fatalf("a refusal of the app's keys was returned for a retry: %v", err)
	}
	var out app.SyncOutcome
	if err := b.store.View(ctx, func(tx kobo.Tx) error {
		got, err := tx.Job(ctx, j.ID)
		if err == nil {
			err = json.Unmarshal(got.Result, &out)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if out.Code != app.SyncError || !strings.Contains(out.Message, "refused this app's api_key") || !strings.Contains(out.Message, "/providers/open") {
		t.Errorf("outcome = %+v, want SYNC_ERROR naming the refused keys and where to fix them", out)
	}
	if ev := eventTypes(t, b.connectBundle, acct.ID); !strings.Contains(ev, "sync_failed") {
		t.Errorf("events = %s, want sync_failed", ev)
	}
	list, err := b.svc.AppProviders(ctx, partner, b.caller.App.ID)
	if err != nil {
		t.Fatal(err)
	}
	var health *kobo.ProviderHealth
	for _, p := range list {
		if p.Name == "open" {
			health = p.Health
		}
	}
	if health == nil || health.OK || !strings.Contains(health.Message, "refused this app's api_key") {
		t.Errorf("health = %+v, want the refusal recorded", health)
	}

	// a connect step: the partner's problem, said as such, not "try again"
	b.bank.mu.Lock()
	b.bank.loginErr = refused
	b.bank.mu.Unlock()
	cs2 := b.start(t, kobo.ConsentToken)
	_, err = b.svc.ConnectLogin(ctx, b.caller, cs2.ID, map[string]string{"setup_token": "good-token"})
	if e := code(t, err, kobo.EPROVIDERKEYS); e == nil || !strings.Contains(e.Message, "refused this app's api_key") || e.RetryAfter != 0 {
		t.Errorf("connect error = %+v", e)
	}
}
