package mono

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func seeds(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
}

// FuzzParseStep: any Partners API answer is a step with what its code
// promises, or an error; never a panic.
func FuzzParseStep(f *testing.F) {
	seeds(f, "login_101.json", "login_102.json", "commit_99.json", "commit_400.json", "reauth_session.json", "session.json")
	f.Add([]byte(`{"responseCode":101,"data":[{"accountNumber":"1"}]}`))
	f.Add([]byte(`{"responseCode":102,"data":{"title":"t","form":[{"name":"otp"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStep(b)
		if err != nil {
			return
		}
		switch st.code {
		case 99:
			if st.Code == "" && st.SessionID == "" {
				t.Fatal("99 without a code or session")
			}
		case 101:
			if len(st.Accounts) == 0 {
				t.Fatal("101 without accounts")
			}
			tok, err := encodePending("s", st.Accounts)
			if err != nil {
				t.Fatal(err)
			}
			if sid, accts, ok := decodePending(tok); !ok || sid != "s" || len(accts) != len(st.Accounts) {
				t.Fatal("pending session does not round-trip")
			}
		case 102:
			if st.Form == nil || len(st.Form.Form) == 0 || challengeKind(*st.Form) == "" {
				t.Fatal("102 without a form")
			}
		case 400:
		default:
			t.Fatalf("code %d accepted", st.code)
		}
		_, _ = parseSession(b)
		_, _ = parseExchange(b)
	})
}

// FuzzParseReauthToken: a re-auth token kobo hands Mono's widget is one
// validID accepts (it goes into the widget's config), or an error.
func FuzzParseReauthToken(f *testing.F) {
	seeds(f, "reauthorise.json", "exchange_v1.json")
	f.Add([]byte(`{"data":{"token":"VwxcfeLRZvq1UlD5WiuN"}}`))
	f.Add([]byte(`{"token":"a/b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := parseReauthToken(b)
		if err == nil && !validID(tok) {
			t.Fatalf("token %q accepted", tok)
		}
	})
}

// FuzzParseTxnPage: rows are complete (id, debit or credit, a
// non-negative amount, a date), and the next page is a page number.
func FuzzParseTxnPage(f *testing.F) {
	seeds(f, "transactions_p1.json", "transactions_p2.json", "transactions_processing.json")
	f.Add([]byte(`{"data":[{"id":"a","type":"credit","amount":-5,"date":"2024-01-01T00:00:00Z"}],"meta":{"next":"?page=9"}}`))
	f.Add([]byte(`{"data":[{"id":"a","type":"debit","amount":"1e3","date":"2024-01-01T00:00:00Z","balance":1.0}],"meta":{"next":null}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, next, _, err := parseTxnPage(b, "NGN")
		if err != nil {
			return
		}
		if next < 0 {
			t.Fatalf("next page %d", next)
		}
		for _, r := range rows {
			if r.Ref == "" || (r.Type != kobo.Debit && r.Type != kobo.Credit) || r.Amount < 0 || r.Date.IsZero() || !r.ProviderID || r.Currency == "" {
				t.Fatalf("incomplete row %+v", r)
			}
		}
	})
}

// FuzzParseWebhook: an event always names a usable account id.
func FuzzParseWebhook(f *testing.F) {
	seeds(f, "webhook_account_updated.json", "webhook_account_updated_v1.json", "webhook_account_updated_reauth.json",
		"webhook_reauthorisation_required.json", "webhook_account_unlinked.json", "webhook_account_connected.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := parseWebhook(b)
		if err != nil {
			if kobo.ErrorCode(err) != kobo.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		for _, e := range evs {
			if !validID(e.AccountRef) || e.Kind == "" {
				t.Fatalf("event %+v", e)
			}
		}
	})
}

// FuzzParseAccountData: details, balance, identity and the institution
// list decode or fail; amounts are whole minor units.
func FuzzParseAccountData(f *testing.F) {
	seeds(f, "account.json", "account_processing.json", "balance.json", "balance_processing.json", "identity.json", "institutions_v1.json", "institutions_v3.json")
	f.Add([]byte(`{"data":{"id":"x","balance":"12.50"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := parseDetails(b); err == nil {
			if a := d.account(); !validID(a.Ref) || a.Number == "" || a.Currency == "" {
				t.Fatalf("account %+v", a)
			}
		}
		if bal, ok, err := parseBalance(b); err == nil && ok && (bal.Currency == "" || bal.Balance != bal.Available) {
			t.Fatalf("balance %+v", bal)
		}
		_, _, _ = parseIdentity(b)
		if m, err := parseInstitutions(b); err == nil {
			for _, id := range m {
				if !validID(id) {
					t.Fatalf("institution id %q", id)
				}
			}
		}
		var raw json.RawMessage
		if json.Unmarshal(b, &raw) == nil {
			_, _ = minorUnits(raw)
		}
	})
}

// FuzzIncome: any income-records page or account_income body is reports
// in kobo's form (which read back as JSON objects with whole amounts) or
// an error; never a panic.
func FuzzIncome(f *testing.F) {
	seeds(f, "income_records_p1.json", "income_records_p2.json", "webhook_account_income.json")
	f.Add([]byte(`{"data":[{"income":{"income_summary":{"total_income":1.5}},"created_at":"2025-01-01T00:00:00Z"}],"meta":{"next":"x?page=0"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(rep json.RawMessage) {
			var out kobo.MonoIncome
			if err := json.Unmarshal(rep, &out); err != nil {
				t.Fatalf("normalised report does not read back: %v: %s", err, rep)
			}
		}
		if reps, _, err := parseIncomeRecords(b); err == nil {
			for _, r := range reps {
				check(r.Report)
			}
		}
		if evs, err := parseWebhook(b); err == nil {
			for _, ev := range evs {
				if ev.Kind == kobo.ProviderIncomeReady {
					check(ev.Income.Report)
				}
			}
		}
		if rep, err := normaliseIncome(b); err == nil {
			check(rep)
		}
	})
}
