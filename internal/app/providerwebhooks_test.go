package app_test

import (
	"context"
	"strings"
	"testing"

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
