package cli

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/provider/simplefin/sfintest"
)

// shiftClock is the wall clock moved forward by what a test advances, so
// kobo's background work keeps running while days pass for the bank.
type shiftClock struct{ off atomic.Int64 }

func (c *shiftClock) Now() time.Time          { return time.Now().UTC().Add(time.Duration(c.off.Load())) }
func (c *shiftClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// TestSimpleFINLinkSyncAndReauth links an account through the SimpleFIN
// Bridge institution with the headless Connect API and a setup token from
// a fake SimpleFIN server on loopback (kobo's operator switch for private
// provider addresses is on in e2e stacks), reads it through the
// Mono-shaped API, syncs new and pending→posted rows, then has the access
// revoked at the bridge: the sync asks for re-authorisation, which a new
// setup token completes.
func TestSimpleFINLinkSyncAndReauth(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); simplefinLinkSyncAndReauth(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		simplefinLinkSyncAndReauth(t, e2eOpts{postgres: true, dsn: postgresDSN(t)})
	})
}

func simplefinLinkSyncAndReauth(t *testing.T, o e2eOpts) {
	clk := &shiftClock{}
	fake := sfintest.New(false)
	t.Cleanup(fake.Close)
	fake.Now = clk.Now
	now := clk.Now()
	day := 24 * time.Hour
	fake.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "ACT-CHK", Name: "Everyday Checking", Currency: "USD", Balance: "1520.75", Available: "1400.00",
		BalanceDate: now.Add(-time.Hour).Unix(), Txns: []sfintest.Txn{
			{ID: "TX-1", Posted: now.Add(-10 * day).Unix(), Amount: "2500.00", Description: "ACME PAYROLL"},
			{ID: "TX-2", Posted: now.Add(-3 * day).Unix(), TransactedAt: now.Add(-4 * day).Unix(), Amount: "-79.25", Description: "GROCERY OUTLET #12"},
			{ID: "TX-3", TransactedAt: now.Add(-day).Unix(), Amount: "-12.40", Description: "COFFEE ROASTERS", Pending: true},
		}})
	fake.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "ACT-SAV", Name: "Savings", Currency: "USD", Balance: "9000.00", BalanceDate: now.Unix()})

	o.clock = clk
	e := startE2E(t, o)
	e.signupApp("")
	inst := e.institution("SimpleFIN Bridge")

	// the session shows the one-field form
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": inst}, e.key()...).m(t)
	sid := s["id"].(string)
	if b, _ := json.Marshal(s); !strings.Contains(string(b), "setup_token") {
		t.Fatalf("session form: %s", b)
	}
	token := fake.SetupToken()
	r := e.must(200, "POST", "/v1/connect/login", map[string]string{"setup_token": token}, e.key("x-session-id", sid)...)
	if r.m(t)["responseCode"] != float64(101) {
		t.Fatalf("login with two accounts: %s", r.body)
	}
	if !strings.Contains(string(r.body), "Everyday Checking") || !strings.Contains(string(r.body), "Savings") {
		t.Fatalf("account list: %s", r.body)
	}
	r = e.must(200, "POST", "/v1/connect/commit", map[string]any{"account": 0}, e.key("x-session-id", sid)...)
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	id := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	// the first fetch reads the app's history in windows the bridge takes
	windows := 0
	for _, q := range fake.Requests() {
		if q.Has("start-date") {
			windows++
			start, _ := strconv.ParseInt(q.Get("start-date"), 10, 64)
			end, err := strconv.ParseInt(q.Get("end-date"), 10, 64)
			if err != nil {
				end = clk.Now().Unix()
			}
			if end-start > 90*24*3600 {
				t.Fatalf("a window of %v", time.Duration(end-start)*time.Second)
			}
		}
	}
	if windows < 2 {
		t.Fatalf("the first fetch read %d windows (a year of history is more than one)", windows)
	}

	// the same token again: refused, and the customer is warned
	s2 := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": inst}, e.key()...).m(t)["id"].(string)
	again := e.do("POST", "/v1/connect/login", map[string]string{"setup_token": token}, e.key("x-session-id", s2)...)
	if again.status != 400 || !strings.Contains(string(again.body), "someone else may have claimed it") {
		t.Fatalf("second claim: %d %s", again.status, again.body)
	}

	acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
	if acct["name"] != "Everyday Checking" || acct["currency"] != "USD" || acct["balance"] != float64(152075) {
		t.Fatalf("account: %v", acct)
	}
	bal := e.must(200, "GET", "/v2/accounts/"+id+"/balance", nil, e.key()...)
	if !strings.Contains(string(bal.body), "152075") {
		t.Fatalf("balance: %s", bal.body)
	}
	// SimpleFIN shares no identity: kobo says so rather than inventing one
	if idt := e.do("GET", "/accounts/"+id+"/identity", nil, e.key()...); idt.status != 404 || !strings.Contains(string(idt.body), "does not share") {
		t.Fatalf("identity: %d %s", idt.status, idt.body)
	}
	v2 := e.must(200, "GET", "/v2/accounts/"+id+"/transactions", nil, e.key()...)
	if !strings.Contains(string(v2.body), "COFFEE ROASTERS") {
		t.Fatalf("v2 transactions: %s", v2.body)
	}
	txns := func() []map[string]any {
		t.Helper()
		var out struct {
			Data []map[string]any `json:"data"`
		}
		json.Unmarshal(e.must(200, "GET", "/accounts/"+id+"/transactions?paginate=false", nil, e.key()...).body, &out)
		return out.Data
	}
	rows := txns()
	if len(rows) != 3 {
		t.Fatalf("transactions: %v", rows)
	}
	byNarration := map[string]map[string]any{}
	for _, row := range rows {
		byNarration[row["narration"].(string)] = row
	}
	if g := byNarration["GROCERY OUTLET #12"]; g == nil || g["amount"] != float64(7925) || g["type"] != "debit" {
		t.Fatalf("grocery row: %v", rows)
	}
	if p := byNarration["ACME PAYROLL"]; p == nil || p["amount"] != float64(250000) || p["type"] != "credit" {
		t.Fatalf("payroll row: %v", rows)
	}

	// a day later the pending coffee has posted (same id) and a new row came
	clk.advance(day)
	fake.Post("ACT-CHK", "TX-3", clk.Now().Add(-time.Hour))
	fake.AddTxn("ACT-CHK", sfintest.Txn{ID: "TX-4", Posted: clk.Now().Add(-2 * time.Hour).Unix(), Amount: "-45.00", Description: "GAS STATION"})
	fake.SetBalance("ACT-CHK", "1463.35", clk.Now())
	r = e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...)
	if r.m(t)["code"] != "SYNC_SUCCESSFUL" || r.m(t)["hasNewData"] != true {
		t.Fatalf("sync: %s", r.body)
	}
	waitUntil(t, "synced rows", 20*time.Second, func() bool { return len(txns()) == 4 })
	if n := len(txns()); n != 4 {
		t.Fatalf("after the sync, %d rows (the posted coffee must merge with its pending self)", n)
	}
	waitUntil(t, "new balance", 20*time.Second, func() bool {
		return e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)["balance"] == float64(146335)
	})
	// a pending authorisation that never posts: the bridge stops reporting
	// it, which is no sign of an incomplete statement; the row goes
	clk.advance(day)
	fake.AddTxn("ACT-CHK", sfintest.Txn{ID: "TX-5", TransactedAt: clk.Now().Add(-time.Hour).Unix(), Amount: "-5.00", Description: "HOTEL HOLD", Pending: true})
	if r = e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...); r.m(t)["code"] != "SYNC_SUCCESSFUL" {
		t.Fatalf("sync with a new pending row: %s", r.body)
	}
	waitUntil(t, "the pending hold", 20*time.Second, func() bool { return len(txns()) == 5 })
	clk.advance(day)
	fake.Drop("ACT-CHK", "TX-5")
	if r = e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...); r.m(t)["code"] != "SYNC_SUCCESSFUL" {
		t.Fatalf("sync after the bridge dropped a pending row: %s", r.body)
	}
	waitUntil(t, "the hold gone", 20*time.Second, func() bool { return len(txns()) == 4 })
	// every transactions read asked for pending rows, in the window
	for _, q := range fake.Requests() {
		if q.Get("balances-only") != "1" && (q.Get("pending") != "1" || q.Get("account") != "ACT-CHK") {
			t.Fatalf("request %v", q)
		}
	}

	// the customer disconnects kobo at the bridge: the next sync needs them
	fake.RevokeAll()
	clk.advance(day)
	r = e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...)
	if r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("sync after revocation: %s", r.body)
	}
	rs := e.must(200, "POST", "/v2/connect/reauth/session", map[string]string{"account": id}, e.key()...).m(t)["data"].(map[string]any)
	rsid := rs["session_id"].(string)
	// with no fields kobo tries the stored access, which the bridge refuses:
	// the form comes back for a new token
	r = e.do("POST", "/v2/connect/reauth/login", map[string]string{}, e.key("x-session-id", rsid)...)
	if !strings.Contains(string(r.body), "setup_token") {
		t.Fatalf("stored access after revocation: %d %s", r.status, r.body)
	}
	r = e.must(200, "POST", "/v2/connect/reauth/login", map[string]string{"setup_token": fake.SetupToken()}, e.key("x-session-id", rsid)...)
	if !strings.Contains(string(r.body), "code_") {
		t.Fatalf("re-authorisation with a new token: %s", r.body)
	}
	waitUntil(t, "available again", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	clk.advance(day)
	if r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...); r.m(t)["code"] != "SYNC_SUCCESSFUL" {
		t.Fatalf("sync after re-authorisation: %s", r.body)
	}
	if n := len(txns()); n != 4 {
		t.Fatalf("after re-authorisation, %d rows", n)
	}
}

// TestSimpleFINWidget links a SimpleFIN account through the hosted widget
// in Chromium: the customer pastes a setup token from the fake bridge into
// the one-field form, picks an account, and the partner exchanges the code.
func TestSimpleFINWidget(t *testing.T) {
	t.Parallel()
	fake := sfintest.New(false)
	t.Cleanup(fake.Close)
	now := time.Now()
	fake.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "ACT-CHK", Name: "Everyday Checking", Currency: "USD", Balance: "10.00", BalanceDate: now.Unix(),
		Txns: []sfintest.Txn{{ID: "TX-1", Posted: now.Add(-time.Hour).Unix(), Amount: "-1.50", Description: "BUS FARE"}}})
	fake.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "ACT-SAV", Name: "Savings", Currency: "USD", Balance: "900.00", BalanceDate: now.Unix()})
	r := newWidgetRig(t, "")
	b := r.b
	b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+r.e.institution("SimpleFIN Bridge")+`", auth_method: "internet_banking"}}); c.open(); true`, nil)
	f := r.frame()
	r.waitScreen(f, "LOGIN")
	b.Screenshots("simplefin-01-token")
	// a real provider's token step: no "Log in" to a bank, a sandbox
	// banner that does not say no real bank is contacted, no sandbox users
	var label, intro, banner string
	b.Run("read the token step",
		chromedp.Text("#submit", &label, in(f)...),
		chromedp.Text("#screen p.muted", &intro, in(f)...),
		chromedp.Text("#sandbox-banner", &banner, in(f)...))
	if label != "Connect" || !strings.Contains(intro, "setup token") || !strings.Contains(banner, "Sandbox") || strings.Contains(banner, "no real bank") {
		t.Fatalf("token step: button %q, intro %q, sandbox banner %q", label, intro, banner)
	}
	r.typeIn(f, "#f-setup_token", fake.SetupToken())
	r.click(f, "#submit")
	r.waitScreen(f, "ACCOUNT_SELECTION")
	b.Screenshots("simplefin-02-accounts")
	r.click(f, `[data-account="1"]`)
	id := r.exchange(r.code(1))
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, r.e, id) == "AVAILABLE" })
	acct := r.e.must(200, "GET", "/v2/accounts/"+id, nil, r.e.key()...).m(t)["data"].(map[string]any)["account"].(map[string]any)
	if acct["name"] != "Savings" || acct["institution"].(map[string]any)["name"] != "SimpleFIN Bridge" {
		t.Fatalf("account: %v", acct)
	}
}

// TestSimpleFINLiveNeedsHTTPS: a live app's customer pasting a token whose
// claim URL is plain http is refused before kobo calls it, with the reason.
func TestSimpleFINLiveNeedsHTTPS(t *testing.T) {
	t.Parallel()
	fake := sfintest.New(false)
	t.Cleanup(fake.Close)
	fake.AddAccount(sfintest.Account{Org: sfintest.BankOrg(), ID: "A", Name: "Checking", Currency: "USD", Balance: "1.00", BalanceDate: time.Now().Unix()})
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	live := e.must(200, "PATCH", "/v1/apps/"+e.app["id"].(string), map[string]any{"live": true}, "Authorization", e.auth).m(t)
	e.approveHeadless(e.app["id"].(string)) // a live key's headless Connect is an add-on
	key := []string{"mono-sec-key", live["secret_key"].(string)}
	sid := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": e.institution("SimpleFIN Bridge")}, key...).m(t)["id"].(string)
	r := e.do("POST", "/v1/connect/login", map[string]string{"setup_token": fake.SetupToken()}, append(key, "x-session-id", sid)...)
	if r.status != 400 || !strings.Contains(string(r.body), "https") {
		t.Fatalf("live login over http: %d %s", r.status, r.body)
	}
	if fake.Claims() != 0 {
		t.Fatal("kobo claimed a live token over http")
	}
}

// TestSimpleFINGuardedByDefault: with the operator switch off (kobo's
// default), a setup token naming a loopback server is refused at dial
// time and the fake is never claimed.
func TestSimpleFINGuardedByDefault(t *testing.T) {
	t.Parallel()
	fake := sfintest.New(false)
	t.Cleanup(fake.Close)
	e := startE2E(t, e2eOpts{providerGuard: true})
	e.signupApp("")
	sid := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": e.institution("SimpleFIN Bridge")}, e.key()...).m(t)["id"].(string)
	r := e.do("POST", "/v1/connect/login", map[string]string{"setup_token": fake.SetupToken()}, e.key("x-session-id", sid)...)
	if r.status != 400 || !strings.Contains(string(r.body), "private network") || fake.Claims() != 0 {
		t.Fatalf("loopback token with the guard on: %d %s (claims %d)", r.status, r.body, fake.Claims())
	}
}

// TestSimpleFINBridgeErrorsReachTheCustomer: a bridge with no account to
// share says why in its errors; the Connect API shows that sentence,
// sanitised.
func TestSimpleFINBridgeErrorsReachTheCustomer(t *testing.T) {
	t.Parallel()
	fake := sfintest.New(false)
	t.Cleanup(fake.Close)
	fake.SetErrors("You must reauthenticate.\x1b[2J")
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	sid := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": e.institution("SimpleFIN Bridge")}, e.key()...).m(t)["id"].(string)
	r := e.do("POST", "/v1/connect/login", map[string]string{"setup_token": fake.SetupToken()}, e.key("x-session-id", sid)...)
	if r.status != 400 || !strings.Contains(string(r.body), "SimpleFIN: You must reauthenticate.\"") {
		t.Fatalf("login with the bridge's error: %d %s", r.status, r.body)
	}
}
