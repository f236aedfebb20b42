package berlingroup_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
)

func FuzzParseBanks(f *testing.F) {
	f.Add([]byte(`[{"id":"b","name":"B","country":"de","base_url":"https://x.example/psd2","sca_approaches":["redirect","decoupled"]}]`))
	f.Add([]byte(`[{"id":"b","name":"B","country":"de","base_url":"http://x.example","sca_approaches":["oauth"]}]`))
	f.Add([]byte(`[{"id":"b b"}]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		banks, err := berlingroup.ParseBanks(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "berlingroup bank") {
				t.Fatalf("an error that names no entry: %v", err)
			}
			return
		}
		for _, in := range berlingroup.Catalog(banks) {
			if len(in.AuthMethods) == 0 || len(in.AuthMethods) > 2 || in.Provider != berlingroup.Name {
				t.Fatalf("institution %+v", in)
			}
		}
	})
}

func FuzzMapTransactions(f *testing.F) {
	f.Add([]byte(`{"transactions":{"booked":[{"transactionId":"t1","bookingDate":"2026-11-30","transactionAmount":{"currency":"EUR","amount":"-12.30"},"remittanceInformationUnstructured":"x","balanceAfterTransaction":{"balanceAmount":{"currency":"EUR","amount":"100.00"},"balanceType":"interimBooked"}}],"pending":[{"valueDate":"2026-12-01","transactionAmount":{"currency":"JPY","amount":"500"}}],"_links":{"next":{"href":"/v1/accounts/a/transactions?page=2"}}}}`))
	f.Add([]byte(`{"transactions":{"booked":[{"transactionAmount":{"currency":"NGN","amount":"1e5"}}]}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"transactions":{"booked":[{"transactionId":"t1","bookingDate":"2026-11-30","transactionAmount":{"currency":"EUR","amount":"-1"},"creditorName":"X","creditorAccount":{"iban":"DE89"},"remittanceInformationStructured":{"reference":"RF1"},"remittanceInformationStructuredArray":[],"currencyExchange":[{"exchangeRate":"1.1"}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := berlingroup.ParseTransactionsReport(b)
		if err != nil {
			return
		}
		for _, x := range r.Transactions.Booked {
			bt, err := berlingroup.MapTransaction(x, false)
			if err != nil {
				if kobo.BankErrorKindOf(err) != kobo.BankInvalidData {
					t.Fatalf("unclassified error %v", err)
				}
				continue
			}
			if bt.Amount < 0 || (bt.Type != kobo.Debit && bt.Type != kobo.Credit) || bt.Currency == "" {
				t.Fatalf("mapped %+v", bt)
			}
			if bt.Meta != nil && len(bt.Meta) == 0 {
				t.Fatalf("an empty meta map instead of nil: %+v", bt)
			}
			if n := bt.Meta[kobo.MetaCounterpartyLast4]; len([]rune(n)) > 4 {
				t.Fatalf("more than the last 4 of an account kept: %q", n)
			}
		}
	})
}

func FuzzMapBalances(f *testing.F) {
	f.Add("closingBooked", "12.00", "interimAvailable", "10.50")
	f.Add("expected", "abc", "", "")
	f.Fuzz(func(t *testing.T, t1, a1, t2, a2 string) {
		bs := berlingroup.Balances{Balances: []berlingroup.Balance{{BalanceType: t1, BalanceAmount: berlingroup.Amount{Currency: "EUR", Amount: a1}},
			{BalanceType: t2, BalanceAmount: berlingroup.Amount{Currency: "EUR", Amount: a2}}}}
		if _, err := berlingroup.MapBalances("a", bs, time.Now()); err != nil && kobo.BankErrorKindOf(err) != kobo.BankInvalidData {
			t.Fatalf("unclassified error %v", err)
		}
	})
}

func FuzzParseTPPMessages(f *testing.F) {
	f.Add([]byte(`{"tppMessages":[{"category":"ERROR","code":"CONSENT_EXPIRED","text":"x"}]}`))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, b []byte) { berlingroup.ParseTPPMessages(b) })
}

func TestParseBanksErrors(t *testing.T) {
	for in, want := range map[string]string{
		`[{"id":"a","name":"A","country":"de","base_url":"http://x","sca_approaches":["redirect"]}]`:                                                                                            "base_url must be an https URL",
		`[{"id":"a","name":"A","country":"de","base_url":"https://x","sca_approaches":[]}]`:                                                                                                     "sca_approaches lists none",
		`[{"id":"a","name":"A","country":"de","base_url":"https://x","sca_approaches":["sms"]}]`:                                                                                                `unknown SCA approach "sms"`,
		`[{"id":"a","name":"A","country":"de","base_url":"https://x","sca_approaches":["oauth"]}]`:                                                                                              "tpp_id is required",
		`[{"id":"a","name":"A","country":"de","base_url":"https://x","sca_approaches":["redirect"],"profile":"2.0"}]`:                                                                           "profile must be",
		`[{"id":"a","name":"A","country":"de","base_url":"https://x","sca_approaches":["redirect"],"cert_file":"c"}]`:                                                                           "go together",
		`[{"id":"a","name":"A","country":"de","base_url":"https://x","sca_approaches":["redirect"],"colour":"red"}]`:                                                                            "unknown field",
		`[{"id":"a","name":"A","country":"de","base_url":"https://x","sca_approaches":["redirect"]},{"id":"a","name":"B","country":"de","base_url":"https://y","sca_approaches":["redirect"]}]`: "used twice",
	} {
		if _, err := berlingroup.ParseBanks([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
