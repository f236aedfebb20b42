package cli

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/browsertest"
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
