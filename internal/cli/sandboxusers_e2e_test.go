package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Partner-defined sandbox users (issue 18): an app defines a user with an
// exact transaction list, links it through the headless API and reads
// exactly those transactions back; another app never sees it; a second
// replica on the same database does; a live key is refused and a bad
// body gets a 400 naming the field.
func TestSandboxUsers(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		e := startE2E(t, e2eOpts{})
		sandboxUsers(t, e, e)
	})
	t.Run("postgres, two replicas", func(t *testing.T) {
		dsn := postgresDSN(t)
		t.Parallel()
		a := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
		b := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
		sandboxUsers(t, a, b)
	})
}

// sandboxUsers defines the user through a and links and reads it through b.
func sandboxUsers(t *testing.T, a, b *e2e) {
	a.signupApp("")
	b.sk, b.pk, b.app, b.auth, b.email = a.sk, a.pk, a.app, a.auth, a.email
	now := sandboxClock(t, a)
	day := func(n int) string { return now.AddDate(0, 0, -n).Format("2006-01-02") }
	txns := []map[string]any{
		{"date": day(40), "narration": "SALARY ACME LTD MAR", "amount": 45000000, "type": "credit"},
		{"date": day(38), "narration": "POS PURCHASE SHOPRITE IKEJA", "amount": 1250000, "type": "debit"},
		{"date": day(20), "narration": "NIP/GTB/ADA OBI/RENT", "amount": 30000000, "type": "debit"},
		{"date": day(10), "narration": "SALARY ACME LTD APR", "amount": 45000000, "type": "credit"},
		{"date": day(2), "narration": "AIRTIME/MTN/08030000000", "amount": 50000, "type": "debit"},
	}
	user := map[string]any{
		"username": "ada_case_1042", "password": "s3cret-pass", "description": "Ticket 1042: rent debited twice",
		"mfa":      []string{"otp"},
		"identity": map[string]any{"full_name": "Ada Obi", "bvn": "22212345678", "email": "ada@example.com"},
		"accounts": []map[string]any{{"type": "SAVINGS ACCOUNT", "opening_balance": 1000000, "transactions": txns}},
	}

	// refused: a live key; a body with a wrong field; an unknown field
	a.relogin()
	live := a.must(200, "PATCH", "/v1/apps/"+a.app["id"].(string), map[string]any{"live": true}, "Authorization", a.auth).m(t)
	if r := a.do("POST", "/v2/sandbox/users", user, "mono-sec-key", live["secret_key"].(string)); r.status != 403 || !strings.Contains(string(r.body), "test key") {
		t.Fatalf("live key: %d %s", r.status, r.body)
	}
	bad := map[string]any{"username": "ada_bad", "accounts": []map[string]any{{"transactions": []map[string]any{
		{"date": day(3), "narration": "x", "amount": 100, "type": "credit"},
		{"date": "yesterday", "narration": "y", "amount": -5, "type": "debit"}}}}}
	r := a.must(400, "POST", "/v2/sandbox/users", bad, a.key()...)
	for _, f := range []string{"accounts[0].transactions[1].amount", "accounts[0].transactions[1].date"} {
		if !strings.Contains(string(r.body), f) {
			t.Errorf("bad transaction: the 400 does not name %s: %s", f, r.body)
		}
	}
	r = a.must(400, "POST", "/v2/sandbox/users", map[string]any{"username": "ada_typo", "acounts": []any{}}, a.key()...)
	if !strings.Contains(string(r.body), "acounts") {
		t.Errorf("unknown field: %s", r.body)
	}

	// created through one replica, listed through the other
	a.must(201, "POST", "/v2/sandbox/users", user, a.key()...)
	a.must(409, "POST", "/v2/sandbox/users", user, a.key()...)
	list := b.must(200, "GET", "/v2/sandbox/users", nil, b.key()...).m(t)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["username"] != "ada_case_1042" {
		t.Fatalf("list through the other replica: %v", list)
	}

	// offered to this app's sessions (headless and widget), with its password
	gt := a.institution("GTBank")
	s := b.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt, "auth_method": "internet_banking"}, b.key()...).m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
	creds := b.must(200, "GET", "/v2/connect/sandbox", nil, b.key("x-session-id", s)...).body
	if !strings.Contains(string(creds), "ada_case_1042") || !strings.Contains(string(creds), "s3cret-pass") {
		t.Fatalf("/v2/connect/sandbox does not offer the app's user: %s", creds)
	}

	// linked through the headless API: password, then the OTP
	r = b.must(200, "POST", "/v2/connect/login", map[string]string{"username": "ada_case_1042", "password": "s3cret-pass"}, b.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(102) {
		t.Fatalf("login: %s", r.body)
	}
	r = b.must(200, "POST", "/v2/connect/commit", map[string]string{"otp": "123456"}, b.key("x-session-id", s)...)
	code := obj(r.m(t), "data")["code"].(string)
	id := obj(b.must(200, "POST", "/v2/accounts/auth", map[string]string{"code": code}, b.key()...).m(t), "data")["id"].(string)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, a, id) != "PROCESSING" })

	// exactly those transactions, and the balance they add up to
	got := a.must(200, "GET", "/v2/accounts/"+id+"/transactions?paginate=false", nil, a.key()...).m(t)["data"].([]any)
	if len(got) != len(txns) {
		t.Fatalf("%d transactions, want %d: %v", len(got), len(txns), got)
	}
	want := map[string]bool{}
	for _, x := range txns {
		want[fmt.Sprintf("%s|%s|%v|%s", x["date"], x["narration"], x["amount"], x["type"])] = true
	}
	for _, g := range got {
		m := g.(map[string]any)
		k := fmt.Sprintf("%.10s|%s|%.0f|%s", m["date"], m["narration"], m["amount"], m["type"])
		if !want[k] {
			t.Errorf("transaction %s is not one the app defined", k)
		}
	}
	acct := obj(a.must(200, "GET", "/v2/accounts/"+id, nil, a.key()...).m(t), "data", "account")
	if acct["balance"] != float64(1000000+45000000-1250000-30000000+45000000-50000) || acct["name"] != "ADA OBI" {
		t.Fatalf("account: %v", acct)
	}
	idt := obj(a.must(200, "GET", "/v2/accounts/"+id+"/identity", nil, a.key()...).m(t), "data")
	if idt["email"] != "ada@example.com" || idt["bvn"] != "22212345678" {
		t.Fatalf("identity: %v", idt)
	}

	// another app sees nothing of it, and cannot log in as it
	other := startE2E(t, e2eOpts{})
	other.signupApp("")
	if l := other.must(200, "GET", "/v2/sandbox/users", nil, other.key()...).m(t)["data"].([]any); len(l) != 0 {
		t.Fatalf("another app lists %v", l)
	}
	os := other.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt}, other.key()...).m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
	if c := other.must(200, "GET", "/v2/connect/sandbox", nil, other.key("x-session-id", os)...).body; strings.Contains(string(c), "ada_case_1042") {
		t.Fatalf("another app is offered the user: %s", c)
	}

	// deleted: gone from the list and from logins
	b.must(200, "DELETE", "/v2/sandbox/users/ada_case_1042", nil, b.key()...)
	a.must(404, "DELETE", "/v2/sandbox/users/ada_case_1042", nil, a.key()...)
	if l := a.must(200, "GET", "/v2/sandbox/users", nil, a.key()...).m(t)["data"].([]any); len(l) != 0 {
		t.Fatalf("after delete: %v", l)
	}
}
