package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

// TestDashboardAccessibility runs axe-core in Chromium on the dashboard's
// pages added for the partner experience (keys with an overlap, go-live
// checklist, team, audit log, providers, account search, webhooks, the
// widget page with and without field errors, usage, 404 and 405, the statement
// verification page) and fails on any serious or critical violation.
func TestDashboardAccessibility(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	b := browsertest.New(t, 4*time.Minute)
	d := &dash{t: t, b: b, e: e}
	check := func(name string) {
		t.Helper()
		for _, v := range b.Axe(name) {
			t.Errorf("%s: %s", name, v)
		}
	}

	d.open("/dashboard/signup")
	check("signup")
	d.fill("#name", "Acme Lending")
	d.fill("#email", "a11y@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#signup")
	d.waitText("#flash", "Welcome")
	check("home")
	d.fill("#app-name", "Acme Loans")
	d.submit("#create-app")
	d.waitPath("/dashboard/apps/")
	e.sk = d.text("#secret-test")
	appPath := strings.TrimSuffix(d.path(), "/")
	check("app overview with a new secret")
	d.selectValue("#rotate-kind", "secret")
	d.selectValue("#rotate-overlap", "24h")
	d.click("#rotate-confirm")
	d.submit("#rotate-keys")
	d.waitText("#flash", "old one keeps working")
	check("app overview with an expiring key")

	id := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	job := e.must(200, "GET", "/accounts/"+id+"/statement?period=last1months&output=pdf", nil, e.key()...).m(t)

	for _, p := range []struct{ name, path string }{
		{"go-live checklist", appPath + "/golive"},
		{"team", "/dashboard/team"},
		{"audit log", "/dashboard/audit"},
		{"sessions", "/dashboard/sessions"},
		{"providers", appPath + "/providers"},
		{"accounts", appPath + "/accounts"},
		{"accounts, no match", appPath + "/accounts?q=nobody-has-this-name&status=PARTIAL"},
		{"account", appPath + "/accounts/" + id},
		{"webhooks", appPath + "/webhooks"},
		{"API logs", appPath + "/logs"},
		{"link funnel", appPath + "/funnel"},
		{"usage", appPath + "/usage"},
		{"sandbox", appPath + "/sandbox"},
		{"widget", appPath + "/widget"},
		{"404", "/dashboard/no-such-page"},
		{"405", appPath + "/settings"},
	} {
		d.open(p.path)
		check(p.name)
	}
	// a phone: the transactions table reflows, date, narration and amount
	// on screen with no sideways scrolling
	b.Run("phone viewport", chromedp.EmulateViewport(390, 844))
	d.open(appPath + "/accounts/" + id)
	var fits struct {
		Scroll, Client, AmountRight, Width, Page float64
		Rows                                     int
	}
	b.Run("measure the table", chromedp.Evaluate(`(function(){ var w = document.querySelector("#transactions").parentElement;
	  var amt = document.querySelector("#transactions tbody tr td.num");
	  return {Scroll: w.scrollWidth, Client: w.clientWidth, AmountRight: amt.getBoundingClientRect().right, Width: window.innerWidth,
	    Rows: document.querySelectorAll("#transactions tbody tr").length, Page: document.documentElement.scrollWidth}; })()`, &fits))
	if fits.Rows == 0 || fits.Scroll > fits.Client || fits.AmountRight > fits.Width {
		t.Errorf("transactions at 390 px: %+v (the table scrolls sideways or the amount is off screen)", fits)
	}
	// the whole page too: the account bar (name, team, audit log, …, log
	// out) once ran past the screen's edge on every page
	if fits.Page > fits.Width {
		t.Errorf("the page at 390 px is %v px wide, wider than the %v px screen", fits.Page, fits.Width)
	}
	check("account at 390 px")
	b.Screenshot("a11y-account-390")
	b.Run("desktop viewport", chromedp.EmulateViewport(1280, 900))

	// a failed save: errors attached to their fields
	d.open(appPath + "/widget")
	d.fill("#w-color", "red")
	d.fill("#w-privacy", "http://acme.ng/privacy")
	d.submit("#widget-form button[type=submit]")
	d.waitText("#error", "not saved")
	if n := d.count("[aria-invalid=true]"); n != 2 {
		t.Errorf("%d fields marked invalid, want 2", n)
	}
	check("widget with field errors")

	var path string
	waitUntil(t, "statement built", 60*time.Second, func() bool {
		j := e.must(200, "GET", "/accounts/"+id+"/statement/jobs/"+job["id"].(string), nil, e.key()...).m(t)
		path, _ = j["path"].(string)
		return j["status"] == "BUILT"
	})
	pdf := e.must(200, "GET", strings.TrimPrefix(path, e.url), nil).body
	m := regexp.MustCompile(`/URI \((https?://[^)]+/verify/statements/[0-9A-Za-z]+\?t=[0-9a-f]{32})\)`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("the statement links no verification page")
	}
	d.open(strings.TrimPrefix(string(m[1]), e.url))
	d.waitText("#verdict", "Issued by kobo")
	check("statement verification")
	d.open("/verify/statements/000000000000000000000000?t=00")
	check("statement verification, unknown")
	b.Screenshot("a11y-verify-unknown")
}
