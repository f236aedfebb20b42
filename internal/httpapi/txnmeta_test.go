package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestTransactionMetaShown: a standard bank's transaction carries its
// meta object on v2 and v1 transaction lists, and a row without meta (what
// banksim's own API and Mono give) has no meta key at all, so its shape
// stays Mono's.
func TestTransactionMetaShown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	appID, sk := b.newApp(t, b.partner(t, "meta@acme.ng"))
	now := time.Now().UTC().Truncate(time.Microsecond)
	acct := &kobo.Account{ID: kobo.NewID(now), AppID: appID, InstitutionID: banksim.Catalog()[0].ID, AuthMethod: kobo.InternetBanking,
		ProviderRef: "std-1", Name: "ADA OBI", AccountNumber: "12345678", Fingerprint: "fp-meta", Type: "CURRENT ACCOUNT", Currency: "GBP",
		Balance: 5000, DataStatus: kobo.DataAvailable, RetrievedData: []string{"balance", "transactions"}, CreatedAt: now, UpdatedAt: now, LastSyncedAt: &now}
	meta := kobo.TxnMeta{kobo.MetaCounterpartyName: "SPAR LTD", kobo.MetaCounterpartyLast4: "6819", kobo.MetaMerchantCategory: "5411",
		kobo.MetaBankTxnCode: "IssuedCreditTransfers/DomesticCreditTransfer"}
	rows := []kobo.Transaction{
		{ID: kobo.NewID(now), AccountID: acct.ID, ProviderRef: "t-meta", Type: kobo.Debit, Amount: 1250, Narration: "SPAR LEKKI", Date: now.Add(-time.Hour),
			Currency: "GBP", Category: "unknown", CreatedAt: now, UpdatedAt: now, ProviderID: true, Meta: meta},
		{ID: kobo.NewID(now), AccountID: acct.ID, ProviderRef: "t-bare", Type: kobo.Credit, Amount: 900, Narration: "SALARY", Date: now.Add(-2 * time.Hour),
			Currency: "GBP", Category: "unknown", CreatedAt: now, UpdatedAt: now, ProviderID: true},
	}
	if err := b.st.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		_, err := tx.InsertTransactions(ctx, acct.ID, rows)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	key := []string{"mono-sec-key", sk}
	check := func(name string, list []any) {
		t.Helper()
		if len(list) != 2 {
			t.Fatalf("%s: %d transactions: %v", name, len(list), list)
		}
		for _, x := range list {
			row := x.(map[string]any)
			got, has := row["meta"]
			switch row["narration"] {
			case "SPAR LEKKI":
				m, _ := got.(map[string]any)
				if len(m) != len(meta) {
					t.Errorf("%s: meta = %v, want %v", name, got, meta)
				}
				for k, v := range meta {
					if m[k] != v {
						t.Errorf("%s: meta.%s = %v, want %q", name, k, m[k], v)
					}
				}
			default:
				if has {
					t.Errorf("%s: a row without meta shows %v", name, got)
				}
			}
		}
	}
	v2 := b.do(t, "GET", "/v2/accounts/"+acct.ID+"/transactions", nil, key...).want(t, 200).json(t)
	check("v2", v2["data"].([]any))
	v1 := b.do(t, "GET", "/accounts/"+acct.ID+"/transactions", nil, key...).want(t, 200).json(t)
	check("v1", v1["data"].([]any))
	all := b.do(t, "GET", "/v2/accounts/"+acct.ID+"/transactions?paginate=false", nil, key...).want(t, 200).json(t)
	check("v2 paginate=false", all["data"].([]any))
}
