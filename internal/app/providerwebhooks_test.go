package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestProviderWebhookMatchesTheAccountsProvider: an institution two
// providers reach (open the default, open2 the app's choice) and an
// account linked through open2. open2's account_updated is about that
// account and queues its sync; the same ref in open's webhook is another
// provider's account and changes nothing (a match by the institution's
// default provider got both wrong).
func TestProviderWebhookMatchesTheAccountsProvider(t *testing.T) {
	t.Parallel()
	second := &openBank{approveAt: 1}
	second.list = oneAccount
	b := setupOpen(t, kobo.ProviderPolicy{Real: true}, second)
	second.clock = b.clock
	ctx := context.Background()
	in := openInstitution(kobo.ConsentToken, 8)
	in.Providers = []string{"open", "open2"}
	if err := b.svc.SeedInstitutions(ctx, []kobo.Institution{in}); err != nil {
		t.Fatal(err)
	}
	partner, appID := b.caller.App.PartnerID, b.caller.App.ID
	if err := b.svc.SetInstitutionProvider(ctx, partner, appID, in.ID, "open2"); err != nil {
		t.Fatal(err)
	}
	cs, _, err := b.svc.CreateSession(ctx, b.caller, app.SessionInput{InstitutionID: in.ID, CustomerEmail: "ada@obi.ng"})
	if err != nil {
		t.Fatal(err)
	}
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	drain(t, b)
	updated := func() int { return strings.Count(eventTypes(t, b.connectBundle, acct.ID), "account_updated") }
	before := updated()

	// the default provider's event for a ref alike: not this account's
	if err := b.svc.ProviderWebhook(ctx, "open", appID, nil, []byte("reauth_required acc-1")); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.svc.Account(ctx, b.caller, acct.ID); got.ReauthRequired {
		t.Error("the default provider's webhook flagged an account linked through another provider")
	}
	// the account's own provider: a sync
	if err := b.svc.ProviderWebhook(ctx, "open2", appID, nil, []byte("account_updated acc-1")); err != nil {
		t.Fatal(err)
	}
	drain(t, b)
	if n := updated(); n != before+1 {
		t.Errorf("account_updated %d times after open2's webhook, want %d", n, before+1)
	}
}

// TestRelinkThroughAnotherProviderKeepsTheHistory: the same bank account
// relinked through a second provider, which names the same transactions
// by its own ids: the stored rows take the new ids (their kobo ids and
// content stay), nothing is doubled or removed, a row only the new
// provider has is added, and a later sync through it changes nothing.
func TestRelinkThroughAnotherProviderKeepsTheHistory(t *testing.T) {
	t.Parallel()
	second := &openBank{approveAt: 1}
	second.list = oneAccount
	b := setupOpen(t, kobo.ProviderPolicy{Real: true}, second)
	second.clock = b.clock
	ctx := context.Background()
	linkedAt := b.clock.Now()
	day := func(d int) time.Time {
		return linkedAt.Add(-time.Duration(d) * 24 * time.Hour).UTC().Truncate(time.Second)
	}
	row := func(ref string, d int, amount int64, narration string) kobo.BankTransaction {
		return kobo.BankTransaction{Ref: ref, ProviderID: true, Date: day(d), Type: kobo.Debit, Amount: amount, Narration: narration, Currency: "NGN"}
	}
	b.bank.txns = func(kobo.TxnQuery) ([]kobo.BankTransaction, error) {
		// two identical purchases on one day, told apart only by the ids
		return []kobo.BankTransaction{row("o-1", 40, 500_00, "POS SHOPRITE"), row("o-2", 20, 1200_00, "AIRTIME"), row("o-3", 20, 1200_00, "AIRTIME"),
			row("o-4", 2, 300_00, "UBER")}, nil
	}
	second.txns = func(kobo.TxnQuery) ([]kobo.BankTransaction, error) {
		// the same rows by the second provider's ids (one narration
		// spelled its own way), and one the first never reported
		return []kobo.BankTransaction{row("s-9", 60, 50_00, "SMS ALERT"), row("s-1", 40, 500_00, "POS Shoprite"), row("s-2", 20, 1200_00, "AIRTIME"),
			row("s-3", 20, 1200_00, "AIRTIME"), row("s-4", 2, 300_00, "UBER")}, nil
	}
	in := openInstitution(kobo.ConsentToken, 7)
	in.Providers = []string{"open", "open2"}
	if err := b.svc.SeedInstitutions(ctx, []kobo.Institution{in}); err != nil {
		t.Fatal(err)
	}
	partner, appID := b.caller.App.PartnerID, b.caller.App.ID
	if _, err := b.svc.UpdateApp(ctx, partner, appID, app.AppInput{Relink: ptr(string(kobo.RelinkReuse))}); err != nil {
		t.Fatal(err)
	}
	link := func() *kobo.Account {
		t.Helper()
		cs, _, err := b.svc.CreateSession(ctx, b.caller, app.SessionInput{InstitutionID: in.ID, CustomerEmail: "ada@obi.ng"})
		if err != nil {
			t.Fatal(err)
		}
		step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
		if err != nil {
			t.Fatal(err)
		}
		acct := b.exchange(t, step)
		drain(t, b)
		return acct
	}
	history := func(id string) map[string]string {
		t.Helper()
		var rows []kobo.Transaction
		if err := b.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			rows, err = tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: id, Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range rows {
			out[r.ID] = r.ProviderRef
		}
		return out
	}
	first := link()
	before := history(first.ID)
	if len(before) != 4 {
		t.Fatalf("first link stored %d rows, want 4", len(before))
	}
	if err := b.svc.SetInstitutionProvider(ctx, partner, appID, in.ID, "open2"); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(time.Hour)
	again := link()
	if again.ID != first.ID {
		t.Fatalf("relinked as %s, want %s", again.ID, first.ID)
	}
	after := history(first.ID)
	if len(after) != 5 {
		t.Errorf("after relinking through open2: %d rows %v, want 5 (4 kept, 1 new)", len(after), after)
	}
	for id, ref := range before {
		if got, ok := after[id]; !ok || !strings.HasPrefix(got, "s-") {
			t.Errorf("row %s (was %s) is now %q, %v: want it kept under the new provider's id", id, ref, got, ok)
		}
	}
	// a sync through the new provider finds nothing new
	b.clock.Add(25 * time.Hour)
	if out := fetchJob(t, b, first.ID, "sync"); out.Code != app.SyncSuccessful || out.HasNewData {
		t.Errorf("sync after relink = %+v", out)
	}
	if got := history(first.ID); len(got) != 5 {
		t.Errorf("after a sync: %d rows", len(got))
	}
}
