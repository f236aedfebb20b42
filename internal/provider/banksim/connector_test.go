package banksim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
	connector "github.com/kobo-oss/kobo/internal/provider/banksim"
)

type bundle struct {
	sim  *banksim.Sim
	srv  *httptest.Server
	conn *connector.Connector
	inst map[string]kobo.Institution // by slug/type
}

func setup(t testing.TB, cfg connector.Config) *bundle {
	t.Helper()
	sim := banksim.New(banksim.Config{Seed: 7, Clock: kobo.ClockFunc(func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) })})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = time.Millisecond
	}
	b := &bundle{sim: sim, srv: srv, conn: connector.New(cfg), inst: map[string]kobo.Institution{}}
	for _, in := range banksim.Catalog() {
		b.inst[in.Identifier+"/"+string(in.Type)] = in
	}
	return b
}

func (b *bundle) gtbank() kobo.Institution {
	return b.inst["mono.connections.gtbank/PERSONAL_BANKING"]
}

func creds(u string, form kobo.UIForm) map[string]kobo.Secret {
	out := map[string]kobo.Secret{}
	for _, su := range banksim.SandboxUsers(kobo.Institution{AuthMethods: []kobo.AuthMethod{{Type: "x", UI: form}}}, "x") {
		if su.Username == u {
			for k, v := range su.Values {
				out[k] = kobo.Secret(v)
			}
		}
	}
	return out
}

func (b *bundle) login(t *testing.T, in kobo.Institution, user string) (kobo.LoginStep, error) {
	t.Helper()
	m := in.AuthMethods[0]
	return b.conn.Login(context.Background(), kobo.LoginRequest{Institution: in, AuthMethod: m.Type, Fields: creds(user, m.UI), Interactive: true, Tenant: "t1"})
}

func kind(err error) kobo.BankErrorKind { return kobo.BankErrorKindOf(err) }

// checkHistory verifies a fetched history's invariants.
func checkHistory(t *testing.T, txns []kobo.BankTransaction) {
	t.Helper()
	seen := map[string]bool{}
	for i, x := range txns {
		if seen[x.Ref] {
			t.Fatalf("duplicate transaction ref %s", x.Ref)
		}
		seen[x.Ref] = true
		if x.Amount <= 0 || x.Balance == nil || *x.Balance < 0 {
			t.Fatalf("transaction %d: amount %d balance %v", i, x.Amount, x.Balance)
		}
		if i == 0 {
			continue
		}
		prev := txns[i-1]
		if x.Date.Before(prev.Date) {
			t.Fatalf("transaction %d is older than the one before it", i)
		}
		want := *prev.Balance - x.Amount
		if x.Type == kobo.Credit {
			want = *prev.Balance + x.Amount
		}
		if *x.Balance != want {
			t.Fatalf("transaction %d (%s %d %q): balance %d, want %d: running balances do not add up", i, x.Type, x.Amount, x.Narration, *x.Balance, want)
		}
	}
}

func fetchAll(t *testing.T, b *bundle, s kobo.BankSession, ref string, from time.Time) []kobo.BankTransaction {
	t.Helper()
	var all []kobo.BankTransaction
	err := b.conn.Transactions(context.Background(), s, ref, kobo.TxnQuery{From: from, PageSize: 700}, func(p []kobo.BankTransaction) error {
		all = append(all, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestGoodUserEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, connector.Config{})
	ctx := context.Background()
	step, err := b.login(t, b.gtbank(), "user_good")
	if err != nil || step.Session == nil {
		t.Fatalf("login = %+v, %v", step, err)
	}
	accts, err := b.conn.Accounts(ctx, *step.Session)
	if err != nil || len(accts) != 1 || len(accts[0].Number) != 10 || accts[0].Name == "" || len(accts[0].BVN) != 11 {
		t.Fatalf("accounts = %+v, %v", accts, err)
	}
	txns := fetchAll(t, b, *step.Session, accts[0].Ref, time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC))
	if len(txns) < 500 {
		t.Fatalf("12 months gave %d transactions", len(txns))
	}
	checkHistory(t, txns)
	bal, err := b.conn.Balance(ctx, *step.Session, accts[0].Ref)
	if err != nil || bal.Balance != *txns[len(txns)-1].Balance || bal.Balance != accts[0].Balance {
		t.Fatalf("balance %+v (err %v) does not match the last running balance %d", bal, err, *txns[len(txns)-1].Balance)
	}
	// realism: salaries, stamp duty on big electronic credits, VAT on charges
	var salaries, duty, sms int
	for i, x := range txns {
		n := x.Narration
		switch {
		case strings.Contains(n, "ANDELA NIGERIA LTD") && x.Type == kobo.Credit:
			salaries++
			if x.Amount != 450_000_00 {
				t.Errorf("salary = %d", x.Amount)
			}
		case strings.Contains(n, "STAMP DUTY"):
			duty++
			if x.Amount != 50_00 {
				t.Errorf("stamp duty = %d", x.Amount)
			}
		case strings.HasPrefix(n, "VAT ON SMS"):
			sms++
			if want := txns[i-1].Amount * 75 / 1000; x.Amount != want || !strings.HasPrefix(txns[i-1].Narration, "SMS ALERT") {
				t.Errorf("VAT %d after %q %d, want %d", x.Amount, txns[i-1].Narration, txns[i-1].Amount, want)
			}
		}
	}
	if salaries < 11 || salaries > 13 || duty < salaries || sms < 11 {
		t.Fatalf("salaries=%d stamp duties=%d sms charges=%d over 12 months", salaries, duty, sms)
	}
	id, err := b.conn.Identity(ctx, *step.Session, accts[0].Ref)
	if err != nil || id.FullName != accts[0].Name || string(id.BVN) != string(accts[0].BVN) || id.DOB == "" {
		t.Fatalf("identity = %+v, %v", id, err)
	}
}

func TestEveryUser(t *testing.T) {
	t.Parallel()
	// A generous per-call timeout: this test is about what each user does,
	// not about speed, and a -race run on a loaded machine generated the
	// business user's month past 2 s.
	b := setup(t, connector.Config{Retries: 1, Timeout: 60 * time.Second})
	ctx := context.Background()
	gt := b.gtbank()
	zenith := b.inst["mono.connections.zenith/PERSONAL_BANKING"]

	if step, _ := b.login(t, gt, "user_multi"); step.Session == nil {
		t.Fatal("user_multi did not log in")
	} else if a, _ := b.conn.Accounts(ctx, *step.Session); len(a) != 3 {
		t.Fatalf("user_multi accounts = %d", len(a))
	}

	step, err := b.login(t, gt, "user_otp")
	if err != nil || step.Challenge == nil || step.Challenge.UI.Form[0].Name != "otp" {
		t.Fatalf("user_otp = %+v, %v", step, err)
	}
	if _, err := b.conn.Answer(ctx, *step.Challenge, map[string]kobo.Secret{"otp": "000000"}); kind(err) != kobo.BankBadCredentials {
		t.Fatalf("wrong OTP: %v", err)
	}
	if s, err := b.conn.Answer(ctx, *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP}); err != nil || s.Session == nil {
		t.Fatalf("right OTP: %+v %v", s, err)
	}

	step, _ = b.login(t, gt, "user_question")
	if step.Challenge == nil || step.Challenge.UI.Form[0].Hint != banksim.TestQuestion {
		t.Fatalf("user_question = %+v", step)
	}
	if s, err := b.conn.Answer(ctx, *step.Challenge, map[string]kobo.Secret{"answer": "Adebayo"}); err != nil || s.Session == nil {
		t.Fatalf("answer: %v", err)
	}

	step, _ = b.login(t, zenith, "user_mfa") // Zenith uses hardware tokens
	if step.Challenge == nil || step.Challenge.Kind != banksim.MFAToken {
		t.Fatalf("user_mfa at Zenith = %+v", step)
	}

	step, _ = b.login(t, gt, "user_chained")
	if step.Challenge == nil || step.Challenge.Kind != "otp" {
		t.Fatalf("user_chained first = %+v", step)
	}
	step, err = b.conn.Answer(ctx, *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP})
	if err != nil || step.Challenge == nil || step.Challenge.Kind != "question" {
		t.Fatalf("user_chained second = %+v %v", step, err)
	}

	if _, err := b.login(t, gt, "user_bad"); kind(err) != kobo.BankBadCredentials {
		t.Fatalf("user_bad: %v", err)
	}
	wrong := creds("user_good", gt.AuthMethods[0].UI)
	wrong["password"] = "nope"
	if _, err := b.conn.Login(ctx, kobo.LoginRequest{Institution: gt, AuthMethod: gt.AuthMethods[0].Type, Fields: wrong, Interactive: true}); kind(err) != kobo.BankBadCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := b.login(t, gt, "user_locked"); kind(err) != kobo.BankLocked {
		t.Fatalf("user_locked: %v", err)
	}

	// user_reauth: fine once, then every background login wants MFA
	step, _ = b.login(t, gt, "user_reauth")
	step, err = b.conn.Answer(ctx, *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP})
	if err != nil || step.Session == nil {
		t.Fatal(err)
	}
	_, err = b.conn.Login(ctx, kobo.LoginRequest{Institution: gt, AuthMethod: gt.AuthMethods[0].Type, Persist: step.Session.Persist, Tenant: "t1"})
	if kind(err) != kobo.BankMFARequired {
		t.Fatalf("user_reauth background login: %v", err)
	}
	again, err := b.conn.Login(ctx, kobo.LoginRequest{Institution: gt, AuthMethod: gt.AuthMethods[0].Type, Persist: step.Session.Persist, Interactive: true, Tenant: "t1"})
	if err != nil || again.Challenge == nil {
		t.Fatalf("user_reauth interactive re-login = %+v %v", again, err)
	}

	// user_good logs in again in the background with its persisted session
	good, _ := b.login(t, gt, "user_good")
	if s, err := b.conn.Login(ctx, kobo.LoginRequest{Institution: gt, AuthMethod: gt.AuthMethods[0].Type, Persist: good.Session.Persist, Tenant: "t1"}); err != nil || s.Session == nil {
		t.Fatalf("background re-login: %v", err)
	}
	// ...until the sandbox says the next sync must re-authorise
	if err := b.conn.RequireMFA(ctx, *good.Session); err != nil {
		t.Fatal(err)
	}
	if _, err := b.conn.Login(ctx, kobo.LoginRequest{Institution: gt, AuthMethod: gt.AuthMethods[0].Type, Persist: good.Session.Persist, Tenant: "t1"}); kind(err) != kobo.BankMFARequired {
		t.Fatalf("after RequireMFA: %v", err)
	}

	empty, _ := b.login(t, gt, "user_empty")
	ea, _ := b.conn.Accounts(ctx, *empty.Session)
	if ea[0].Balance != 0 || len(fetchAll(t, b, *empty.Session, ea[0].Ref, time.Time{})) != 0 {
		t.Fatal("user_empty has data")
	}

	partial, _ := b.login(t, gt, "user_partial")
	pa, _ := b.conn.Accounts(ctx, *partial.Session)
	if _, err := b.conn.Balance(ctx, *partial.Session, pa[0].Ref); err != nil {
		t.Fatalf("user_partial balance: %v", err)
	}
	if err := b.conn.Transactions(ctx, *partial.Session, pa[0].Ref, kobo.TxnQuery{}, func([]kobo.BankTransaction) error { return nil }); err == nil || kind(err) == kobo.BankUnavailable {
		t.Fatalf("user_partial transactions: %v (want a lasting failure)", err)
	}

	opay := b.inst["mono.connections.opay/PERSONAL_BANKING"]
	op, err := b.login(t, opay, "user_good") // phone + 6-digit PIN form
	if err != nil || op.Session == nil {
		t.Fatalf("OPay login: %v", err)
	}
	oa, _ := b.conn.Accounts(ctx, *op.Session)
	if _, err := b.conn.Identity(ctx, *op.Session, oa[0].Ref); kind(err) != kobo.BankNotFound {
		t.Fatalf("OPay identity: %v (OPay gives none)", err)
	}

	biz, err := b.login(t, b.inst["mono.connections.gtbank.business/BUSINESS_BANKING"], "user_business")
	if err != nil || biz.Session == nil {
		t.Fatalf("business login: %v", err)
	}
	ba, err := b.conn.Accounts(ctx, *biz.Session)
	if err != nil || len(ba) == 0 {
		t.Fatalf("business accounts: %v, %d", err, len(ba))
	}
	bt := fetchAll(t, b, *biz.Session, ba[0].Ref, time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC))
	if len(bt) < 3000 {
		t.Fatalf("business account: %d transactions in a month", len(bt))
	}
	checkHistory(t, bt)
}

func TestSlowAndFlaky(t *testing.T) {
	t.Parallel()
	b := setup(t, connector.Config{Retries: 0, Timeout: 300 * time.Millisecond})
	start := time.Now()
	if _, err := b.login(t, b.gtbank(), "user_slow"); kind(err) != kobo.BankUnavailable {
		t.Fatalf("slow bank with a 300ms timeout: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("the timeout was not enforced")
	}
	// the flaky bank: retries make most calls succeed; failures are transient
	fb := setup(t, connector.Config{Retries: 4, Timeout: 300 * time.Millisecond, BreakerFailures: 1000})
	ok, transient := 0, 0
	for i := 0; i < 20; i++ {
		_, err := fb.login(t, fb.gtbank(), "user_flaky")
		switch {
		case err == nil:
			ok++
		case kind(err) == kobo.BankUnavailable:
			transient++
		default:
			t.Fatalf("flaky bank gave %v", err)
		}
	}
	if ok < 15 {
		t.Fatalf("only %d of 20 logins got through the flaky bank with retries", ok)
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	b := setup(t, connector.Config{Retries: 2, BreakerFailures: 3, BreakerCooldown: time.Hour})
	step, _ := b.login(t, b.gtbank(), "user_good")
	s := *step.Session
	ctx := context.Background()
	accts, _ := b.conn.Accounts(ctx, s)
	ref := accts[0].Ref
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clean := fetchAll(t, b, s, ref, from)
	fetch := func(f string) ([]kobo.BankTransaction, error) {
		var all []kobo.BankTransaction
		err := b.conn.Transactions(connector.WithFault(ctx, f), s, ref, kobo.TxnQuery{From: from, PageSize: 50}, func(p []kobo.BankTransaction) error {
			all = append(all, p...)
			return nil
		})
		return all, err
	}
	if got, err := fetch("duplicate"); err != nil || len(got) != len(clean) {
		t.Fatalf("duplicated rows: %d rows (want %d), %v", len(got), len(clean), err)
	}
	for _, f := range []string{"truncate", "malformed"} {
		if _, err := fetch(f); kind(err) != kobo.BankInvalidData {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if _, err := fetch("expire"); kind(err) != kobo.BankTokenExpired {
		t.Fatalf("expire: %v", err)
	}
	if _, err := fetch("ratelimit"); kind(err) != kobo.BankRateLimited {
		t.Fatalf("ratelimit: %v", err)
	}
	// repeated 5xx open the breaker: calls then fail fast without reaching the bank
	_, err := fetch("error")
	if kind(err) != kobo.BankUnavailable {
		t.Fatalf("error: %v", err)
	}
	_, err = b.conn.Balance(ctx, s, ref)
	var be *kobo.BankError
	if !errors.As(err, &be) || !strings.Contains(be.Message, "circuit open") {
		t.Fatalf("after repeated failures the breaker should be open: %v", err)
	}
}

func TestDeterminismAndClock(t *testing.T) {
	t.Parallel()
	run := func() []kobo.BankTransaction {
		b := setup(t, connector.Config{})
		step, _ := b.login(t, b.gtbank(), "user_multi")
		a, _ := b.conn.Accounts(context.Background(), *step.Session)
		return fetchAll(t, b, *step.Session, a[0].Ref, time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC))
	}
	x, y := run(), run()
	if len(x) != len(y) || len(x) == 0 {
		t.Fatalf("two runs: %d vs %d transactions", len(x), len(y))
	}
	for i := range x {
		if x[i].Ref != y[i].Ref || x[i].Amount != y[i].Amount || !x[i].Date.Equal(y[i].Date) || x[i].Narration != y[i].Narration {
			t.Fatalf("runs differ at %d: %+v vs %+v", i, x[i], y[i])
		}
	}
	// simulated time passes: a month later there is more, and it is new
	b := setup(t, connector.Config{})
	ctx := context.Background()
	step, _ := b.login(t, b.gtbank(), "user_good")
	a, _ := b.conn.Accounts(ctx, *step.Session)
	before := fetchAll(t, b, *step.Session, a[0].Ref, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	if _, err := b.conn.AdvanceClock(ctx, "t1", 31*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := b.conn.Balance(ctx, *step.Session, a[0].Ref); kind(err) != kobo.BankTokenExpired {
		t.Fatalf("a month later the access token should have expired: %v", err)
	}
	step2, err := b.conn.Login(ctx, kobo.LoginRequest{Institution: b.gtbank(), AuthMethod: "internet_banking", Persist: step.Session.Persist, Tenant: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	after := fetchAll(t, b, *step2.Session, a[0].Ref, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	if len(after) <= len(before)+30 {
		t.Fatalf("after a month: %d transactions, before %d", len(after), len(before))
	}
	for i := range before {
		if after[i].Ref != before[i].Ref {
			t.Fatalf("history changed when time passed (row %d)", i)
		}
	}
	// other tenants' clocks do not move
	other, _ := b.conn.Now(ctx, "t2")
	if other.After(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("tenant t2's clock moved to %v", other)
	}
}

func TestSandboxUsersAndCustomScenario(t *testing.T) {
	t.Parallel()
	b := setup(t, connector.Config{})
	ctx := context.Background()
	users, err := b.conn.Users(ctx, b.gtbank(), "mobile_banking")
	if err != nil || len(users) < 14 {
		t.Fatalf("users = %d, %v", len(users), err)
	}
	for _, u := range users {
		if u.Values["account_number"] == "" || u.Values["password"] == "" {
			t.Fatalf("%s: values for GTWorld's form = %v", u.Username, u.Values)
		}
	}
	res, err := http.Post(b.srv.URL+"/admin/users", "application/json", strings.NewReader(
		`{"username":"custom_rich","mfa":"pin","accounts":[{"type":"CURRENT ACCOUNT","employer":"KOBO LTD","salary":500000000,"per_day":1,"history_days":60,"opening_kobo":1000}]}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create custom user: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	users, _ = b.conn.Users(ctx, b.gtbank(), "internet_banking")
	var fields map[string]kobo.Secret
	for _, u := range users {
		if u.Username == "custom_rich" {
			fields = map[string]kobo.Secret{"username": kobo.Secret(u.Values["username"]), "password": kobo.Secret(u.Values["password"])}
		}
	}
	step, err := b.conn.Login(ctx, kobo.LoginRequest{Institution: b.gtbank(), AuthMethod: "internet_banking", Fields: fields, Interactive: true})
	if err != nil || step.Challenge == nil || step.Challenge.Kind != "pin" {
		t.Fatalf("custom user login = %+v %v", step, err)
	}
	for _, bad := range []string{`{"username":"nope","accounts":[{}]}`, `{"username":"custom_x","accounts":[]}`, `{"username":"custom_y","mfa":"sms","accounts":[{}]}`, `not json`} {
		res, _ := http.Post(b.srv.URL+"/admin/users", "application/json", strings.NewReader(bad))
		if res.StatusCode != 400 {
			t.Errorf("%s: status %d", bad, res.StatusCode)
		}
		res.Body.Close()
	}
}
