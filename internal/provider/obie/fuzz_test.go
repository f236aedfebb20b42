package obie_test

import (
	"encoding/json"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/obie"
)

func FuzzParseBanks(f *testing.F) {
	f.Add(`[{"id":"x","name":"X","base_url":"https://x/open-banking/v3.1/aisp","auth_url":"https://a/authorize","token_url":"https://t/token","client_id":"c","profile":"v4.0"}]`)
	f.Add(`[{"id":"x"}]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, in string) {
		banks, err := obie.ParseBanks(json.RawMessage(in))
		if err != nil {
			return
		}
		for _, b := range banks {
			if b.ID == "" || b.ClientID == "" || (b.Profile != "v3.1" && b.Profile != "v4.0") || len(b.Permissions) == 0 {
				t.Fatalf("accepted an incomplete entry: %+v", b)
			}
		}
		_ = obie.Catalog(banks)
	})
}

func FuzzDecodePage(f *testing.F) {
	f.Add(`{"Data":{"Transaction":[{"AccountId":"a","TransactionId":"t1","Amount":{"Amount":"12.50","Currency":"GBP"},"CreditDebitIndicator":"Debit","Status":"Booked","BookingDateTime":"2026-01-02T03:04:05Z","Balance":{"Amount":{"Amount":"100.00","Currency":"GBP"},"CreditDebitIndicator":"Credit","Type":"ClosingBooked"},"MerchantDetails":{"MerchantName":"SPAR"}}]},"Links":{"Self":"https://x","Next":"https://x?page=2"}}`)
	f.Add(`{"Data":{"Transaction":[{"Amount":{"Amount":"1e5","Currency":"GBP"},"CreditDebitIndicator":"Credit","BookingDateTime":"2026-01-02T03:04:05Z","Status":"PDNG"}]}}`)
	f.Add(`{"Data":{"Transaction":[{"Amount":{"Amount":"-1","Currency":"JPY"},"CreditDebitIndicator":"Credit","BookingDateTime":"2026-01-02T03:04:05Z"}]}}`)
	f.Add(`{"Data":{"Transaction":[{"Amount":{"Amount":"1","Currency":"GBP"},"CreditDebitIndicator":"Credit","DebtorAccount":{"SchemeName":"UK.OBIE.IBAN","Identification":"GB29 NWBK 6016 1331 9268 19","Name":"A"},"CardInstrument":{"Identification":"4***1234"},"CurrencyExchange":{"ExchangeRate":1e-9},"BookingDateTime":"2026-01-02T03:04:05Z"}]}}`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := obie.DecodePage([]byte(in))
		if err != nil {
			return
		}
		for _, x := range p.Data.Transaction {
			m := obie.TransactionMeta(x)
			if m != nil && len(m) == 0 {
				t.Fatal("an empty meta map instead of nil")
			}
			for _, k := range []string{kobo.MetaCounterpartyLast4, kobo.MetaCardLast4} {
				if len([]rune(m[k])) > 4 {
					t.Fatalf("more than the last 4 of a number kept: %s=%q", k, m[k])
				}
			}
		}
		rows, err := obie.MapTransactions(p.Data.Transaction)
		if err != nil {
			if kobo.BankErrorKindOf(err) != kobo.BankInvalidData {
				t.Fatalf("a bad page is not invalid data: %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.Amount < 0 || r.Ref == "" || (r.Type != kobo.Credit && r.Type != kobo.Debit) {
				t.Fatalf("mapped row %+v", r)
			}
		}
	})
}

func FuzzParseSigningKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("nope"))
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := obie.ParseSigningKey(in)
		if err == nil && k.Curve.Params().Name != "P-256" {
			t.Fatal("accepted a key that is not P-256")
		}
	})
}
