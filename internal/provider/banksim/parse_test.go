package banksim

import "testing"

// The parsers must turn anything a bank sends into data or a classified
// error, never a panic.

func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"T1","booked_at":"2026-01-02T10:00:00Z","direction":"debit","amount":500,"balance":100,"currency":"NGN","description":"POS"}],"next_cursor":"1.2"}`))
	f.Add([]byte(`{"data":[{"id":"T1","amount":-5}]}`))
	f.Add([]byte(`{"data":[{"id":"x","amount":"NaN`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		txns, _, err := parsePage(b)
		if err == nil {
			for _, x := range txns {
				if x.Ref == "" || x.Amount < 0 {
					t.Fatalf("accepted a bad row: %+v", x)
				}
			}
		}
	})
}

func FuzzParseStep(f *testing.F) {
	f.Add([]byte(`{"access_token":"a","persist":"p","expires_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"challenge":{"token":"c","kind":"otp","ui":{"title":"x","form":[{"name":"otp"}]}}}`))
	f.Add([]byte(`{"challenge":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = parseStep(b) })
}

func FuzzParseAccounts(f *testing.F) {
	f.Add([]byte(`{"data":[{"account_id":"a","account_number":"0123456789","balance":5}]}`))
	f.Add([]byte(`{"data":[{"account_id":"a"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseAccounts(b)
		_, _ = parseBalance(b)
	})
}
