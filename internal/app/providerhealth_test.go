package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestProviderHealthEvent: the app is told kobo.events.provider_health
// once when a provider it uses stops taking its keys (however many calls
// fail after) and once when the keys work again, never for a check that
// changes nothing.
func TestProviderHealthEvent(t *testing.T) {
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
	partner, appID := b.caller.App.PartnerID, b.caller.App.ID
	health := func() []string {
		t.Helper()
		var evs []*kobo.Event
		if err := b.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			evs, err = tx.Events(ctx, kobo.EventFilter{AppID: appID, Types: []string{kobo.EventProviderHealth}, Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			var d map[string]any
			json.Unmarshal(e.Payload, &d)
			if d["app"] != appID || d["checked_at"] == nil || e.AccountID != "" {
				t.Fatalf("provider_health payload %s", e.Payload)
			}
			out = append(out, fmt.Sprintf("%s %s %s", d["provider"], d["status"], d["message"]))
		}
		return out
	}
	want := func(what string, w ...string) {
		t.Helper()
		if got := health(); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("%s: provider_health events %q, want %q", what, got, w)
		}
	}
	// keys that work from the start: nothing changed
	if _, err := b.svc.PutAppProvider(ctx, partner, appID, "open", map[string]string{"api_key": "good"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.CheckAppProvider(ctx, partner, appID, "open"); err != nil {
		t.Fatal(err)
	}
	want("working keys")

	// the provider refuses them on every call of three syncs: one "down"
	refused := &kobo.BankError{Kind: kobo.BankAppCredentials, Message: "Open refused this app's api_key (401 Invalid key)"}
	b.bank.balance = func() (kobo.BankBalance, error) { return kobo.BankBalance{}, refused }
	b.bank.txns = func(kobo.TxnQuery) ([]kobo.BankTransaction, error) { return nil, refused }
	for i := range 3 {
		args, _ := json.Marshal(app.FetchArgs{AccountID: acct.ID, Reason: "sync"})
		j := &kobo.Job{ID: fmt.Sprintf("job-%d", i), Kind: app.JobFetchAccount, UniqueKey: fmt.Sprintf("job-%d", i), Args: args, Attempt: 1, MaxAttempts: 5,
			RunAt: b.clock.Now(), CreatedAt: b.clock.Now()}
		if err := b.store.Update(ctx, func(tx kobo.Tx) error { _, err := tx.EnqueueJob(ctx, j); return err }); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.FetchAccount(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	down := "open down Open refused this app's api_key (401 Invalid key)"
	want("three refused syncs", down)
	// a check that fails again changes nothing
	if _, err := b.svc.PutAppProvider(ctx, partner, appID, "open", map[string]string{"api_key": "still-bad"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.CheckAppProvider(ctx, partner, appID, "open"); err != nil {
		t.Fatal(err)
	}
	want("bad keys checked", down)

	// the partner fixes its keys: one "up"; checking again, nothing more
	if _, err := b.svc.PutAppProvider(ctx, partner, appID, "open", map[string]string{"api_key": "good"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.CheckAppProvider(ctx, partner, appID, "open"); err != nil {
		t.Fatal(err)
	}
	want("fixed keys", down, "open up ")

	// and down again through a check alone
	if _, err := b.svc.PutAppProvider(ctx, partner, appID, "open", map[string]string{"api_key": "bad"}); err != nil {
		t.Fatal(err)
	}
	want("a failed check", down, "open up ", "open down the provider refused the api_key")
}
