package cli

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

// dash drives the dashboard in Chromium.
type dash struct {
	t *testing.T
	b *browsertest.Browser
	e *e2e
}

func (d *dash) open(path string) {
	d.t.Helper()
	d.b.Run("open "+path, chromedp.Navigate(d.e.url+path), chromedp.WaitReady("body", chromedp.ByQuery))
}

func (d *dash) fill(sel, text string) {
	d.t.Helper()
	d.b.Run("fill "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector(`+strconv.Quote(sel)+`).value = ""`, nil), chromedp.SendKeys(sel, text, chromedp.ByQuery))
}

func (d *dash) click(sel string) {
	d.t.Helper()
	d.b.Run("click "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
}

// submit clicks a form's submit button, or a link, and returns once the
// page it leads to has loaded; click is for what stays on the page (a
// checkbox, a copy button). A read after a plain click could find the old
// page still up and pass or fail on what it showed (browsertest.Submit).
func (d *dash) submit(sel string) {
	d.t.Helper()
	d.b.Submit("submit "+sel, sel)
}

// login signs in as e's partner (the password e2e's signup gives) and
// waits for the logged-in page.
func (d *dash) login() {
	d.t.Helper()
	d.open("/dashboard/login")
	d.fill("#email", d.e.email)
	d.fill("#password", "a long passphrase")
	d.submit("#login")
	d.waitText("#nav-team", "Team")
}

// axe fails the test on each serious or critical axe-core violation of
// the page open now, named name.
func (d *dash) axe(name string) {
	d.t.Helper()
	for _, v := range d.b.Axe(name) {
		d.t.Errorf("%s: %s", name, v)
	}
}

func (d *dash) text(sel string) string {
	d.t.Helper()
	var s string
	d.b.Run("read "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

func (d *dash) waitText(sel, want string) { d.t.Helper(); d.wait(sel, want, false) }

// waitReload reloads the page until sel shows want (for data that arrives
// in the background: deliveries, log lines, sync results).
func (d *dash) waitReload(sel, want string) { d.t.Helper(); d.wait(sel, want, true) }

func (d *dash) wait(sel, want string, reload bool) {
	d.t.Helper()
	// A failure detector, not a speed target: background work (a PDF
	// build) shares two cores with the whole -race suite in CI, where 20 s
	// was seen to run out.
	deadline := time.Now().Add(90 * time.Second)
	for {
		var s string
		_ = chromedp.Run(d.b.Ctx, chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.AtLeast(0)))
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			d.b.Screenshot("missing-text")
			d.t.Fatalf("%s never showed %q (last: %q)", sel, want, s)
		}
		time.Sleep(200 * time.Millisecond)
		if reload {
			_ = chromedp.Run(d.b.Ctx, chromedp.Reload())
		}
	}
}

func (d *dash) path() string {
	var href string
	d.b.Run("location", chromedp.Evaluate(`location.pathname + location.search`, &href))
	return href
}

var secretKey = regexp.MustCompile(`test_sk_[A-Za-z0-9]+`)

// TestDashboard is a partner's first day in Chromium: sign up, create an
// app, copy its keys, set a webhook, link a sandbox account through the
// widget from the sandbox page, see it, sync it, watch the webhook
// deliveries, redeliver one, read the API log, unlink; then CSRF and an
// expired session. Every page is screenshotted and checked non-blank.
func TestDashboard(t *testing.T) {
	t.Parallel()
	hooks := newHookReceiver(t)
	e := startE2E(t, e2eOpts{})
	b := browsertest.New(t, 4*time.Minute)
	d := &dash{t: t, b: b, e: e}

	// Sign up; a bad password first shows its error beside the field.
	d.open("/dashboard/")
	if !strings.HasPrefix(d.path(), "/dashboard/login") {
		t.Fatalf("logged-out dashboard went to %s", d.path())
	}
	b.Screenshot("01-login")
	d.submit(`a[href="/dashboard/signup"]`)
	d.fill("#name", "Acme Lending")
	d.fill("#email", "ada@acme.ng")
	d.fill("#password", "short")
	d.submit("#signup")
	if s := d.text(".ferr"); !strings.Contains(s, "Password") {
		t.Fatalf("short password error: %q", s)
	}
	b.Screenshot("02-signup-error")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#signup")
	d.waitText("#flash", "Welcome to kobo")
	b.Screenshots("03-apps-empty")

	// Create an app: the secret key is shown once, with a copy button.
	d.fill("#app-name", "Acme Loans")
	d.submit("#create-app")
	secret := d.text("#secret-test")
	if !secretKey.MatchString(secret) {
		t.Fatalf("secret key shown as %q", secret)
	}
	d.click(`[data-copy="secret-test"]`)
	d.waitText(`[data-copy="secret-test"]`, "Copied")
	pk := d.text("#pk-test")
	b.Screenshots("04-app-created-keys")
	appPath := d.path()
	var appID string
	b.Run("app id", chromedp.Evaluate(`document.querySelector('form[action$="/settings"]').getAttribute("action").split("/")[3]`, &appID))
	e.sk, e.pk = secret, pk

	// Webhook URL; the secret is rotated so the receiver can verify.
	d.open("/dashboard/apps/" + appID + "/")
	d.fill("#webhook-url", hooks.srv.URL)
	d.submit("#save-settings")
	d.waitText("#flash", "Settings saved")
	b.Run("rotate webhook secret", chromedp.Evaluate(`window.confirm = function () { return true; }; true`, nil))
	d.submit("#rotate-webhook")
	hooks.mu.Lock()
	hooks.secret = d.text("#secret-webhook")
	hooks.mu.Unlock()
	_ = appPath

	// Sandbox: link a test account through the widget.
	d.open("/dashboard/apps/" + appID + "/sandbox")
	d.waitText("#test-users", "user_good")
	b.Screenshots("05-sandbox")
	d.click("#link-test")
	var frames []*cdp.Node
	b.Run("widget", chromedp.WaitVisible("#mono-connect--frame-id", chromedp.ByQuery), chromedp.Nodes("#mono-connect--frame-id", &frames, chromedp.ByQuery))
	f := frames[0]
	r := &widgetRig{t: t, e: e, b: b}
	r.waitScreen(f, "CONSENT")
	b.Screenshot("06-sandbox-widget")
	r.click(f, "#continue")
	r.click(f, `[data-institution="Providus Bank"]`)
	r.login(f, "user_good")
	// the success screen, then Continue hands the code to the dashboard
	r.waitScreen(f, "SUCCESS")
	r.click(f, "#success-continue")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(d.path(), "/accounts/") {
		if time.Now().After(deadline) {
			b.Screenshot("no-account-page")
			t.Fatalf("after linking, the dashboard is at %s", d.path())
		}
		time.Sleep(200 * time.Millisecond)
	}
	accountPath := strings.SplitN(d.path(), "?", 2)[0]
	accountID := accountPath[strings.LastIndex(accountPath, "/")+1:]
	d.waitReload("#data-status", "available")
	d.text("#transactions")
	b.Screenshots("07-account")
	d.fill("#search", "salary")
	d.submit("#search-go")
	d.waitText("#transactions", "SALARY ")
	if s := d.text("#transactions"); strings.Contains(s, "POS PURCHASE") {
		t.Fatalf("search for salary still lists other rows: %q", s)
	}

	// The account is in the list.
	d.submit("#nav-accounts")
	if s := d.text("#accounts"); !strings.Contains(s, "Providus Bank") || !strings.Contains(strings.ToLower(s), "available") {
		t.Fatalf("accounts list: %q", s)
	}
	b.Screenshots("08-accounts")

	// Sync now (the sandbox bank's clock moves, so there is news).
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 3}, e.key()...)
	d.open(accountPath)
	d.submit("#sync-now")
	d.waitText("#flash", "Synced")

	// The API log shows calls made with the app's keys.
	e.must(200, "GET", "/v2/accounts/"+accountID+"/balance", nil, e.key()...)
	d.open("/dashboard/apps/" + appID + "/logs")
	d.waitReload("#requests", "/v2/accounts/"+accountID+"/balance")
	b.Screenshots("09-api-logs")

	// Webhooks: deliveries arrived; open one and redeliver it.
	waitUntil(t, "webhooks delivered", 20*time.Second, func() bool {
		return strings.Contains(strings.Join(hooks.types(accountID), ","), "account_updated")
	})
	d.open("/dashboard/apps/" + appID + "/webhooks")
	d.waitReload("#deliveries", "succeeded")
	if s := d.text("#webhook-guard"); !strings.Contains(s, "may reach loopback and private addresses") {
		t.Fatalf("the webhook page does not say sandbox webhooks may reach private hosts here: %q", s)
	}
	b.Screenshots("10-webhooks")
	d.submit(`#deliveries a`)
	d.waitReload("#attempts", "200")
	b.Screenshots("11-delivery")
	before := len(hooks.types(accountID))
	d.submit("#redeliver")
	d.waitText("#flash", "redelivery")
	waitUntil(t, "redelivery", 20*time.Second, func() bool { return len(hooks.types(accountID)) > before })
	d.open("/dashboard/apps/" + appID + "/webhooks")
	d.submit("#send-test")
	d.waitText("#flash", "Test event sent")

	// A PDF statement, and a re-auth link to send the customer.
	d.open(accountPath)
	d.submit("#statement")
	d.waitReload("#download", "Download PDF")
	var href string
	b.Run("statement link", chromedp.AttributeValue("#download", "href", &href, nil, chromedp.ByQuery))
	pdf := e.must(200, "GET", href, nil)
	if !strings.HasPrefix(string(pdf.body), "%PDF-") {
		t.Fatalf("statement download: %.40q", pdf.body)
	}
	b.Screenshot("12a-statement")
	d.open(accountPath)
	d.submit("#get-reauth")
	if u := d.text("#reauth-url"); !strings.Contains(u, "/connect/?link=") {
		t.Fatalf("re-auth link %q", u)
	}

	// Unlink, with its confirmation box.
	d.open(accountPath)
	d.submit("#unlink")
	d.waitText("#error", "Tick the box")
	d.open(accountPath)
	d.click("#unlink-confirm")
	d.submit("#unlink")
	d.waitText("#flash", "unlinked")
	b.Screenshot("12-accounts-after-unlink")
	e.must(404, "GET", "/accounts/"+accountID, nil, e.key()...)

	// Change password page renders.
	d.open("/dashboard/password")
	b.Screenshot("13-password")

	// A forged form (wrong CSRF token) is refused, in the browser and
	// from a script without the cookie.
	d.open("/dashboard/")
	b.Run("forge", chromedp.Evaluate(`document.querySelector('form[action="/dashboard/apps"] input[name=csrf]').value = "x".repeat(32); true`, nil))
	d.fill("#app-name", "Forged")
	d.submit("#create-app")
	d.waitText("#error", "did not come from kobo")
	b.Screenshot("14-csrf-refused")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(e.url+"/dashboard/login", url.Values{"email": {"ada@acme.ng"}, "password": {"a long passphrase for acme"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without a CSRF token: %d", res.StatusCode)
	}
	res, err = client.Do(func() *http.Request {
		r, _ := http.NewRequest("POST", e.url+"/dashboard/apps", strings.NewReader("name=x&csrf="+strings.Repeat("a", 32)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", "https://evil.example")
		return r
	}())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %d", res.StatusCode)
	}

	// Log out; the dashboard asks to log in again.
	d.open("/dashboard/")
	d.submit("#logout")
	d.waitText("#flash", "logged out")
	d.open("/dashboard/apps/" + appID + "/")
	if !strings.HasPrefix(d.path(), "/dashboard/login") {
		t.Fatalf("after logout: %s", d.path())
	}
}

// TestDashboardSessionExpiry: once the session's lifetime has passed on
// the stack's clock, the next page sends the partner to log in, saying why,
// and back after.
func TestDashboardSessionExpiry(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	e := startE2E(t, e2eOpts{tokenTTL: time.Hour, clock: clk})
	b := browsertest.New(t, 2*time.Minute)
	d := &dash{t: t, b: b, e: e}
	d.open("/dashboard/signup")
	d.fill("#name", "Acme Lending")
	d.fill("#email", "ada@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#signup")
	d.waitText("#flash", "Welcome")
	clk.advance(time.Hour + time.Minute)
	d.open("/dashboard/password")
	d.waitText("#flash", "session has expired")
	b.Screenshot("session-expired")
	d.fill("#email", "ada@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#login")
	deadline := time.Now().Add(10 * time.Second)
	for d.path() != "/dashboard/password" {
		if time.Now().After(deadline) {
			t.Fatalf("after logging in again: %s", d.path())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
