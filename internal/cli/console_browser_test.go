package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kobo-oss/kobo/internal/browsertest"
)

// TestOperatorConsoleInChromium: the operator approves a pending add-on
// and suspends and reinstates an app on the admin listener's console;
// each POST redirects back (a refresh repeats nothing) and the page has
// no serious axe-core violation.
func TestOperatorConsoleInChromium(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	id := e.app["id"].(string)
	e.must(202, "POST", "/v1/apps/"+id+"/addons/headless_connect", map[string]string{"reason": "our own onboarding screens"}, "Authorization", e.auth)
	b := browsertest.New(t, 3*time.Minute)
	d := &dash{t: t, b: b, e: e}
	admin := e.operator()
	open := func() {
		t.Helper()
		b.Run("open console", chromedp.Navigate(admin+"/console"), chromedp.WaitReady("body", chromedp.ByQuery))
	}
	text := func(sel string) string {
		t.Helper()
		var s string
		b.Run("read "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Text(sel, &s, chromedp.ByQuery))
		return s
	}
	count := func(sel string) int {
		t.Helper()
		var n int
		b.Run("count "+sel, chromedp.Evaluate(`document.querySelectorAll(`+jsQuote(sel)+`).length`, &n))
		return n
	}
	axe := func(name string) {
		t.Helper()
		for _, v := range b.Axe(name) {
			t.Errorf("%s: %s", name, v)
		}
	}

	open()
	axe("console with a pending request")
	approve := "#approve-" + id + "-headless_connect"
	if count(approve) != 1 || !strings.Contains(text("#pending"), "(1)") {
		t.Fatal("the pending request is not on the console")
	}
	b.Run("note", chromedp.SendKeys("#note-"+id+"-headless_connect", "welcome", chromedp.ByQuery))
	d.submit(approve)
	d.waitText("#done", "headless_connect approved for app "+id) // the redirect's page, not the one clicked on
	b.Run("reload", chromedp.Reload(), chromedp.WaitReady("body", chromedp.ByQuery))
	if count(approve) != 0 || !strings.Contains(text("#pending"), "(0)") {
		t.Fatal("the approved request is still pending after a refresh")
	}
	b.Screenshot("console-01-approved")

	b.Run("reason", chromedp.SendKeys("#reason-app-"+id, "chargebacks", chromedp.ByQuery))
	d.submit("#suspend-app-" + id)
	d.waitText("#done", "app "+id+" suspended")
	if count("#held-app-"+id) != 1 {
		t.Fatal("the suspended app is not marked on the console")
	}
	if r := e.do("GET", "/v2/accounts", nil, e.key()...); r.status != 403 {
		t.Errorf("suspended from the console, the app's key: %d %s", r.status, r.body)
	}
	axe("console with a suspended app")
	b.Screenshot("console-02-suspended")
	d.submit("#reinstate-app-" + id)
	d.waitText("#done", "app "+id+" reinstated")
	if count("#held-app-"+id) != 0 {
		t.Fatal("the reinstated app is still marked suspended")
	}
	e.must(200, "GET", "/v2/accounts", nil, e.key()...)
}

// TestAddonsPageInChromium: a partner requests headless Connect on the
// dashboard's Add-ons page; the flash shows once, the page says it waits
// for the operator, and neither state has a serious axe-core violation.
func TestAddonsPageInChromium(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	b := browsertest.New(t, 3*time.Minute)
	d := &dash{t: t, b: b, e: e}
	d.open("/dashboard/signup")
	d.fill("#name", "Acme Lending")
	d.fill("#email", "addons@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#signup")
	d.waitText("#flash", "Welcome")
	d.fill("#app-name", "Acme Loans")
	d.submit("#create-app")
	d.waitPath("/dashboard/apps/")
	d.submit("#nav-addons")
	d.waitText("#addon-headless_connect-status", "not requested")
	for _, v := range b.Axe("add-ons page") {
		t.Errorf("add-ons page: %s", v)
	}
	d.fill("#reason-headless_connect", "our own onboarding screens")
	d.submit("#request-headless_connect")
	d.waitText("#flash", "Requested")
	d.waitText("#addon-headless_connect-status", "waiting for the operator")
	if d.count("#request-headless_connect") != 0 {
		t.Error("the request button is still offered while the request waits")
	}
	for _, v := range b.Axe("add-ons page, requested") {
		t.Errorf("add-ons page, requested: %s", v)
	}
	b.Screenshot("addons-01-requested")
	d.reload()
	if d.count("#flash") != 0 {
		t.Error("the flash came back on a refresh")
	}
	if q := e.adminDo("GET", "/v1/admin/addons/requests", nil); !strings.Contains(string(q.body), "our own onboarding screens") {
		t.Errorf("operator queue: %s", q.body)
	}
}
