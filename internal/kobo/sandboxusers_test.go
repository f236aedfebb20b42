package kobo

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSandboxUserSpecNamesTheField(t *testing.T) {
	s := SandboxUserSpec{Username: "ada", MFA: []string{"otp", "sms"}, Accounts: []SandboxAccountSpec{
		{Generator: &SandboxGenerator{Salary: 100}, Transactions: []SandboxFixedTxn{{Date: "2026-01-02", Narration: "x", Amount: 1, Type: Credit}}},
		{Transactions: []SandboxFixedTxn{{Date: "2026-13-01", Narration: "", Amount: 0, Type: "refund"}}},
	}}
	err := s.Validate()
	for _, f := range []string{"mfa[1]", "accounts[0]", "accounts[0].generator.employer", "accounts[1].transactions[0].date",
		"accounts[1].transactions[0].narration", "accounts[1].transactions[0].amount", "accounts[1].transactions[0].type"} {
		if _, ok := err.(*Error).Fields[f]; !ok {
			t.Errorf("%s not named: %v", f, err)
		}
	}
	ok := SandboxUserSpec{Username: "ada.obi", Accounts: []SandboxAccountSpec{{Transactions: []SandboxFixedTxn{
		{Date: "2026-01-02", Narration: "SALARY", Amount: 1, Type: Credit}, {Date: "2026-01-03T10:00:00+01:00", Narration: "POS", Amount: 1, Type: Debit}}}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"user_good", "custom_x", "A", "ab", strings.Repeat("a", 41), "a b"} {
		if (&SandboxUserSpec{Username: name, Accounts: ok.Accounts}).Validate() == nil {
			t.Errorf("username %q accepted", name)
		}
	}
}

// FuzzSandboxUserSpec: any body either fails validation or describes
// transactions whose dates parse.
func FuzzSandboxUserSpec(f *testing.F) {
	f.Add(`{"username":"ada","accounts":[{"transactions":[{"date":"2026-01-02","narration":"x","amount":5,"type":"credit"}]}]}`)
	f.Add(`{"username":"ada","mfa":["otp"],"accounts":[{"generator":{"employer":"ACME","salary":100}}]}`)
	f.Add(`{"username":"ada","accounts":[{"transactions":[{"date":"2026-01-02T00:00:00Z","narration":"x","amount":-1,"type":"debit"}]}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var s SandboxUserSpec
		if json.Unmarshal([]byte(body), &s) != nil {
			return
		}
		if s.Validate() != nil {
			return
		}
		for _, a := range s.Accounts {
			for _, x := range a.Transactions {
				if _, err := x.Time(); err != nil || x.Amount <= 0 {
					t.Fatalf("valid spec with a bad transaction %+v", x)
				}
			}
		}
	})
}
