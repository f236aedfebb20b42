package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

// hostPage is a partner's page: it loads a connect.js (kobo's own or
// Mono's unmodified npm build) and records every callback.
const hostPage = `<!doctype html><html><head><meta charset="utf-8"><title>Acme Loans</title></head>
<body style="font-family:sans-serif;background:#fafafa"><h1>Acme Loans</h1><p>Link your bank to apply.</p><button id="link">Link account</button>
<script src="%s"></script>
<script>
window.events = []; window.results = []; window.closes = 0; window.loads = 0;
window.makeConnect = function (extra) {
  return new Connect(Object.assign({
    key: %q, reference: "ref-123", data: {customer: {name: "Ada Obi", email: "ada@acme.ng"}},
    onSuccess: function (d) { window.results.push(d); },
    onClose: function () { window.closes++; },
    onLoad: function () { window.loads++; },
    onEvent: function (name, data) { window.events.push({name: name, data: data}); }
  }, extra || {}));
};
</script></body></html>`

// widgetRig is kobo plus a partner site on another origin plus Chromium.
type widgetRig struct {
	t    *testing.T
	e    *e2e
	b    *browsertest.Browser
	site *httptest.Server
}

func newWidgetRig(t *testing.T, hooks string) *widgetRig {
	b := browsertest.New(t, 3*time.Minute)
	e := startE2E(t, e2eOpts{})
	e.signupApp(hooks)
	r := &widgetRig{t: t, e: e, b: b}
	r.site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case strings.HasPrefix(req.URL.Path, "/mono/"):
			// the unmodified npm builds, byte for byte
			body, err := os.ReadFile("testdata/monoconnect/" + strings.TrimPrefix(req.URL.Path, "/mono/"))
			if err != nil {
				http.NotFound(w, req)
				return
			}
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(body)
		default:
			loader := e.url + "/connect.js"
			if v := req.URL.Query().Get("mono"); v != "" {
				loader = "/mono/" + v + "/index.js"
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, hostPage, loader, e.pk)
		}
	}))
	t.Cleanup(r.site.Close)
	return r
}

// frame returns the widget iframe once the partner page shows it.
func (r *widgetRig) frame() *cdp.Node {
	r.t.Helper()
	// A query through an iframe node runs in the document the node held
	// when chromedp took it, and an iframe starts with an empty document:
	// a node taken before the widget's document replaced it waits for
	// screens that never come to it. So the node is taken again until the
	// widget's screen is reachable through it. (The page cannot check
	// with script: the widget is on another origin.)
	r.b.Run("find the widget iframe", chromedp.WaitVisible("#mono-connect--frame-id", chromedp.ByQuery))
	deadline := time.Now().Add(browsertest.StepTimeout)
	for {
		var nodes []*cdp.Node
		r.b.Run("take the widget iframe", chromedp.Nodes("#mono-connect--frame-id", &nodes, chromedp.ByQuery))
		ctx, cancel := context.WithTimeout(r.b.Ctx, 2*time.Second)
		err := chromedp.Run(ctx, chromedp.WaitReady("#screen", chromedp.ByQuery, chromedp.FromNode(nodes[0])))
		cancel()
		if err == nil {
			return nodes[0]
		}
		if time.Now().After(deadline) {
			r.b.Run("the widget's screen in its iframe", chromedp.WaitReady("#screen", chromedp.ByQuery, chromedp.FromNode(nodes[0])))
		}
	}
}

// in targets a selector inside the widget.
func in(f *cdp.Node) []chromedp.QueryOption {
	if f == nil { // the widget is the page itself (Connect Link)
		return []chromedp.QueryOption{chromedp.ByQuery}
	}
	return []chromedp.QueryOption{chromedp.ByQuery, chromedp.FromNode(f)}
}

func (r *widgetRig) waitScreen(f *cdp.Node, name string) {
	r.t.Helper()
	r.b.Run("wait for screen "+name, chromedp.WaitVisible(`#screen[data-screen="`+name+`"]`, in(f)...))
}

func (r *widgetRig) click(f *cdp.Node, sel string) {
	r.t.Helper()
	r.b.Run("click "+sel, chromedp.WaitVisible(sel, in(f)...), chromedp.Click(sel, in(f)...))
}

func (r *widgetRig) typeIn(f *cdp.Node, sel, text string) {
	r.t.Helper()
	r.b.Run("type into "+sel, chromedp.WaitVisible(sel, in(f)...), chromedp.SendKeys(sel, text, in(f)...))
}

func (r *widgetRig) eval(js string, out any) {
	r.t.Helper()
	r.b.Run("evaluate "+js, chromedp.Evaluate(js, out))
}

// code waits for the success screen, continues past it, and returns the
// code onSuccess got; onSuccess must not run before Continue.
func (r *widgetRig) code(n int) string {
	r.t.Helper()
	f := r.frame()
	r.waitScreen(f, "SUCCESS")
	var before int
	r.eval(`window.results.length`, &before)
	if before >= n {
		r.t.Fatalf("onSuccess ran before the customer pressed Continue on the success screen")
	}
	r.click(f, "#success-continue")
	var code string
	r.b.Run("wait for onSuccess", chromedp.Poll(fmt.Sprintf("window.results.length >= %d && window.results[%d].code", n, n-1), &code, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	return code
}

func (r *widgetRig) eventNames() []string {
	var names []string
	r.eval(`window.events.map(function (e) { return e.name; })`, &names)
	return names
}

func (r *widgetRig) exchange(code string) string {
	r.t.Helper()
	return r.e.must(200, "POST", "/account/auth", map[string]string{"code": code}, r.e.key()...).m(r.t)["id"].(string)
}

// login fills the bank form with a sandbox user.
func (r *widgetRig) login(f *cdp.Node, user string) {
	r.t.Helper()
	r.waitScreen(f, "LOGIN")
	r.typeIn(f, "#f-username", user)
	r.typeIn(f, "#f-password", "123456")
	r.click(f, "#submit")
}

// reauthEntry checks the re-authorisation entry screen names the app, the
// bank (when bank is given) and why, and asks for nothing yet; then
// continues.
func (r *widgetRig) reauthEntry(f *cdp.Node, bank string) {
	r.t.Helper()
	r.waitScreen(f, "REAUTH")
	var text string
	var inputs []*cdp.Node
	r.b.Run("read the re-auth entry", chromedp.Text("#screen", &text, in(f)...),
		chromedp.Nodes("#screen input", &inputs, append(in(f), chromedp.AtLeast(0))...))
	for _, want := range []string{"Reconnect your " + bank, "can no longer refresh this account", "••••", "Nothing is sent to"} {
		if !strings.Contains(text, want) {
			r.t.Errorf("re-auth entry lacks %q: %s", want, text)
		}
	}
	if len(inputs) != 0 {
		r.t.Errorf("the re-auth entry asks for %d fields before the customer continues", len(inputs))
	}
	r.click(f, "#reauth-continue")
}

func has(list []string, want ...string) error {
	for _, w := range want {
		found := false
		for _, x := range list {
			found = found || x == w
		}
		if !found {
			return fmt.Errorf("%q missing from %v", w, list)
		}
	}
	return nil
}

// TestWidgetWithKoboLoader links accounts through the hosted widget as an
// end user does, in Chromium, from a partner page on another origin that
// uses kobo's /connect.js: OTP, several accounts, a wrong password, close,
// a forged message, and re-authorisation with a token and an account id.
func TestWidgetWithKoboLoader(t *testing.T) {
	t.Parallel()
	hooks := newHookReceiver(t)
	r := newWidgetRig(t, hooks.srv.URL)
	hooks.secret = r.e.app["webhook_secret"].(string)
	b := r.b
	b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	b.Screenshot("00-partner-page")

	// the partner's branding: its name, colour and pages (dashboard Widget page)
	r.e.must(200, "PATCH", "/v1/apps/"+r.e.app["id"].(string), map[string]any{"display_name": "Acme Loans", "brand_color": "#5b21b6",
		"privacy_url": "https://acme.example/privacy", "terms_url": "https://acme.example/terms"}, "Authorization", r.e.auth)

	// 1. OTP user at GTBank, choosing internet banking.
	r.eval(`window.c = makeConnect(); c.setup(); document.getElementById("link").onclick = function () { c.open(); }; true`, nil)
	b.Run("click Link", chromedp.Click("#link", chromedp.ByQuery))
	f := r.frame()
	r.waitScreen(f, "CONSENT")
	b.Screenshots("01-consent")
	// the consent screen names the partner, lists what is shared and links
	// the partner's pages; the buttons wear the partner's colour
	var consentText, privacy string
	var styles []*css.ComputedStyleProperty
	b.Run("read the consent screen", chromedp.Text("#screen", &consentText, in(f)...),
		chromedp.AttributeValue("#privacy-link", "href", &privacy, nil, in(f)...),
		chromedp.ComputedStyle("#continue", &styles, in(f)...))
	for _, st := range styles {
		if st.Name == "background-color" && st.Value != "rgb(91, 33, 182)" {
			t.Errorf("Continue is %s, not the partner's #5b21b6", st.Value)
		}
	}
	for _, want := range []string{"Acme Loans uses kobo", "Balance", "Transactions", "Identity", "Access lasts until you or Acme Loans unlink", "privacy policy", "terms"} {
		if !strings.Contains(consentText, want) {
			t.Errorf("consent screen lacks %q: %s", want, consentText)
		}
	}
	if privacy != "https://acme.example/privacy" {
		t.Errorf("privacy link %q", privacy)
	}
	r.click(f, "#continue")
	r.waitScreen(f, "INSTITUTIONS")
	// a bank is found by its code and by its initials, not only its name
	for q, want := range map[string]string{"058": "GTBank", "FBN": "First Bank of Nigeria"} {
		r.typeIn(f, "#search", q)
		b.Run("search "+q, chromedp.WaitVisible(`[data-institution="`+want+`"]`, in(f)...))
		b.Run("clear the search", chromedp.SendKeys("#search", strings.Repeat("\b", len(q)), in(f)...))
	}
	r.typeIn(f, "#search", "gt")
	b.Screenshots("02-institutions-search")
	r.click(f, `[data-institution="GTBank"]`)
	r.waitScreen(f, "AUTH_METHOD")
	b.Screenshots("03-auth-method")
	r.click(f, `[data-method="internet_banking"]`)
	r.waitScreen(f, "LOGIN")
	b.Run("sandbox users shown", chromedp.WaitVisible("#sandbox-users", in(f)...))
	b.Screenshots("04-login")
	r.login(f, "user_otp")
	r.waitScreen(f, "MFA")
	b.Screenshots("05-mfa-otp")
	r.typeIn(f, "#f-otp", "123456")
	r.click(f, "#submit")
	code := r.code(1)
	if !strings.HasPrefix(code, "code_") {
		t.Fatalf("onSuccess code %q", code)
	}
	var closes int
	r.eval(`window.closes`, &closes)
	if closes != 1 {
		t.Fatalf("onClose after success ran %d times", closes)
	}
	if err := has(r.eventNames(), "OPENED", "LOADED", "INSTITUTION_SELECTED", "SUBMIT_CREDENTIALS", "SUBMIT_MFA", "ACCOUNT_LINKED", "SUCCESS"); err != nil {
		t.Fatal(err)
	}
	var ref string
	r.eval(`window.events.filter(function (e) { return e.name === "SUBMIT_MFA"; })[0].data.reference + "/" + window.events.filter(function (e) { return e.name === "SUBMIT_MFA"; })[0].data.mfaType`, &ref)
	if ref != "ref-123/OTP" {
		t.Fatalf("SUBMIT_MFA data: %s", ref)
	}
	otpAccount := r.exchange(code)
	waitUntil(t, "account_connected", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(otpAccount), ","), "account_connected") })

	// 2. Several accounts: pick the second.
	r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+r.e.institution("Providus Bank")+`", auth_method: "internet_banking"}}); c.open(); true`, nil)
	f = r.frame()
	r.login(f, "user_multi")
	r.waitScreen(f, "ACCOUNT_SELECTION")
	b.Screenshots("06-account-selection")
	r.click(f, `[data-account="1"]`)
	multi := r.exchange(r.code(2))
	acct := r.e.must(200, "GET", "/v2/accounts/"+multi, nil, r.e.key()...).m(t)["data"].(map[string]any)["account"].(map[string]any)
	if acct["type"] == nil || acct["institution"].(map[string]any)["name"] != "Providus Bank" {
		t.Fatalf("multi account: %v", acct)
	}

	// 3. Wrong password: the message shows beside the form; then close.
	r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+r.e.institution("Providus Bank")+`", auth_method: "internet_banking"}}); c.open(); true`, nil)
	f = r.frame()
	r.login(f, "user_bad")
	b.Run("error shown", chromedp.WaitVisible(".error", in(f)...))
	var msg string
	b.Run("read error", chromedp.Text(".error", &msg, in(f)...))
	if !strings.Contains(strings.ToLower(msg), "password") && !strings.Contains(strings.ToLower(msg), "credential") {
		t.Fatalf("wrong-password message: %q", msg)
	}
	b.Screenshots("07-login-error")
	r.click(f, "#close")
	r.b.Run("the exit pane asks first", chromedp.WaitVisible("#exit-confirm", in(f)...))
	r.click(f, "#exit-confirm")
	b.Run("closed", chromedp.Poll(`window.closes === 3`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	if err := has(r.eventNames(), "ERROR", "EXIT"); err != nil {
		t.Fatal(err)
	}

	// 4. kobo's loader ignores messages that do not come from the widget.
	var forged int
	r.eval(`window.c = makeConnect(); c.open(); window.postMessage({type: "mono.connect.widget.account_linked", data: {code: "code_forged"}}, "*"); true`, nil)
	time.Sleep(300 * time.Millisecond)
	r.eval(`window.results.length`, &forged)
	if forged != 2 {
		t.Fatalf("a forged postMessage reached onSuccess (%d results)", forged)
	}
	r.eval(`c.close(); true`, nil)

	// 5. Re-authorisation: the bank wants the OTP again.
	reauth := linkUser(t, r.e, r.e.institution("GTBank"), "user_reauth", map[string]string{"otp": "123456"})
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, r.e, reauth) == "AVAILABLE" })
	needReauth := func() {
		r.e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, r.e.key()...)
		r.e.must(200, "POST", "/accounts/"+reauth+"/sync", nil, r.e.key()...)
	}
	needReauth()
	token := r.e.must(200, "POST", "/accounts/"+reauth+"/reauthorise", nil, r.e.key()...).m(t)["token"].(string)
	r.eval(`window.c = makeConnect(); c.reauthorise("`+token+`"); c.open(); true`, nil)
	f = r.frame()
	r.reauthEntry(f, "GTBank")
	r.waitScreen(f, "MFA")
	b.Screenshots("08-reauth-mfa")
	r.typeIn(f, "#f-otp", "123456")
	r.click(f, "#submit")
	if got := r.exchange(r.code(3)); got != reauth {
		t.Fatalf("re-auth code exchanged for %s, want the same account %s", got, reauth)
	}
	waitUntil(t, "account_reauthorized", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(reauth), ","), "account_reauthorized") })

	// 6. connect.js 2.1+ passes the account id instead of a token (another
	// account: manual syncs are limited to one per account every 2 minutes).
	// The public key and an account id prove nothing (both are public), so
	// the widget says what to do instead of logging in to the bank; with a
	// token in place of the id it re-authorises.
	reauth = linkUser(t, r.e, r.e.institution("Zenith Bank"), "user_reauth", map[string]string{"otp": "123456"})
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, r.e, reauth) == "AVAILABLE" })
	needReauth()
	r.eval(`window.c = makeConnect(); c.reauthorise("`+reauth+`"); c.open(); true`, nil)
	f = r.frame()
	r.waitScreen(f, "ERROR")
	var refusal string
	r.b.Run("read the refusal", chromedp.Text(`#screen`, &refusal, in(f)...))
	if !strings.Contains(refusal, "/accounts/{id}/reauthorise") {
		t.Fatalf("re-auth by account id alone: the widget says %q", refusal)
	}
	b.Screenshots("08b-reauth-needs-token")
	r.eval(`c.close(); true`, nil)
	token = r.e.must(200, "POST", "/accounts/"+reauth+"/reauthorise", nil, r.e.key()...).m(t)["token"].(string)
	r.eval(`window.c = makeConnect(); c.reauthorise("`+token+`"); c.open(); true`, nil)
	f = r.frame()
	r.reauthEntry(f, "Zenith Bank")
	r.waitScreen(f, "MFA")
	r.typeIn(f, "#f-otp", "123456")
	r.click(f, "#submit")
	if got := r.exchange(r.code(4)); got != reauth {
		t.Fatalf("re-auth with a token gave %s", got)
	}
	if hooks.bad != 0 {
		t.Fatalf("%d webhooks failed signature checks", hooks.bad)
	}

	// The widget on its own: it paints, and fetches nothing from anywhere
	// but kobo. (How fast it paints is kobo bench widget's figure, not a
	// timed assertion here.)
	b.Run("open the widget page", chromedp.Navigate(r.e.url+"/connect/?key="+r.e.pk), chromedp.WaitVisible(`#screen[data-screen="CONSENT"]`, chromedp.ByQuery))
	var fcp float64
	b.Run("first paint", chromedp.Poll(`(performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime`, &fcp, chromedp.WithPollingTimeout(5*time.Second)))
	if fcp <= 0 {
		t.Errorf("the widget never painted")
	}
	var foreign []string
	b.Run("resources", chromedp.Evaluate(`performance.getEntriesByType("resource").map(function (e) { return e.name; }).filter(function (u) { return new URL(u).origin !== location.origin; })`, &foreign))
	if len(foreign) > 0 {
		t.Errorf("the widget fetched from other origins: %v", foreign)
	}
	t.Logf("widget first contentful paint: %.0f ms", fcp)
}

// routeToKobo answers the browser's requests for Mono's widget hosts from
// kobo, as a partner does by pointing connect.js's host at kobo (DNS, a
// proxy or a fork of one URL). The path / is the widget; everything else
// keeps its path. The Host header is the one the browser used, so kobo
// sees what it would behind that hostname.
func routeToKobo(t *testing.T, ctx context.Context, kobo string) {
	var mu sync.Mutex
	var seen []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() {
			t.Logf("routed: %v", seen)
		}
	})
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() {
			c := chromedp.FromContext(ctx)
			ectx := cdp.WithExecutor(ctx, c.Target)
			u, _ := url.Parse(e.Request.URL)
			path := u.Path
			if path == "" || path == "/" {
				path = "/connect/"
			}
			var body io.Reader
			if e.Request.HasPostData {
				var b []byte
				for _, en := range e.Request.PostDataEntries {
					chunk, _ := base64.StdEncoding.DecodeString(en.Bytes) // the protocol sends bytes as base64
					b = append(b, chunk...)
				}
				body = strings.NewReader(string(b))
			}
			req, _ := http.NewRequest(e.Request.Method, kobo+path+"?"+u.RawQuery, body)
			for k, v := range e.Request.Headers {
				req.Header.Set(k, fmt.Sprint(v))
			}
			req.Host = u.Host
			mu.Lock()
			seen = append(seen, e.Request.Method+" "+u.Host+path)
			mu.Unlock()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				fetch.FailRequest(e.RequestID, "Failed").Do(ectx)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode >= 400 {
				mu.Lock()
				seen = append(seen, fmt.Sprintf("→ %d %s", resp.StatusCode, b))
				mu.Unlock()
			}
			var headers []*fetch.HeaderEntry
			for k, vs := range resp.Header {
				for _, v := range vs {
					headers = append(headers, &fetch.HeaderEntry{Name: k, Value: v})
				}
			}
			fetch.FulfillRequest(e.RequestID, int64(resp.StatusCode)).WithResponseHeaders(headers).WithBody(base64.StdEncoding.EncodeToString(b)).Do(ectx)
		}()
	})
	if err := chromedp.Run(ctx, fetch.Enable().WithPatterns([]*fetch.RequestPattern{
		{URLPattern: "https://connect.mono.co/*"}, {URLPattern: "https://connect.withmono.com/*"},
	})); err != nil {
		t.Fatal(err)
	}
}

// TestWidgetWithMonoConnectJS drives the widget with Mono's own connect.js
// from npm, unmodified: 2.2.0 (connect.mono.co, single-encoded data,
// reauthorise(x) sends x as data.account) and 0.2.5 (connect.withmono.com,
// double-encoded data, reauthorise(token)). Both re-authorise with a token
// from POST /accounts/{id}/reauthorise: kobo refuses an account id alone
// from the public key, and takes a token arriving in data.account.
func TestWidgetWithMonoConnectJS(t *testing.T) {
	t.Parallel()
	hooks := newHookReceiver(t)
	r := newWidgetRig(t, hooks.srv.URL)
	hooks.secret = r.e.app["webhook_secret"].(string)
	b := r.b
	routeToKobo(t, b.Ctx, r.e.url)
	accounts := map[string]string{}
	for _, v := range []string{"2.2.0", "0.2.5"} {
		b.Run("open the page with Mono's connect.js "+v, chromedp.Navigate(r.site.URL+"?mono="+v), chromedp.WaitVisible("#link", chromedp.ByQuery))
		r.eval(`window.c = makeConnect(); c.setup(); c.open(); true`, nil)
		f := r.frame()
		r.waitScreen(f, "CONSENT")
		b.Screenshot("mono-" + v + "-consent")
		r.click(f, "#continue")
		if v == "2.2.0" {
			r.click(f, `[data-institution="Providus Bank"]`)
		} else {
			r.click(f, `[data-institution="GTBank"]`)
			r.click(f, `[data-method="internet_banking"]`)
		}
		r.login(f, "user_reauth")
		r.waitScreen(f, "MFA")
		r.typeIn(f, "#f-otp", "123456")
		r.click(f, "#submit")
		id := r.exchange(r.code(1))
		if err := has(r.eventNames(), "LOADED", "OPENED", "INSTITUTION_SELECTED", "SUBMIT_CREDENTIALS", "SUBMIT_MFA", "ACCOUNT_LINKED", "SUCCESS"); err != nil {
			t.Fatalf("connect.js %s: %v", v, err)
		}
		// The customer from data (single- or double-encoded) reached kobo.
		a := r.e.must(200, "GET", "/v2/accounts/"+id, nil, r.e.key()...).m(t)["data"].(map[string]any)
		if a["customer"] == nil {
			t.Fatalf("connect.js %s: the customer in data did not arrive: %v", v, a)
		}
		accounts[v] = id
		waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, r.e, id) == "AVAILABLE" })
	}

	// Re-authorise with each generation's API, given a token from
	// POST /accounts/{id}/reauthorise.
	r.e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, r.e.key()...)
	for _, v := range []string{"2.2.0", "0.2.5"} {
		id := accounts[v]
		r.e.must(200, "POST", "/accounts/"+id+"/sync", nil, r.e.key()...)
		arg := r.e.must(200, "POST", "/accounts/"+id+"/reauthorise", nil, r.e.key()...).m(t)["token"].(string)
		b.Run("open the page with Mono's connect.js "+v, chromedp.Navigate(r.site.URL+"?mono="+v), chromedp.WaitVisible("#link", chromedp.ByQuery))
		r.eval(`window.c = makeConnect(); c.reauthorise("`+arg+`"); c.open(); true`, nil)
		f := r.frame()
		r.reauthEntry(f, "")
		r.waitScreen(f, "MFA")
		b.Screenshot("mono-" + v + "-reauth")
		r.typeIn(f, "#f-otp", "123456")
		r.click(f, "#submit")
		if got := r.exchange(r.code(1)); got != id {
			t.Fatalf("connect.js %s re-auth gave %s, want %s", v, got, id)
		}
		waitUntil(t, "account_reauthorized", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(id), ","), "account_reauthorized") })
	}
	if hooks.bad != 0 {
		t.Fatalf("%d webhooks failed signature checks", hooks.bad)
	}
}

// redirectedTo waits for the page to land on path and returns its query.
// It polls from Go because the page navigates under the poll.
func (r *widgetRig) redirectedTo(path string) string {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var href string
		if err := chromedp.Run(r.b.Ctx, chromedp.Evaluate(`location.href`, &href)); err == nil {
			if u, err := url.Parse(href); err == nil && u.Path == path {
				return "?" + u.RawQuery
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.b.Screenshot("not-redirected")
	r.t.Fatalf("the browser never reached %s", path)
	return ""
}

// TestConnectLink follows Connect Link: the partner asks for a link, the
// customer opens it in a browser (no partner page, no iframe), links, and
// is sent back to redirect_url; the account arrives by webhook. Then a
// re-auth link, and a link the customer closes.
func TestConnectLink(t *testing.T) {
	t.Parallel()
	hooks := newHookReceiver(t)
	r := newWidgetRig(t, hooks.srv.URL)
	hooks.secret = r.e.app["webhook_secret"].(string)
	b := r.b
	e := r.e
	done := r.site.URL + "/done"

	golden(t, "v2_initiate_bad", e.must(400, "POST", "/v2/accounts/initiate", map[string]any{"scope": "auth", "redirect_url": "not a url"}, e.key()...).body)
	res := e.must(200, "POST", "/v2/accounts/initiate", map[string]any{
		"customer": map[string]string{"name": "Samuel Olamide", "email": "samuel@neem.com"}, "meta": map[string]string{"ref": "99008877TEST"},
		"scope": "auth", "redirect_url": done,
	}, e.key()...)
	golden(t, "v2_initiate", res.body)
	d := res.m(t)["data"].(map[string]any)
	b.Run("open the link", chromedp.Navigate(d["mono_url"].(string)))
	r.waitScreen(nil, "CONSENT")
	b.Screenshot("link-consent")
	r.click(nil, "#continue")
	r.click(nil, `[data-institution="Providus Bank"]`)
	r.login(nil, "user_good")
	r.waitScreen(nil, "SUCCESS")
	b.Screenshots("link-success")
	r.click(nil, "#success-continue")
	var loc string
	loc = r.redirectedTo("/done")
	q, _ := url.ParseQuery(strings.TrimPrefix(loc, "?"))
	id := q.Get("account_id")
	if q.Get("status") != "linked" || q.Get("reference") != "99008877TEST" || id == "" || !strings.HasPrefix(q.Get("code"), "code_") {
		t.Fatalf("redirect query %q", loc)
	}
	// the code in the redirect exchanges, like a widget code, for the same account
	if got := e.must(200, "POST", "/account/auth", map[string]string{"code": q.Get("code")}, e.key()...).m(t)["id"]; got != id {
		t.Fatalf("exchanging the link's code gave %v, want %s", got, id)
	}
	waitUntil(t, "account_connected by webhook", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(id), ","), "account_connected") })
	acct := e.must(200, "GET", "/v2/accounts/"+id, nil, e.key()...).m(t)["data"].(map[string]any)
	if acct["customer"].(map[string]any)["id"] != d["customer"] {
		t.Fatalf("linked for customer %v, link was for %v", acct["customer"], d["customer"])
	}

	// A re-auth link for an account that needs it.
	re := linkUser(t, e, e.institution("GTBank"), "user_reauth", map[string]string{"otp": "123456"})
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, re) == "AVAILABLE" })
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, e.key()...)
	e.must(200, "POST", "/accounts/"+re+"/sync", nil, e.key()...)
	res = e.must(200, "POST", "/v2/accounts/initiate", map[string]any{"scope": "reauth", "account": re, "meta": map[string]string{"ref": "reauth-1"}, "redirect_url": done}, e.key()...)
	golden(t, "v2_initiate_reauth", res.body)
	b.Run("open the re-auth link", chromedp.Navigate(res.m(t)["data"].(map[string]any)["mono_url"].(string)))
	r.reauthEntry(nil, "GTBank")
	r.waitScreen(nil, "MFA")
	r.typeIn(nil, "#f-otp", "123456")
	r.click(nil, "#submit")
	r.waitScreen(nil, "SUCCESS")
	r.click(nil, "#success-continue")
	loc = r.redirectedTo("/done")
	q, _ = url.ParseQuery(strings.TrimPrefix(loc, "?"))
	if q.Get("status") != "linked" || q.Get("account_id") != re {
		t.Fatalf("re-auth redirect %q, want account %s", loc, re)
	}
	waitUntil(t, "account_reauthorized", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(re), ","), "account_reauthorized") })

	// The customer closes the widget: back with status=cancelled.
	res = e.must(200, "POST", "/v2/accounts/initiate", map[string]any{"customer": map[string]string{"id": d["customer"].(string)}, "meta": map[string]string{"ref": "gone"}, "redirect_url": done}, e.key()...)
	b.Run("open the link", chromedp.Navigate(res.m(t)["data"].(map[string]any)["mono_url"].(string)))
	r.waitScreen(nil, "CONSENT")
	r.click(nil, "#close")
	loc = r.redirectedTo("/done")
	if !strings.Contains(loc, "status=cancelled") || !strings.Contains(loc, "reference=gone") {
		t.Fatalf("cancel redirect %q", loc)
	}
	// A tampered link is refused.
	bad := e.do("GET", "/connect/api/config", nil, "x-link-token", "eyJhIjoieCJ9.00")
	if bad.status != 401 {
		t.Fatalf("tampered link token: %d %s", bad.status, bad.body)
	}
}
