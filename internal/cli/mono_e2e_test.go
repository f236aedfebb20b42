package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// monoPair is a downstream kobo whose GTBank goes through the Mono
// provider to an upstream: a second kobo (its own SQLite, its own sandbox
// bank), since kobo speaks Mono's API.
type monoPair struct {
	up, down *e2e
	hooks    *hookReceiver // the downstream partner's webhooks
	gate     *gate         // between the downstream and the upstream
}

// gate sits between the downstream's Mono provider and the upstream: a
// test can hold the downstream's calls (Held counts them) until it opens.
type gate struct {
	mu   sync.Mutex
	hold func(r *http.Request) bool
	// answer, when set, answers the calls it returns true for itself, in
	// place of the upstream (which never sees them)
	answer   func(w http.ResponseWriter, r *http.Request) bool
	open     chan struct{}
	held     int
	returned int // held calls that got their answer
}

func (g *gate) close(hold func(r *http.Request) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold, g.open = hold, make(chan struct{})
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold != nil {
		close(g.open)
		g.hold = nil
	}
}

func (g *gate) counts() (held, returned int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held, g.returned
}

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		hold, open, answer := g.hold, g.open, g.answer
		g.mu.Unlock()
		if answer != nil && answer(w, r) {
			return
		}
		g.mu.Lock()
		held := hold != nil && hold(r)
		if held {
			g.held++
		}
		g.mu.Unlock()
		if held {
			select {
			case <-open:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
		if held {
			g.mu.Lock()
			g.returned++
			g.mu.Unlock()
		}
	})
}

func (g *gate) answerWith(f func(w http.ResponseWriter, r *http.Request) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answer = f
}

func startMonoPair(t *testing.T, workers int) *monoPair {
	t.Helper()
	return startMonoPairClock(t, workers, nil)
}

// startMonoPairClock is startMonoPair with the downstream on clock (the
// system clock when nil).
func startMonoPairClock(t *testing.T, workers int, clock kobo.Clock) *monoPair {
	t.Helper()
	up := startE2E(t, e2eOpts{})
	up.signupApp("")
	g := &gate{}
	target, _ := url.Parse(up.url)
	proxy := httptest.NewServer(g.wrap(httputil.NewSingleHostReverseProxy(target)))
	t.Cleanup(proxy.Close)
	t.Cleanup(g.release) // before the proxy closes (cleanups run last first)
	hooks := newHookReceiver(t)
	down := startE2E(t, e2eOpts{workers: workers, clock: clock, mono: &config.Mono{BaseURL: proxy.URL, SecretKey: kobo.Secret(up.sk), PublicKey: kobo.Secret(up.pk),
		WebhookSecret: kobo.Secret(up.app["webhook_secret"].(string)), DefaultFor: []string{"058"}}})
	down.signupApp(hooks.srv.URL)
	hooks.secret = down.app["webhook_secret"].(string)
	// the upstream app's webhooks go to the downstream's provider route
	up.must(200, "PATCH", "/v1/apps/"+up.app["id"].(string), map[string]string{"webhook_url": down.url + "/v1/providers/mono/webhooks/" + down.app["id"].(string)},
		"Authorization", up.auth)
	return &monoPair{up: up, down: down, hooks: hooks, gate: g}
}

// upstreamID is the Mono account id the downstream account links to.
func (m *monoPair) upstreamID(t *testing.T, id string) string {
	t.Helper()
	var ref string
	if err := m.down.stk.sealed.View(context.Background(), func(tx kobo.Tx) error {
		a, err := tx.Account(context.Background(), id)
		if err == nil {
			ref = a.ProviderRef
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ref
}

type txnView struct {
	Date      string `json:"date"`
	Type      string `json:"type"`
	Amount    int64  `json:"amount"`
	Balance   *int64 `json:"balance"`
	Narration string `json:"narration"`
}

func (v txnView) String() string {
	bal := "null"
	if v.Balance != nil {
		bal = fmt.Sprint(*v.Balance)
	}
	return fmt.Sprintf("%s %s %d %s %q", v.Date, v.Type, v.Amount, bal, v.Narration)
}

func allTxns(t *testing.T, e *e2e, id string) []txnView {
	t.Helper()
	var body struct {
		Data []txnView `json:"data"`
	}
	if err := json.Unmarshal(e.must(200, "GET", "/v2/accounts/"+id+"/transactions?paginate=false", nil, e.key()...).body, &body); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(body.Data, func(a, b txnView) int { return strings.Compare(a.String(), b.String()) })
	return body.Data
}

func sameTxns(t *testing.T, m *monoPair, down, up string) int {
	t.Helper()
	d, u := allTxns(t, m.down, down), allTxns(t, m.up, up)
	if len(u) == 0 || len(d) != len(u) {
		t.Fatalf("downstream has %d transactions, upstream %d", len(d), len(u))
	}
	for i := range u {
		if d[i].String() != u[i].String() {
			t.Fatalf("transaction %d: downstream %+v, upstream %+v", i, d[i], u[i])
		}
	}
	return len(u)
}

// TestMonoUpstream links through a downstream kobo whose GTBank is served
// by the Mono provider, with an upstream kobo as Mono: the headless
// Partners API forwarded step by step (99, 101 with the account choice,
// 102), the same transactions on both sides, an upstream sync reaching
// the downstream partner as account_updated through the provider webhook,
// re-authorisation round-tripping, and an upstream unlink unlinking.
func TestMonoUpstream(t *testing.T) {
	t.Parallel()
	m := startMonoPair(t, 0)
	down, up := m.down, m.up
	gt := down.institution("GTBank")
	available := func(e *e2e, id string) bool { return status(t, e, id) == "AVAILABLE" }

	// 99: one account
	good := linkUser(t, down, gt, "user_good", nil)
	waitUntil(t, "the downstream's first fetch", 60*time.Second, func() bool { return available(down, good) })
	upGood := m.upstreamID(t, good)
	if upGood == "" || strings.Contains(upGood, "|") {
		t.Fatalf("provider ref %q is not a Mono account id", upGood)
	}
	n := sameTxns(t, m, good, upGood)
	dAcct := down.must(200, "GET", "/v2/accounts/"+good, nil, down.key()...).m(t)["data"].(map[string]any)["account"].(map[string]any)
	uAcct := up.must(200, "GET", "/v2/accounts/"+upGood, nil, up.key()...).m(t)["data"].(map[string]any)["account"].(map[string]any)
	if dAcct["account_number"] != uAcct["account_number"] || dAcct["name"] != uAcct["name"] || dAcct["balance"] != uAcct["balance"] {
		t.Fatalf("downstream account %v, upstream %v", dAcct, uAcct)
	}
	dID := down.must(200, "GET", "/v2/accounts/"+good+"/identity", nil, down.key()...).m(t)["data"].(map[string]any)
	uID := up.must(200, "GET", "/v2/accounts/"+upGood+"/identity", nil, up.key()...).m(t)["data"].(map[string]any)
	if dID["full_name"] != uID["full_name"] || dID["bvn"] != uID["bvn"] || dID["dob"] != uID["dob"] {
		t.Fatalf("downstream identity %v, upstream %v", dID, uID)
	}

	// an upstream sync reaches the downstream partner as account_updated
	updates := func() int { return strings.Count(strings.Join(m.hooks.types(good), ","), "account_updated") }
	waitUntil(t, "the first account_updated", 20*time.Second, func() bool { return updates() >= 1 })
	before := updates()
	up.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 3}, up.key()...)
	if r := up.must(200, "POST", "/accounts/"+upGood+"/sync", nil, up.key()...); r.m(t)["hasNewData"] != true {
		t.Fatalf("upstream sync: %s", r.body)
	}
	waitUntil(t, "account_updated downstream after the upstream sync", 60*time.Second, func() bool { return updates() > before })
	waitUntil(t, "the downstream to hold the upstream's new rows", 30*time.Second, func() bool { return len(allTxns(t, down, good)) > n })
	sameTxns(t, m, good, upGood)

	// 101: several accounts, the customer's choice is committed upstream
	s := down.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, down.key()...).m(t)["id"].(string)
	r := down.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_multi", "password": "123456"}, down.key("x-session-id", s)...)
	offered := r.m(t)["data"].([]any)
	if r.m(t)["responseCode"] != float64(101) || len(offered) != 3 {
		t.Fatalf("user_multi downstream: %s", r.body)
	}
	r = down.must(200, "POST", "/v1/connect/commit", map[string]any{"account": 1}, down.key("x-session-id", s)...)
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	multi := down.must(200, "POST", "/account/auth", map[string]string{"code": code}, down.key()...).m(t)["id"].(string)
	upMulti := m.upstreamID(t, multi)
	got := up.must(200, "GET", "/v2/accounts/"+upMulti, nil, up.key()...).m(t)["data"].(map[string]any)["account"].(map[string]any)["account_number"]
	if want := offered[1].(map[string]any)["accountNumber"]; got != want {
		t.Fatalf("the upstream linked %v, the customer chose %v", got, want)
	}

	// 102: Mono's own OTP form, answered through the downstream
	otp := linkUser(t, down, gt, "user_otp", map[string]string{"otp": "123456"})
	waitUntil(t, "the OTP account's first fetch", 60*time.Second, func() bool { return available(down, otp) })

	// re-authorisation: the upstream bank wants MFA again; the upstream's
	// reauthorisation_required reaches the downstream partner, which
	// re-authorises through the downstream
	ra := linkUser(t, down, gt, "user_reauth", map[string]string{"otp": "123456"})
	waitUntil(t, "the re-auth account's first fetch", 60*time.Second, func() bool { return available(down, ra) })
	upRA := m.upstreamID(t, ra)
	up.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, up.key()...)
	if r := up.must(200, "POST", "/accounts/"+upRA+"/sync", nil, up.key()...); r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("upstream sync of user_reauth: %s", r.body)
	}
	waitUntil(t, "reauthorisation_required downstream", 30*time.Second, func() bool {
		return strings.Contains(strings.Join(m.hooks.types(ra), ","), "reauthorisation_required")
	})
	if r := down.must(200, "POST", "/accounts/"+ra+"/sync", nil, down.key()...); r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("downstream sync while the upstream wants re-auth: %s", r.body)
	}
	r = down.must(200, "POST", "/v2/connect/reauth/session", map[string]string{"account": ra}, down.key()...)
	sid := r.m(t)["data"].(map[string]any)["session_id"].(string)
	r = down.must(200, "POST", "/v2/connect/reauth/login", map[string]string{"otp": "123456"}, down.key("x-session-id", sid)...)
	if d := r.m(t)["data"].(map[string]any); d["responseCode"] != float64(99) {
		t.Fatalf("downstream re-auth login: %s", r.body)
	}
	waitUntil(t, "account_reauthorized then account_updated downstream", 60*time.Second, func() bool {
		return strings.HasSuffix(strings.Join(m.hooks.types(ra), ","), "account_reauthorized,account_updated")
	})
	if m.upstreamID(t, ra) != upRA {
		t.Fatal("re-authorisation changed the upstream account")
	}
	if r := up.must(200, "GET", "/accounts/"+upRA, nil, up.key()...); r.m(t)["meta"].(map[string]any)["data_status"] != "AVAILABLE" {
		t.Fatalf("upstream after the re-auth: %s", r.body)
	}

	// a webhook without the upstream's secret is refused
	hook := fmt.Sprintf(`{"event":"mono.events.account_unlinked","data":{"account":{"id":%q}}}`, upGood)
	path := "/v1/providers/mono/webhooks/" + down.app["id"].(string)
	down.must(401, "POST", path, json.RawMessage(hook), "mono-webhook-secret", "wrong")
	down.must(401, "POST", path, json.RawMessage(hook))
	down.must(401, "POST", "/v1/providers/mono/webhooks/000000000000000000000000", json.RawMessage(hook), "mono-webhook-secret", up.app["webhook_secret"].(string))
	down.must(404, "POST", "/v1/providers/banksim/webhooks/"+down.app["id"].(string), json.RawMessage(hook), "mono-webhook-secret", "x")

	// an upstream unlink is a downstream unlink
	up.must(200, "POST", "/accounts/"+upGood+"/unlink", nil, up.key()...)
	waitUntil(t, "account_unlinked downstream", 30*time.Second, func() bool {
		return strings.HasSuffix(strings.Join(m.hooks.types(good), ","), "account_unlinked")
	})
	down.must(404, "GET", "/accounts/"+good, nil, down.key()...)
	if m.hooks.bad > 0 {
		t.Fatalf("%d downstream webhooks failed their signature check", m.hooks.bad)
	}
}

// dataCall is a downstream read of a Mono account's data (not its
// details, which a login reads).
func dataCall(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == "GET" && strings.HasPrefix(p, "/v2/accounts/") &&
		(strings.HasSuffix(p, "/balance") || strings.HasSuffix(p, "/transactions") || strings.HasSuffix(p, "/identity"))
}

// TestMonoHangingNeverSlowsOthers: the upstream stops answering the
// downstream's reads; the Mono fetches hold at most half the downstream's
// workers (the provider's cap on calls in flight), so a sandbox-bank
// account syncs while every held Mono call is still waiting. Nothing is
// timed: the gate holds the Mono calls until the other sync is done.
func TestMonoHangingNeverSlowsOthers(t *testing.T) {
	t.Parallel()
	m := startMonoPair(t, 4)
	down := m.down
	gt, access := down.institution("GTBank"), down.institution("Access Bank")
	var monos []string
	for i := 0; i < 3; i++ {
		id := linkUser(t, down, gt, "user_good", nil)
		monos = append(monos, id)
	}
	bank := linkUser(t, down, access, "user_good", nil)
	for _, id := range append(monos, bank) {
		waitUntil(t, "first fetches", 60*time.Second, func() bool { return status(t, down, id) == "AVAILABLE" })
	}
	updates := func(id string) int { return strings.Count(strings.Join(m.hooks.types(id), ","), "account_updated") }
	waitUntil(t, "the sandbox account's first account_updated", 20*time.Second, func() bool { return updates(bank) >= 1 })

	// the upstream hangs; Mono says all three accounts have new data
	m.gate.close(dataCall)
	secret := m.up.app["webhook_secret"].(string)
	for _, id := range monos {
		hook := fmt.Sprintf(`{"event":"mono.events.account_updated","data":{"account":{"_id":%q},"meta":{"data_status":"AVAILABLE"}}}`, m.upstreamID(t, id))
		down.must(200, "POST", "/v1/providers/mono/webhooks/"+down.app["id"].(string), json.RawMessage(hook), "mono-webhook-secret", secret)
	}
	waitUntil(t, "two Mono reads held", 30*time.Second, func() bool { held, _ := m.gate.counts(); return held >= 2 })

	before := updates(bank)
	down.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 2}, down.key()...)
	if r := down.must(200, "POST", "/accounts/"+bank+"/sync", nil, down.key()...); r.m(t)["code"] != "SYNC_SUCCESSFUL" {
		t.Fatalf("the sandbox bank's sync while Mono hangs: %s", r.body)
	}
	waitUntil(t, "account_updated for the sandbox account", 30*time.Second, func() bool { return updates(bank) > before })
	held, returned := m.gate.counts()
	if returned != 0 {
		t.Fatalf("the sandbox account synced only after %d held Mono calls returned", returned)
	}
	if held > 2 {
		t.Fatalf("%d Mono calls were in flight at once; the cap is half of 4 workers", held)
	}
	// the upstream answers again: the Mono accounts catch up
	m.gate.release()
	for _, id := range monos {
		waitUntil(t, "the Mono accounts' syncs", 60*time.Second, func() bool { return updates(id) >= 2 })
	}
}

// TestMonoFirstFetchFigure measures the downstream's first fetch of a
// 3,000-row account through the Mono provider from the in-process
// upstream (the target: under 2 s). The gate holds the
// downstream's reads until the upstream has the account AVAILABLE, so the
// figure is the downstream's fetch alone: it is logged, never asserted
// (a loaded machine moves it).
func TestMonoFirstFetchFigure(t *testing.T) {
	t.Parallel()
	m := startMonoPair(t, 0)
	down, up := m.down, m.up
	// two months of user_huge is about 3,300 rows
	up.must(200, "PATCH", "/v1/apps/"+up.app["id"].(string), map[string]int{"history_months": 2}, "Authorization", up.auth)
	down.must(200, "PATCH", "/v1/apps/"+down.app["id"].(string), map[string]int{"history_months": 2}, "Authorization", down.auth)
	m.gate.close(dataCall)
	id := linkUser(t, down, down.institution("GTBank"), "user_huge", nil)
	upID := m.upstreamID(t, id)
	waitUntil(t, "the upstream's first fetch", 120*time.Second, func() bool {
		return m.up.must(200, "GET", "/accounts/"+upID, nil, up.key()...).m(t)["meta"].(map[string]any)["data_status"] == "AVAILABLE"
	})
	start := time.Now()
	m.gate.release()
	waitUntil(t, "the downstream's first fetch", 120*time.Second, func() bool { return status(t, down, id) == "AVAILABLE" })
	took := time.Since(start)
	n := sameTxns(t, m, id, upID)
	if n < 3000 {
		t.Fatalf("the account has %d rows, want at least 3,000", n)
	}
	t.Logf("first fetch through the Mono provider: %d rows in %v (%.0f rows/s)", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
}
