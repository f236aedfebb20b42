package berlingroup_test

import (
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim/berlingroup"
)

func FuzzParseConsentRequest(f *testing.F) {
	f.Add([]byte(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2027-01-01","frequencyPerDay":4}`))
	f.Add([]byte(`{"access":{"balances":[{"bban":"0123456789"}]},"recurringIndicator":false,"validUntil":"2026-12-02","frequencyPerDay":1}`))
	f.Add([]byte(`{"access":{"accounts":[{}]},"validUntil":"x"}`))
	f.Add([]byte(`[]`))
	today := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		req, code, err := berlingroup.ParseConsentRequest(b, today)
		if err != nil {
			if code == "" {
				t.Fatal("an error without a message code")
			}
			return
		}
		until, perr := time.Parse(time.DateOnly, req.ValidUntil)
		if perr != nil || until.Before(today) || req.FrequencyPerDay < 1 || (!req.RecurringIndicator && req.FrequencyPerDay != 1) {
			t.Fatalf("accepted an invalid request: %+v", req)
		}
	})
}

func FuzzParseUpdateRequest(f *testing.F) {
	f.Add([]byte(`{"psuData":{"password":"123456"}}`))
	f.Add([]byte(`{"authenticationMethodId":"sms"}`))
	f.Add([]byte(`{"scaAuthenticationData":"123456"}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		berlingroup.ParseUpdateRequest(b) // must not panic
	})
}

func FuzzParsePageCursor(f *testing.F) {
	f.Add("1764633600000000000~0")
	f.Add("1~3")
	f.Add("~")
	f.Add("-1~2")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := berlingroup.ParsePageCursor(s)
		if !ok {
			return
		}
		again, ok := berlingroup.ParsePageCursor(c.String())
		if !ok || !again.At.Equal(c.At) || again.Skip != c.Skip {
			t.Fatalf("%q does not round-trip: %+v %+v", s, c, again)
		}
	})
}

func TestAmount(t *testing.T) {
	for k, want := range map[int64]string{0: "0.00", 5: "0.05", 100: "1.00", 123456: "1234.56", -99: "-0.99", -100050: "-1000.50"} {
		if got := berlingroup.Amount(k); got != want {
			t.Errorf("Amount(%d) = %q, want %q", k, got, want)
		}
	}
}

func TestCounterparty(t *testing.T) {
	for n, want := range map[string]string{
		"NIP FRM AISHA BELLO/RENT":                          "AISHA BELLO",
		"NIP/GTB/TUNDE BAKARE/TRF FOR GIFT":                 "TUNDE BAKARE",
		"POS PURCHASE SPAR LEKKI LAGOS NG":                  "SPAR LEKKI",
		"POS PURCHASE MEDPLUS PHARMACY VI PORT HARCOURT NG": "MEDPLUS PHARMACY VI",
		"WEB PURCHASE NETFLIX.COM":                          "NETFLIX.COM",
		"REVERSAL: POS PURCHASE SPAR LEKKI ABUJA NG":        "SPAR LEKKI",
		"SMS ALERT CHARGES JAN":                             "",
	} {
		if got := berlingroup.Counterparty(n); got != want {
			t.Errorf("Counterparty(%q) = %q, want %q", n, got, want)
		}
	}
}
