package cli

import (
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/banksim"
	obieface "github.com/kobo-oss/kobo/internal/banksim/obie"
	"github.com/kobo-oss/kobo/internal/browsertest"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// newStandardRig is kobo configured by a banks file (banksim's standard
// faces over mTLS on loopback), a partner page loading kobo's connect.js,
// and a Chromium that trusts the faces' throwaway certificate and nothing
// else extra. The customer's browser has no client certificate: the
// faces' login pages must not want one.
func newStandardRig(t *testing.T, clk *shiftClock, banksFile string, bankCert *x509.Certificate) *widgetRig {
	t.Helper()
	b := browsertest.New(t, 5*time.Minute, browsertest.TrustCertificates(bankCert))
	e := startE2E(t, e2eOpts{clock: clk, banksFile: banksFile})
	e.signupApp("")
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, e.url+"/connect.js", e.pk)
	}))
	t.Cleanup(site.Close)
	return &widgetRig{t: t, e: e, b: b, site: site}
}

// openWidget opens the widget from the partner page and picks the bank
// from the list by searching for it, as a customer does.
func (r *widgetRig) openWidget(bank, shot string) *cdp.Node {
	r.t.Helper()
	r.b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup(); c.open(); true`, nil)
	f := r.frame()
	r.waitScreen(f, "CONSENT")
	r.click(f, "#continue")
	r.waitScreen(f, "INSTITUTIONS")
	r.typeIn(f, "#search", bank)
	r.b.Run("the bank in the list", chromedp.WaitVisible(`[data-institution="`+bank+`"]`, in(f)...))
	r.b.Screenshots(shot)
	r.click(f, `[data-institution="`+bank+`"]`)
	return f
}

// linkedAccount exchanges the widget's code (n numbers the screenshot), waits for the first
// fetch and checks the account came from the standard's provider with
// its transactions.
func (r *widgetRig) linkedAccount(n int, provider, bank string) string {
	r.t.Helper()
	code := r.code(1) // each link opens the partner page afresh
	if !strings.HasPrefix(code, "code_") {
		r.t.Fatalf("onSuccess code %q", code)
	}
	r.b.Screenshot(fmt.Sprintf("%s-%d-linked-partner-page", provider, n))
	id := r.exchange(code)
	waitUntil(r.t, "first fetch", 2*time.Minute, func() bool { return status(r.t, r.e, id) == "AVAILABLE" })
	d := r.e.must(200, "GET", "/v2/accounts/"+id, nil, r.e.key()...).m(r.t)["data"].(map[string]any)
	if in, _ := d["account"].(map[string]any)["institution"].(map[string]any); in["name"] != bank {
		r.t.Fatalf("account %s is at %v, want %s", id, in, bank)
	}
	// a consent the customer gave at the bank (redirect, decoupled) is
	// recorded with its provider; the embedded login is a credential login
	if c, ok := d["meta"].(map[string]any)["consent"].(map[string]any); ok && len(c) > 0 && c["provider"] != provider {
		r.t.Fatalf("account %s meta.consent = %v, want provider %s", id, c, provider)
	}
	var txns struct {
		Paging struct {
			Total float64 `json:"total"`
		} `json:"paging"`
	}
	json.Unmarshal(r.e.must(200, "GET", "/accounts/"+id+"/transactions?limit=1", nil, r.e.key()...).body, &txns)
	if txns.Paging.Total < 10 {
		r.t.Fatalf("account %s has %v transactions after the first fetch", id, txns.Paging.Total)
	}
	r.t.Logf("%s: account %s, %v transactions", provider, id, txns.Paging.Total)
	return id
}

// TestWidgetLinkBerlinGroup links banksim users through banksim's Berlin
// Group face in the hosted widget with the SCA approaches that stay in
// the widget: embedded (the bank's login fields in
// the widget, then its OTP as a 102 challenge) and decoupled (the widget
// waits while the customer approves in the bank's app; the simulated
// customer approves once the shared clock moves past the face's delay).
func TestWidgetLinkBerlinGroup(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	bank := startBerlinGroupBank(t, clk)
	r := newStandardRig(t, clk, bank.banksFile, bank.server)

	// embedded: the bank's fields in kobo's form, its OTP as the 102
	f := r.openWidget("XS2A Embedded Bank", "bg-embedded-01-institutions")
	r.waitScreen(f, "AUTH_METHOD")
	r.b.Screenshots("bg-embedded-02-auth-method")
	r.click(f, `[data-method="internet_banking"]`)
	r.waitScreen(f, "LOGIN")
	r.typeIn(f, "#f-psu_id", "user_good")
	r.typeIn(f, "#f-password", "123456")
	r.b.Screenshots("bg-embedded-03-login")
	r.click(f, "#submit")
	r.waitScreen(f, "MFA")
	r.b.Screenshots("bg-embedded-04-otp")
	r.typeIn(f, "#f-otp", banksim.TestOTP)
	r.click(f, "#submit")
	r.linkedAccount(1, "berlingroup", "XS2A Embedded Bank")

	// decoupled: the widget waits (104) until the customer approves in the app
	f = r.openWidget("XS2A Embedded Bank", "bg-decoupled-01-institutions")
	r.waitScreen(f, "AUTH_METHOD")
	r.click(f, `[data-method="mobile_banking"]`)
	r.waitScreen(f, "LOGIN")
	r.typeIn(f, "#f-psu_id", "user_multi")
	r.click(f, "#submit")
	r.waitScreen(f, "PENDING")
	r.b.Screenshots("bg-decoupled-02-pending")
	clk.advance(3 * time.Second) // the simulated customer approves after 2 s
	r.waitScreen(f, "ACCOUNT_SELECTION")
	r.b.Screenshots("bg-decoupled-03-accounts")
	r.click(f, `[data-account="1"]`)
	r.linkedAccount(2, "berlingroup", "XS2A Embedded Bank")
}

// bankPage presses the widget's "Continue to your bank" and returns the
// bank's page (its URL begins with bankURL), which the widget opens in a
// window of its own. The page is checked to run as an ordinary page: the
// widget's iframe is sandboxed by the partner's loader, and a bank's page
// must not inherit that (a sandboxed page cannot show dialogs, download a
// document or set document.domain, all of which real bank pages do).
func (r *widgetRig) bankPage(f *cdp.Node, bankURL string) *browsertest.Browser {
	r.t.Helper()
	w := r.b.Window("the bank's window", bankURL, func() { r.click(f, "#consent-continue") })
	var sandboxed string
	w.Run("is the bank's page sandboxed", chromedp.Evaluate(`(function () {
		try { document.domain = document.domain; return ""; } catch (e) { return String(e); }
	})()`, &sandboxed))
	if sandboxed != "" {
		r.t.Fatalf("the bank's page runs sandboxed (the widget iframe's sandbox reached it): %s", sandboxed)
	}
	return w
}

// holdSession marks the rig's newest connect session busy for d, as a
// request in progress does, and waits until it is free again: the
// widget, asking every 2 s, is answered 409 at least once meanwhile.
func (r *widgetRig) holdSession(clk kobo.Clock, d time.Duration) {
	r.t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(r.e.dir, "kobo.db")+"?mode=ro")
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	var id string
	if err := db.QueryRow(`SELECT id FROM connect_sessions ORDER BY created_at DESC LIMIT 1`).Scan(&id); err != nil {
		r.t.Fatalf("the widget's session: %v", err)
	}
	now := clk.Now()
	if err := r.e.stk.sealed.Update(ctx, func(tx kobo.Tx) error { return tx.ClaimConnectSession(ctx, id, now, now.Add(d)) }); err != nil {
		r.t.Fatalf("hold session %s: %v", id, err)
	}
	time.Sleep(d)
}

// backAtKobo presses the bank page's last button (sel) and waits until the
// bank's window has come back through kobo's /connect/callback to the
// widget's page and closed itself: what the customer sees is the bank's
// window going away and the widget carrying on.
func (r *widgetRig) backAtKobo(w *browsertest.Browser, sel string) {
	r.t.Helper()
	id := chromedp.FromContext(w.Ctx).Target.TargetID
	closed := make(chan struct{})
	var mu sync.Mutex
	var urls []string
	lctx, stop := context.WithCancel(r.b.Ctx)
	defer stop()
	chromedp.ListenBrowser(lctx, func(ev any) {
		switch ev := ev.(type) {
		case *target.EventTargetInfoChanged:
			if ev.TargetInfo.TargetID == id {
				mu.Lock()
				urls = append(urls, ev.TargetInfo.URL)
				mu.Unlock()
			}
		case *target.EventTargetDestroyed:
			if ev.TargetID == id {
				select {
				case <-closed:
				default:
					close(closed)
				}
			}
		}
	})
	w.Run("press "+sel+" at the bank", chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
	select {
	case <-closed:
	case <-time.After(browsertest.StepTimeout):
		var at string
		_ = chromedp.Run(w.Ctx, chromedp.Evaluate(`location.href + " " + document.body.innerText`, &at))
		r.t.Fatalf("the bank's window did not come back to kobo and close; it shows: %.600s", at)
	}
	mu.Lock()
	defer mu.Unlock()
	back := false
	for _, u := range urls {
		back = back || strings.HasPrefix(u, r.e.url+"/connect/?") && strings.Contains(u, "status=approved")
	}
	if !back {
		r.t.Fatalf("the bank's window closed without coming back to the widget approved; it was at %q", urls)
	}
}

// bankType types into a field of the bank's page.
func bankType(w *browsertest.Browser, sel, text string) {
	w.Run("type into the bank's "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.SendKeys(sel, text, chromedp.ByQuery))
}

// bankClick presses a button of the bank's page.
func bankClick(w *browsertest.Browser, sel string) {
	w.Run("press the bank's "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
}

// TestWidgetLinkOBIE links a banksim user through banksim's UK Open
// Banking face in the hosted widget: the bank from the list, the redirect
// step, the bank's own login page in a window of its own (password, then
// the user's second factor), back through kobo's /connect/callback/obie
// to the widget, whose onSuccess code the partner exchanges for an
// account that fills with the bank's transactions.
func TestWidgetLinkOBIE(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	sim := banksim.New(banksim.Config{Seed: 3, Clock: clk})
	dir := t.TempDir()
	lb, err := obieface.StartLoopback(obieface.Config{Sim: sim, Clients: map[string][]string{"kobo-e2e": nil}}, "127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	banks := filepath.Join(dir, "banks.json")
	if err := os.WriteFile(banks, lb.BanksFile("simbank", "Sim Bank UK", "kobo-e2e"), 0o600); err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(lb.PKI.ServerCertPEM)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	r := newStandardRig(t, clk, banks, cert)

	f := r.openWidget("Sim Bank UK", "obie-01-institutions")
	r.waitScreen(f, "LOGIN")
	r.b.Screenshots("obie-02-login")
	r.click(f, "#submit")
	r.waitScreen(f, "REDIRECT")
	r.b.Screenshots("obie-03-redirect")
	bank := r.bankPage(f, lb.URL+"/authorize?")
	// while the customer is at the bank, another request holds the
	// session (as the bank's callback does when it finishes the consent):
	// the widget's asking meets 409s, and must wait them out, not fail
	r.holdSession(clk, 5*time.Second)
	bankType(bank, "#u", "user_otp")
	bankType(bank, "#p", "123456")
	bank.Screenshots("obie-04-bank-login")
	bankClick(bank, `button[value="allow"]`)
	bankType(bank, "#f", banksim.TestOTP)
	bank.Screenshots("obie-05-bank-otp")
	r.backAtKobo(bank, `button[value="allow"]`)
	r.linkedAccount(1, "obie", "Sim Bank UK")
	if err := has(r.eventNames(), "OPENED", "INSTITUTION_SELECTED", "ACCOUNT_LINKED", "SUCCESS"); err != nil {
		t.Fatal(err)
	}
}

// TestWidgetLinkBerlinGroupRedirect links banksim users through the
// Berlin Group face's two approaches that send the customer to the bank
// in the hosted widget: REDIRECT (the bank's SCA page) and OAUTH (the
// bank's OAuth authorization server, its code exchanged with PKCE). Each
// has the bank's login page and OTP in a window of its own, back through
// /connect/callback/berlingroup to the widget.
func TestWidgetLinkBerlinGroupRedirect(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	bank := startBerlinGroupBank(t, clk)
	r := newStandardRig(t, clk, bank.banksFile, bank.server)
	for n, c := range []struct{ name, bank, page string }{
		{"redirect", "XS2A Redirect Bank", bank.url + "/sca/"},
		{"oauth", "XS2A OAuth Bank", bank.oauthURL + "/oauth/authorize?"},
	} {
		f := r.openWidget(c.bank, "bg-"+c.name+"-01-institutions")
		r.waitScreen(f, "LOGIN")
		r.click(f, "#submit")
		r.waitScreen(f, "REDIRECT")
		r.b.Screenshots("bg-" + c.name + "-02-redirect")
		w := r.bankPage(f, c.page)
		bankType(w, "#psu_id", "user_good")
		bankType(w, "#password", "123456")
		w.Screenshots("bg-" + c.name + "-03-bank-login")
		bankClick(w, "#submit")
		bankType(w, "#otp", banksim.TestOTP)
		w.Screenshots("bg-" + c.name + "-04-bank-otp")
		r.backAtKobo(w, "#submit")
		r.linkedAccount(3+n, "berlingroup", c.bank)
	}
}
