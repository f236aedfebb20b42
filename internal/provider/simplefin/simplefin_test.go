package simplefin

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/simplefin/sfintest"
)

// t0 is the tests' "now": the fake and the provider share it.
var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

type rig struct {
	t   *testing.T
	srv *sfintest.Server
	p   *Provider
	log *bytes.Buffer
}

func newRig(t *testing.T, tls bool, mod ...func(*Config)) *rig {
	t.Helper()
	srv := sfintest.New(tls)
	t.Cleanup(srv.Close)
	srv.Now = func() time.Time { return t0 }
	var buf bytes.Buffer
	c := Config{AllowPrivate: true, Clock: kobo.ClockFunc(func() time.Time { return t0 }),
		Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if tls {
		c.RootCAs = x509Pool(srv)
	}
	for _, m := range mod {
		m(&c)
	}
	srv.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "ACT-1", Name: "Checking", Currency: "USD", Balance: "100.23", Available: "75.23",
		BalanceDate: t0.Add(-time.Hour).Unix(), Txns: []sfintest.Txn{
			{ID: "T-1", Posted: t0.Add(-72 * time.Hour).Unix(), TransactedAt: t0.Add(-80 * time.Hour).Unix(), Amount: "-33.43", Description: "Uncle Frank's Bait Shop"},
			{ID: "T-2", Posted: t0.Add(-48 * time.Hour).Unix(), Amount: "1250.00", Description: "Payroll"},
			{ID: "T-3", Posted: 0, TransactedAt: t0.Add(-2 * time.Hour).Unix(), Amount: "-4.50", Description: "Coffee", Pending: true},
		}})
	srv.AddAccount(sfintest.Account{Org: sfintest.Org{Domain: "cu.example", SfinURL: "https://cu.example/sfin"}, ID: "ACT-2", Name: "Card",
		Currency: "usd", Balance: "-20", BalanceDate: t0.Unix()})
	return &rig{t: t, srv: srv, p: New(c), log: &buf}
}

func (r *rig) login(live bool) kobo.BankSession {
	r.t.Helper()
	step, err := r.p.Login(context.Background(), kobo.LoginRequest{Institution: Catalog()[0], Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(r.srv.SetupToken())},
		Interactive: true, Live: live})
	if err != nil {
		r.t.Fatal(err)
	}
	if step.Session == nil {
		r.t.Fatalf("no session: %+v", step)
	}
	return *step.Session
}

func kindOf(t *testing.T, err error, want kobo.BankErrorKind) *kobo.BankError {
	t.Helper()
	var be *kobo.BankError
	if !errors.As(err, &be) || be.Kind != want {
		t.Fatalf("error = %v, want kind %s", err, want)
	}
	return be
}

func TestLinkReadsAccountsBalancesAndTransactions(t *testing.T) {
	r := newRig(t, false)
	s := r.login(false)
	if s.Persist == "" || s.Persist != s.Token || !s.ExpiresAt.IsZero() || s.ConsentExpiresAt != nil {
		t.Fatalf("session = %+v", s)
	}
	if !strings.Contains(s.Persist.Reveal(), "@127.0.0.1:") || strings.Contains(s.Persist.String(), "user") {
		t.Fatal("the access URL is not what the session keeps, or it prints")
	}
	ctx := context.Background()
	accts, err := r.p.Accounts(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 2 {
		t.Fatalf("accounts = %+v", accts)
	}
	a, b := accts[0], accts[1]
	if a.Ref != "ACT-1" || a.Number != "ACT-1" || a.Name != "Checking" || a.Currency != "USD" || a.Balance != 10023 || a.Institution != "My Bank" || a.Status != "active" {
		t.Fatalf("first account = %+v", a)
	}
	// no name: the domain names the organisation; a card owes (negative)
	if b.Institution != "cu.example" || b.Currency != "USD" || b.Balance != -2000 {
		t.Fatalf("second account = %+v", b)
	}
	if q := r.srv.Requests()[0]; q.Get("balances-only") != "1" {
		t.Fatalf("the link read transactions: %v", q)
	}

	bal, err := r.p.Balance(ctx, s, "ACT-1")
	if err != nil {
		t.Fatal(err)
	}
	if bal.Balance != 10023 || bal.Available != 7523 || bal.Currency != "USD" || !bal.AsOf.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("balance = %+v", bal)
	}
	if bal2, err := r.p.Balance(ctx, s, "ACT-2"); err != nil || bal2.Available != bal2.Balance {
		t.Fatalf("without available-balance: %+v %v", bal2, err)
	}

	var got []kobo.BankTransaction
	err = r.p.Transactions(ctx, s, "ACT-1", kobo.TxnQuery{From: t0.Add(-30 * 24 * time.Hour)}, func(p []kobo.BankTransaction) error {
		got = append(got, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("transactions = %+v", got)
	}
	// dated when they happened, oldest first
	want := []struct {
		ref     string
		date    time.Time
		typ     kobo.TxnType
		amount  int64
		pending bool
	}{
		{"T-1", t0.Add(-80 * time.Hour), kobo.Debit, 3343, false},
		{"T-2", t0.Add(-48 * time.Hour), kobo.Credit, 125000, false},
		{"T-3", t0.Add(-2 * time.Hour), kobo.Debit, 450, true},
	}
	for i, w := range want {
		g := got[i]
		if g.Ref != w.ref || !g.Date.Equal(w.date) || g.Type != w.typ || g.Amount != w.amount || g.Pending != w.pending || !g.ProviderID || g.Currency != "USD" {
			t.Fatalf("transaction %d = %+v, want %+v", i, g, w)
		}
	}
	if got[0].Narration != "Uncle Frank's Bait Shop" {
		t.Fatalf("narration = %q", got[0].Narration)
	}
	last := r.srv.Requests()[len(r.srv.Requests())-1]
	if last.Get("pending") != "1" || last.Get("account") != "ACT-1" || last.Get("start-date") != strconv.FormatInt(t0.Add(-30*24*time.Hour).Unix(), 10) ||
		last.Has("end-date") || last.Has("balances-only") {
		t.Fatalf("transactions request = %v", last)
	}

	// pending posts: same id, same date (transacted_at), no longer pending
	r.srv.Post("ACT-1", "T-3", t0.Add(time.Hour))
	got = got[:0]
	if err := r.p.Transactions(ctx, s, "ACT-1", kobo.TxnQuery{From: t0.Add(-7 * 24 * time.Hour), To: t0.Add(2 * time.Hour)}, func(p []kobo.BankTransaction) error {
		got = append(got, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(got); n != 3 || got[2].Ref != "T-3" || got[2].Pending || !got[2].Date.Equal(t0.Add(-2*time.Hour)) {
		t.Fatalf("after posting: %+v", got)
	}

	if _, err := r.p.Identity(ctx, s, "ACT-1"); kobo.BankErrorKindOf(err) != kobo.BankNotFound {
		t.Fatalf("identity: %v", err)
	}
	if _, err := r.p.Balance(ctx, s, "ACT-9"); kobo.BankErrorKindOf(err) != kobo.BankNotFound {
		t.Fatalf("unknown account: %v", err)
	}
	// the access URL's credentials never reach the logs
	u, _ := url.Parse(s.Persist.Reveal())
	pass, _ := u.User.Password()
	if strings.Contains(r.log.String(), pass) || strings.Contains(r.log.String(), u.User.Username()) {
		t.Fatalf("the logs hold the access URL: %s", r.log)
	}
}

func TestTokenClaimedTwiceWarnsTheCustomer(t *testing.T) {
	r := newRig(t, false)
	tok := r.srv.SetupToken()
	req := kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(tok)}, Interactive: true}
	if _, err := r.p.Login(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	_, err := r.p.Login(context.Background(), req)
	be := kindOf(t, err, kobo.BankBadCredentials)
	if !strings.Contains(be.Message, "someone else may have claimed it") || !strings.Contains(be.Message, "disable the token") {
		t.Fatalf("message = %q", be.Message)
	}
	if r.srv.Claims() != 1 {
		t.Fatalf("claims = %d", r.srv.Claims())
	}
	// a token the server never issued is refused the same way
	bogus := base64.StdEncoding.EncodeToString([]byte(r.srv.URL + "/claim/nope"))
	_, err = r.p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(bogus)}})
	kindOf(t, err, kobo.BankBadCredentials)
	if strings.Contains(r.log.String(), "/claim/") {
		t.Fatalf("a claim URL reached the logs: %s", r.log)
	}
}

func TestPrivateAddressesNeedTheOperatorSwitch(t *testing.T) {
	r := newRig(t, false, func(c *Config) { c.AllowPrivate = false })
	_, err := r.p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(r.srv.SetupToken())}})
	be := kindOf(t, err, kobo.BankBadCredentials)
	if !strings.Contains(be.Message, "private network") || r.srv.Claims() != 0 {
		t.Fatalf("message = %q, claims = %d", be.Message, r.srv.Claims())
	}
	// a name resolving to loopback is judged by the address dialled
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(r.srv.HTTP.URL, "http://"))
	tok := base64.StdEncoding.EncodeToString([]byte("http://localhost:" + port + "/simplefin/claim/x"))
	_, err = r.p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(tok)}})
	kindOf(t, err, kobo.BankBadCredentials)
	// and a stored access URL that points inside is refused at dial time too
	access := kobo.Secret("http://u:p@" + strings.TrimPrefix(r.srv.HTTP.URL, "http://") + "/simplefin")
	_, err = r.p.Accounts(context.Background(), kobo.BankSession{Token: access, Persist: access})
	kindOf(t, err, kobo.BankInvalidData)
	if len(r.srv.Requests()) != 0 {
		t.Fatal("a guarded request reached the server")
	}
}

func TestLiveAppsUseHTTPSOnly(t *testing.T) {
	plain := newRig(t, false)
	_, err := plain.p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(plain.srv.SetupToken())}, Live: true})
	be := kindOf(t, err, kobo.BankBadCredentials)
	if !strings.Contains(be.Message, "https") || plain.srv.Claims() != 0 {
		t.Fatalf("message = %q", be.Message)
	}
	r := newRig(t, true)
	s := r.login(true)
	if !strings.HasPrefix(s.Persist.Reveal(), "https://") {
		t.Fatal("access URL is not https")
	}
	if _, err := r.p.Accounts(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	// certificates are verified: without the test CA the server is refused
	strict := New(Config{AllowPrivate: true})
	_, err = strict.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(r.srv.SetupToken())}, Live: true})
	kindOf(t, err, kobo.BankUnavailable)
}

func TestAccountsStatusesAndErrors(t *testing.T) {
	r := newRig(t, false)
	s := r.login(false)
	ctx := context.Background()

	r.srv.FailAccounts(429, "30")
	be := kindOf(t, func() error { _, err := r.p.Balance(ctx, s, "ACT-1"); return err }(), kobo.BankRateLimited)
	if be.RetryAfter != 30*time.Second {
		t.Fatalf("retry after = %v", be.RetryAfter)
	}
	r.srv.FailAccounts(402, "")
	be = kindOf(t, func() error { _, err := r.p.Balance(ctx, s, "ACT-1"); return err }(), kobo.BankLocked)
	if !strings.Contains(be.Message, "payment") {
		t.Fatalf("402 message = %q", be.Message)
	}
	r.srv.FailAccounts(503, "")
	kindOf(t, func() error { _, err := r.p.Balance(ctx, s, "ACT-1"); return err }(), kobo.BankUnavailable)
	r.srv.FailAccounts(0, "")

	// errors beside the data: the data is served, the errors logged
	r.srv.SetErrors("Connection to My Bank may need attention.")
	if _, err := r.p.Balance(ctx, s, "ACT-1"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.log.String(), "may need attention") {
		t.Fatal("errors were not logged")
	}
	// errors instead of the account: they are the customer's message, classified
	for _, c := range []struct {
		msg  string
		kind kobo.BankErrorKind
	}{
		{"You must reauthenticate.", kobo.BankMFARequired},
		{"Rate limit exceeded; try again later", kobo.BankRateLimited},
		{"My Bank is down for maintenance", kobo.BankUnavailable},
	} {
		r.srv.SetErrors(c.msg + "\x1b[31m\u202e")
		_, err := r.p.Balance(ctx, s, "ACT-9")
		be := kindOf(t, err, c.kind)
		if be.Message != "SimpleFIN: "+c.msg {
			t.Fatalf("message = %q", be.Message)
		}
	}
	r.srv.SetErrors()

	// revoked at the bridge: re-authorisation; a person at the widget is
	// asked for a new token instead
	r.srv.RevokeAll()
	be = kindOf(t, func() error { _, err := r.p.Balance(ctx, s, "ACT-1"); return err }(), kobo.BankMFARequired)
	if !strings.Contains(be.Message, "new setup token") {
		t.Fatalf("403 message = %q", be.Message)
	}
	_, err := r.p.Login(ctx, kobo.LoginRequest{Persist: s.Persist})
	kindOf(t, err, kobo.BankMFARequired)
	_, err = r.p.Login(ctx, kobo.LoginRequest{Persist: s.Persist, Interactive: true})
	kindOf(t, err, kobo.BankBadCredentials)
	// a new token restores access
	s2 := r.login(false)
	step, err := r.p.Login(ctx, kobo.LoginRequest{Persist: s2.Persist})
	if err != nil || step.Session == nil || step.Session.Persist != s2.Persist {
		t.Fatalf("stored login: %+v %v", step, err)
	}
}

func TestLongRangesAreReadInWindows(t *testing.T) {
	r := newRig(t, false, func(c *Config) { c.Window = 30 * 24 * time.Hour })
	r.srv.SetWindow(30 * 24 * time.Hour)
	for d := 1; d <= 100; d++ {
		r.srv.AddTxn("ACT-2", sfintest.Txn{ID: "D" + strconv.Itoa(d), Posted: t0.Add(-time.Duration(d) * 24 * time.Hour).Unix(), Amount: "-1.00", Description: "day"})
	}
	r.srv.AddTxn("ACT-2", sfintest.Txn{ID: "P", TransactedAt: 0, Amount: "-2.00", Description: "pending, undated", Pending: true})
	s := r.login(false)
	before := len(r.srv.Requests())
	var got []kobo.BankTransaction
	pages := 0
	err := r.p.Transactions(context.Background(), s, "ACT-2", kobo.TxnQuery{From: t0.Add(-101 * 24 * time.Hour), PageSize: 40}, func(p []kobo.BankTransaction) error {
		pages++
		if len(p) > 40 {
			t.Fatalf("page of %d", len(p))
		}
		got = append(got, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := r.srv.Requests()[before:]
	if len(reqs) != 4 {
		t.Fatalf("%d requests for 101 days in 30-day windows", len(reqs))
	}
	for _, q := range reqs {
		start, _ := strconv.ParseInt(q.Get("start-date"), 10, 64)
		end, err := strconv.ParseInt(q.Get("end-date"), 10, 64)
		if err != nil {
			end = t0.Unix()
		}
		if end-start > 30*24*3600 {
			t.Fatalf("window %v is longer than the bridge takes", q)
		}
	}
	// every day once, the pending row once although every window had it
	if len(got) != 101 {
		t.Fatalf("%d transactions", len(got))
	}
	seen := map[string]bool{}
	for i, tx := range got {
		if seen[tx.Ref] {
			t.Fatalf("%s twice", tx.Ref)
		}
		seen[tx.Ref] = true
		if i > 0 && tx.Date.Before(got[i-1].Date) {
			t.Fatalf("not oldest first at %d", i)
		}
	}
	if !seen["P"] || !strings.Contains(r.log.String(), "") {
		t.Fatal("the pending row is missing")
	}
	if strings.Contains(r.log.String(), "days of transactions may be requested") {
		t.Fatal("a window was longer than the bridge allows")
	}
	// fn's error stops the stream and comes back as is
	stop := errors.New("stop")
	if err := r.p.Transactions(context.Background(), s, "ACT-2", kobo.TxnQuery{From: t0.Add(-101 * 24 * time.Hour)}, func([]kobo.BankTransaction) error { return stop }); err != stop {
		t.Fatalf("err = %v", err)
	}
}

func TestTransportErrorsHideTheURL(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p := New(Config{AllowPrivate: true, Timeout: 2 * time.Second})
	tok := base64.StdEncoding.EncodeToString([]byte("http://" + addr + "/simplefin/claim/SECRETCODE"))
	_, err := p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(tok)}})
	kindOf(t, err, kobo.BankUnavailable)
	if strings.Contains(err.Error(), "SECRETCODE") {
		t.Fatalf("error names the claim URL: %v", err)
	}
	access := kobo.Secret("http://alice:hunter2@" + addr + "/simplefin")
	_, err = p.Accounts(context.Background(), kobo.BankSession{Token: access})
	kindOf(t, err, kobo.BankUnavailable)
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "alice") {
		t.Fatalf("error names the access URL: %v", err)
	}
}

func TestDecodeSetupToken(t *testing.T) {
	claim := "https://bridge.simplefin.org/simplefin/claim/demo"
	std := base64.StdEncoding.EncodeToString([]byte(claim))
	for _, c := range []struct {
		name, token string
		live        bool
		ok          bool
	}{
		{"the protocol's example", "aHR0cHM6Ly9icmlkZ2Uuc2ltcGxlZmluLm9yZy9zaW1wbGVmaW4vY2xhaW0vZGVtbw==", true, true},
		{"unpadded", strings.TrimRight(std, "="), true, true},
		{"url alphabet", base64.URLEncoding.EncodeToString([]byte(claim)), true, true},
		{"pasted with breaks", " " + std[:20] + "\n" + std[20:] + "\t", true, true},
		{"http for a sandbox app", base64.StdEncoding.EncodeToString([]byte("http://127.0.0.1:9/claim/x")), false, true},
		{"http for a live app", base64.StdEncoding.EncodeToString([]byte("http://127.0.0.1:9/claim/x")), true, false},
		{"empty", "  ", false, false},
		{"not base64", "not a token!", false, false},
		{"not a URL", base64.StdEncoding.EncodeToString([]byte("hello world")), false, false},
		{"relative", base64.StdEncoding.EncodeToString([]byte("/claim/x")), false, false},
		{"other scheme", base64.StdEncoding.EncodeToString([]byte("file:///etc/passwd")), false, false},
		{"ftp", base64.StdEncoding.EncodeToString([]byte("ftp://host/claim")), false, false},
		{"credentials", base64.StdEncoding.EncodeToString([]byte("https://a:b@host/claim")), false, false},
		{"binary", base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0x00}), false, false},
	} {
		u, err := DecodeSetupToken(c.token, c.live)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, %v", c.name, u, err)
		}
		if c.ok && c.live && u.String() != claim {
			t.Errorf("%s: decoded %s", c.name, u)
		}
	}
}

func TestParseAccountSet(t *testing.T) {
	// the protocol's Account Set example (its trailing commas removed: they
	// are not JSON), plus a custom currency and a numeric amount
	body := `{"errors": ["You must\u0000 reauthenticate.\n", "You must reauthenticate."],
	  "accounts": [{"org": {"domain": "mybank.com", "sfin-url": "https://sfin.mybank.com"},
	    "id": "2930002", "name": "Savings", "currency": "USD", "balance": "100.23", "available-balance": "75.23",
	    "balance-date": 978366153,
	    "transactions": [{"id": "12394832938403", "posted": 793090572, "amount": "-33293.43", "description": "Uncle Frank's Bait Shop"}],
	    "extra": {"account-open-date": 978360153}},
	   {"org": {"name": "Example Air", "sfin-url": "https://air.example/sfin"}, "id": "miles", "name": "Miles",
	    "currency": "https://www.example.com/flight-miles", "balance": 1200, "balance-date": "978366153",
	    "transactions": [{"id": "m1", "posted": 978366000.0, "amount": 300, "description": "Flight", "pending": false}]}]}`
	set, err := ParseAccountSet([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Errors) != 1 || set.Errors[0] != "You must reauthenticate." {
		t.Fatalf("errors = %q", set.Errors)
	}
	a := set.Accounts[0].bankAccount()
	if a.Balance != 10023 || a.Institution != "mybank.com" || a.Type != "" {
		t.Fatalf("account = %+v", a)
	}
	rows, err := set.Accounts[0].bankTransactions()
	if err != nil || len(rows) != 1 || rows[0].Amount != 3329343 || rows[0].Type != kobo.Debit || rows[0].Pending ||
		!rows[0].Date.Equal(time.Unix(793090572, 0)) {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
	m := set.Accounts[1].bankAccount()
	if m.Currency != "XXX" || m.Balance != 120000 || !strings.Contains(m.Type, "flight-miles") || m.Institution != "Example Air" {
		t.Fatalf("custom currency account = %+v", m)
	}
	if b := set.Accounts[1].bankBalance(); !b.AsOf.Equal(time.Unix(978366153, 0)) {
		t.Fatalf("quoted balance-date = %v", b.AsOf)
	}

	for name, bad := range map[string]string{
		"not JSON":             `{`,
		"not an account set":   `{"data": []}`,
		"no id":                `{"errors": [], "accounts": [{"currency": "USD", "balance": "1", "balance-date": 1}]}`,
		"repeated id":          `{"errors": [], "accounts": [{"id": "a", "currency": "USD", "balance": "1"}, {"id": "a", "currency": "USD", "balance": "1"}]}`,
		"no currency":          `{"errors": [], "accounts": [{"id": "a", "currency": "", "balance": "1"}]}`,
		"too many decimals":    `{"errors": [], "accounts": [{"id": "a", "currency": "USD", "balance": "1.234"}]}`,
		"exponent":             `{"errors": [], "accounts": [{"id": "a", "currency": "USD", "balance": "1e3"}]}`,
		"no balance":           `{"errors": [], "accounts": [{"id": "a", "currency": "USD"}]}`,
		"bad available":        `{"errors": [], "accounts": [{"id": "a", "currency": "USD", "balance": "1", "available-balance": "x"}]}`,
		"transaction no id":    `{"errors": [], "accounts": [{"id": "a", "currency": "USD", "balance": "1", "transactions": [{"posted": 1, "amount": "1"}]}]}`,
		"transaction amount":   `{"errors": [], "accounts": [{"id": "a", "currency": "USD", "balance": "1", "transactions": [{"id": "t", "posted": 1, "amount": "1,000.00"}]}]}`,
		"timestamp not number": `{"errors": [], "accounts": [{"id": "a", "currency": "USD", "balance": "1", "balance-date": "yesterday"}]}`,
	} {
		if _, err := ParseAccountSet([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// JPY has no minor unit
	set, err = ParseAccountSet([]byte(`{"errors": [], "accounts": [{"id": "a", "currency": "JPY", "balance": "1500", "balance-date": 1}]}`))
	if err != nil || set.Accounts[0].balance != 1500 {
		t.Fatalf("JPY: %+v %v", set, err)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"  plain  text ":              "plain text",
		"bell\a and \x1b[31mred":      "bell and red",
		"evil\u202etxt.exe":           "eviltxt.exe",
		"zero\u200bwidth\ufeff":       "zerowidth",
		"\xff\xfebad utf8":            "\uFFFDbad utf8",
		strings.Repeat("a", 400):      strings.Repeat("a", 300),
		"line\nbreaks\r\nand\ttabs  ": "line breaks and tabs",
	} {
		if got := sanitize(in, 300); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCatalogAndPolicy(t *testing.T) {
	in := Catalog()[0]
	m, ok := in.AuthMethod(kobo.InternetBanking)
	if in.ID != BridgeID || len(in.ID) != 24 || in.Provider != Name || !ok || m.Consent != kobo.ConsentToken ||
		len(m.UI.Form) != 1 || m.UI.Form[0].Name != SetupTokenField {
		t.Fatalf("catalog = %+v", in)
	}
	pol := New(Config{}).Policy()
	if !pol.Real || pol.MinSyncInterval < time.Hour || pol.OverlapWindow < 7*24*time.Hour || len(pol.Credentials) != 0 {
		t.Fatalf("policy = %+v", pol)
	}
}

// TestHangingServerTripsTheBreaker: a server that never answers costs
// each call the timeout only until the breaker opens; then calls fail at
// once without reaching it, and other hosts are not affected.
func TestHangingServerTripsTheBreaker(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)
	r := newRig(t, false, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	good := r.login(false)
	p := r.p
	access := kobo.Secret("http://u:p@" + strings.TrimPrefix(hang.URL, "http://") + "/simplefin")
	s := kobo.BankSession{Token: access, Persist: access}
	for i := 0; i < breakerFailures; i++ {
		_, err := p.Balance(context.Background(), s, "A")
		if kindOf(t, err, kobo.BankUnavailable); errors.Is(err, errBreakerOpen) {
			t.Fatalf("call %d: breaker open too soon", i)
		}
	}
	_, err := p.Balance(context.Background(), s, "A")
	kindOf(t, err, kobo.BankUnavailable)
	if !errors.Is(err, errBreakerOpen) {
		t.Fatalf("after %d failures: %v", breakerFailures, err)
	}
	mu.Lock()
	n := hits
	mu.Unlock()
	if n != breakerFailures {
		t.Fatalf("the hanging server saw %d requests", n)
	}
	// the fake bridge on another host still answers
	if _, err := p.Balance(context.Background(), good, "ACT-1"); err != nil {
		t.Fatal(err)
	}
}

// TestClaimAnswers: how each claim answer a server may give is taken.
func TestClaimAnswers(t *testing.T) {
	var status int
	var body, location string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("claim with %s", r.Method)
		}
		if location != "" {
			w.Header().Set("Location", location)
		}
		if status == 429 {
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	p := New(Config{AllowPrivate: true})
	tok := kobo.Secret(base64.StdEncoding.EncodeToString([]byte(srv.URL + "/simplefin/claim/abc")))
	for _, c := range []struct {
		name     string
		status   int
		body     string
		location string
		kind     kobo.BankErrorKind
	}{
		{"ok", 200, "  " + strings.Replace(srv.URL, "http://", "http://u:p@", 1) + "/simplefin\n", "", ""},
		{"gone", 404, "", "", kobo.BankBadCredentials},
		{"rate limited", 429, "", "", kobo.BankRateLimited},
		{"down", 502, "", "", kobo.BankUnavailable},
		{"redirect", 302, "", "https://elsewhere.example/", kobo.BankBadCredentials},
		{"bad request", 400, "", "", kobo.BankBadCredentials},
		{"not a URL", 200, "<html>welcome</html>", "", kobo.BankInvalidData},
		{"no credentials", 200, srv.URL + "/simplefin", "", kobo.BankInvalidData},
		{"no password", 200, strings.Replace(srv.URL, "http://", "http://u@", 1), "", kobo.BankInvalidData},
		{"other scheme", 200, "ftp://u:p@host/x", "", kobo.BankInvalidData},
		{"too long", 200, "https://u:p@h/" + strings.Repeat("a", maxAccessURL), "", kobo.BankInvalidData},
	} {
		status, body, location = c.status, c.body, c.location
		step, err := p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: tok}})
		if c.kind == "" {
			if err != nil || step.Session == nil || step.Session.Persist.Reveal() != strings.TrimSpace(c.body) {
				t.Errorf("%s: %+v %v", c.name, step, err)
			}
			continue
		}
		if got := kobo.BankErrorKindOf(err); got != c.kind {
			t.Errorf("%s: %v, want %s", c.name, err, c.kind)
		}
		var be *kobo.BankError
		if c.kind == kobo.BankRateLimited && (!errors.As(err, &be) || be.RetryAfter < 59*time.Minute) {
			t.Errorf("%s: Retry-After as a date: %v", c.name, err)
		}
	}
	if _, err := p.Answer(context.Background(), kobo.Challenge{}, nil); kobo.BankErrorKindOf(err) != kobo.BankNotFound {
		t.Errorf("answer: %v", err)
	}
	if _, err := p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{}}); kobo.BankErrorKindOf(err) != kobo.BankBadCredentials {
		t.Errorf("no token: %v", err)
	}
	if _, err := p.Login(context.Background(), kobo.LoginRequest{Persist: "not a url", Interactive: true}); kobo.BankErrorKindOf(err) != kobo.BankBadCredentials {
		t.Errorf("bad stored access, customer present: %v", err)
	}
	if _, err := p.Login(context.Background(), kobo.LoginRequest{Persist: "not a url"}); kobo.BankErrorKindOf(err) != kobo.BankMFARequired {
		t.Errorf("bad stored access, background: %v", err)
	}
	if _, err := p.Accounts(context.Background(), kobo.BankSession{Token: "https://nouser.example/x"}); kobo.BankErrorKindOf(err) != kobo.BankMFARequired {
		t.Errorf("stored access without credentials: %v", err)
	}
}

// TestNoAccountsWithErrors: a link that finds no accounts shows the
// bridge's reason when it gives one.
func TestNoAccountsWithErrors(t *testing.T) {
	srv := sfintest.New(false)
	t.Cleanup(srv.Close)
	p := New(Config{AllowPrivate: true})
	step, err := p.Login(context.Background(), kobo.LoginRequest{Fields: map[string]kobo.Secret{SetupTokenField: kobo.Secret(srv.SetupToken())}})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := p.Accounts(context.Background(), *step.Session); err != nil || len(list) != 0 {
		t.Fatalf("no accounts, no errors: %v %v", list, err)
	}
	srv.SetErrors("Please sign in to My Bank again at the bridge.")
	_, err = p.Accounts(context.Background(), *step.Session)
	if be := kindOf(t, err, kobo.BankMFARequired); !strings.Contains(be.Message, "sign in to My Bank") {
		t.Fatalf("message = %q", be.Message)
	}
}

// TestFullAnswersAreReadAgainInHalves: a server that returns at most 20
// rows an answer still yields every row, once, oldest first; a single day
// over the limit is logged.
func TestFullAnswersAreReadAgainInHalves(t *testing.T) {
	r := newRig(t, false, func(c *Config) { c.MaxRows = 20 })
	r.srv.SetMaxRows(20)
	for i := 0; i < 50; i++ {
		r.srv.AddTxn("ACT-2", sfintest.Txn{ID: "R" + strconv.Itoa(i), Posted: t0.Add(-time.Duration(i) * 5 * time.Hour).Unix(), Amount: "-1.00", Description: "row"})
	}
	s := r.login(false)
	before := len(r.srv.Requests())
	var got []kobo.BankTransaction
	err := r.p.Transactions(context.Background(), s, "ACT-2", kobo.TxnQuery{From: t0.Add(-20 * 24 * time.Hour)}, func(p []kobo.BankTransaction) error {
		got = append(got, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, tx := range got {
		if seen[tx.Ref] || (i > 0 && tx.Date.Before(got[i-1].Date)) {
			t.Fatalf("row %d (%s) repeated or out of order", i, tx.Ref)
		}
		seen[tx.Ref] = true
	}
	if len(got) != 50 || len(r.srv.Requests())-before < 3 {
		t.Fatalf("%d rows in %d requests", len(got), len(r.srv.Requests())-before)
	}
	if strings.Contains(r.log.String(), "row limit for one day") {
		t.Fatal("warned although no day was over the limit")
	}
	// 30 rows in one hour: the day cannot be split further
	for i := 0; i < 30; i++ {
		r.srv.AddTxn("ACT-1", sfintest.Txn{ID: "H" + strconv.Itoa(i), Posted: t0.Add(-time.Duration(i) * time.Minute).Unix(), Amount: "1.00", Description: "busy"})
	}
	if err := r.p.Transactions(context.Background(), s, "ACT-1", kobo.TxnQuery{From: t0.Add(-24 * time.Hour)}, func([]kobo.BankTransaction) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.log.String(), "row limit for one day") {
		t.Fatal("a day over the limit was not logged")
	}
}

// TestParseAccountSetWithConnections: the protocol's later shape —
// errlist with codes, connections, accounts naming a connection — reads
// as the original does, and the codes decide the kind.
func TestParseAccountSetWithConnections(t *testing.T) {
	body := `{"errors": ["Connection to My Bank needs attention"],
	  "errlist": [{"code": "con.auth", "message": "Connection to My Bank needs attention", "conn_id": "CON-1"},
	              {"code": "gen.api", "msg": "Requested date range exceeds limit of 90 days and was capped."}],
	  "connections": [{"conn_id": "CON-1", "name": "My Bank - Jeff", "org_id": "INST-1", "org_name": "My Bank", "org_url": "https://mybank.com", "sfin_url": "https://sfin.mybank.com"}],
	  "accounts": [{"id": "2930002", "name": "Savings", "conn_id": "CON-1", "currency": "USD", "balance": "100.23", "balance-date": 978366153, "transactions": []}]}`
	set, err := ParseAccountSet([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if a := set.Accounts[0].bankAccount(); a.Institution != "My Bank" || a.Balance != 10023 {
		t.Fatalf("account = %+v", a)
	}
	if len(set.Errors) != 2 {
		t.Fatalf("errors = %q", set.Errors)
	}
	be := set.errorsAsBankError()
	if be.Kind != kobo.BankMFARequired || !strings.Contains(be.Message, "needs attention") || !strings.Contains(be.Message, "capped") {
		t.Fatalf("error = %+v", be)
	}
	// only an errlist: still an Account Set
	set, err = ParseAccountSet([]byte(`{"errlist": [{"code": "gen.rate", "message": "Slow down"}]}`))
	if err != nil || set.errorsAsBankError().Kind != kobo.BankRateLimited {
		t.Fatalf("errlist only: %+v %v", set, err)
	}
}

// TestCustomCurrencyIsNamed: an account in a custom currency is XXX, and
// its type names the currency as its URL describes it (sanitised).
func TestCustomCurrencyIsNamed(t *testing.T) {
	r := newRig(t, true)
	r.srv.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "MILES", Name: "Miles", Currency: r.srv.HTTP.URL + "/currencies/miles",
		Balance: "1200", BalanceDate: t0.Unix()})
	r.srv.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "PTS", Name: "Points", Currency: "https://127.0.0.1:1/nowhere",
		Balance: "5", BalanceDate: t0.Unix()})
	list, err := r.p.Accounts(context.Background(), r.login(true))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]kobo.BankAccount{}
	for _, a := range list {
		got[a.Ref] = a
	}
	if m := got["MILES"]; m.Currency != "XXX" || m.Balance != 120000 || m.Type != "custom currency: Example Airline Miles (miles)" {
		t.Fatalf("miles = %+v", m)
	}
	if p := got["PTS"]; p.Currency != "XXX" || !strings.Contains(p.Type, "https://127.0.0.1:1/nowhere") {
		t.Fatalf("unreachable currency = %+v", p)
	}
}

// TestSlowServerHoldsAtMostMaxInFlight: with two requests waiting on a
// server, a third fails at once without reaching it.
func TestSlowServerHoldsAtMostMaxInFlight(t *testing.T) {
	arrived, release := make(chan struct{}, 8), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		http.Error(w, "Forbidden", http.StatusForbidden)
	}))
	t.Cleanup(slow.Close)
	p := New(Config{AllowPrivate: true, MaxInFlight: 2})
	access := kobo.Secret("http://u:p@" + strings.TrimPrefix(slow.URL, "http://") + "/simplefin")
	s := kobo.BankSession{Token: access}
	done := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() { _, err := p.Balance(context.Background(), s, "A"); done <- err }()
	}
	<-arrived
	<-arrived
	_, err := p.Balance(context.Background(), s, "A")
	kindOf(t, err, kobo.BankUnavailable)
	if !errors.Is(err, errBusy) {
		t.Fatalf("third call: %v", err)
	}
	close(release)
	for i := 0; i < 2; i++ {
		kindOf(t, <-done, kobo.BankMFARequired)
	}
	if len(arrived) != 0 {
		t.Fatal("the refused call reached the server")
	}
	// the slots are free again
	if _, err := p.Balance(context.Background(), s, "A"); errors.Is(err, errBusy) {
		t.Fatal("slots not released")
	}
}
