package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kobo-oss/kobo/internal/browsertest"
)

func axeClean(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	for _, v := range b.Axe(name) {
		t.Errorf("%s: %s", name, v)
	}
}

// TestSessionsAndPasswordResetInChromium: the Sessions page lists the
// browser's session and a Partner API login with where they came from;
// "sign out all other sessions" ends the API token. "Forgot password"
// answers the same for any email, puts a single-use link in the
// development server's log, and the link sets a new password once and
// signs every session out. Each POST redirects (a refresh repeats
// nothing) and no page has a serious axe-core violation.
func TestSessionsAndPasswordResetInChromium(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	e := startE2E(t, e2eOpts{logs: logs})
	b := browsertest.New(t, 3*time.Minute)
	d := &dash{t: t, b: b, e: e}
	d.open("/dashboard/signup")
	d.fill("#name", "Acme Lending")
	d.fill("#email", "sessions@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#signup")
	d.waitText("#flash", "Welcome")
	e.email = "sessions@acme.ng"
	tok := e.must(200, "POST", "/v1/auth/login", map[string]string{"email": e.email, "password": "a long passphrase for acme"}).m(t)["token"].(string)

	d.submit("#nav-sessions")
	d.waitPath("/dashboard/sessions")
	if n := d.count("tr.session"); n != 2 {
		t.Fatalf("sessions listed: %d, want the browser's and the API login", n)
	}
	if s := d.text("#session-current"); !strings.Contains(s, "Dashboard") || !strings.Contains(s, "this session") || !strings.Contains(s, "127.0.0.1") || !strings.Contains(s, "Chrome") {
		t.Errorf("current session row: %q", s)
	}
	if s := d.text("#sessions"); !strings.Contains(s, "Partner API") || !strings.Contains(s, "Go-http-client") {
		t.Errorf("sessions table lacks the API login: %q", s)
	}
	axeClean(t, b, "sessions page")
	b.Screenshot("sessions-01-two")
	// one session signed out on its own
	d.submit("tr.session:not(#session-current) button")
	d.waitText("#flash", "That session is signed out")
	if r := e.do("GET", "/v1/apps", nil, "Authorization", "Bearer "+tok); r.status != 401 {
		t.Errorf("the API token after signing it out: %d %s", r.status, r.body)
	}
	d.reload()
	if d.count("#flash") != 0 || d.count("tr.session") != 1 {
		t.Fatalf("after signing one out and a refresh: flash %d, sessions %d", d.count("#flash"), d.count("tr.session"))
	}
	tok = e.must(200, "POST", "/v1/auth/login", map[string]string{"email": e.email, "password": "a long passphrase for acme"}).m(t)["token"].(string)
	d.reload()
	d.submit("#end-others")
	d.waitText("#flash", "Every other session is signed out")
	if r := e.do("GET", "/v1/apps", nil, "Authorization", "Bearer "+tok); r.status != 401 {
		t.Errorf("the API token after signing out others: %d %s", r.status, r.body)
	}
	d.reload()
	if d.count("#flash") != 0 || d.count("tr.session") != 1 {
		t.Fatalf("after a refresh: flash %d, sessions %d", d.count("#flash"), d.count("tr.session"))
	}

	d.submit("#logout")
	d.waitPath("/dashboard/login")
	d.submit("#forgot")
	d.waitPath("/dashboard/forgot")
	axeClean(t, b, "forgot password page")
	for _, email := range []string{"nobody@acme.ng", "sessions@acme.ng"} {
		d.open("/dashboard/forgot")
		d.fill("#email", email)
		d.submit("#send-reset")
		d.waitText("#flash", "If an account has that email")
	}
	d.reload() // a GET: no second link is made
	m := regexp.MustCompile(`"url":"(http://[^"]+/dashboard/reset/[a-z0-9]+)"`).FindAllStringSubmatch(logs.String(), -1)
	if len(m) != 1 {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "reset") {
				t.Log(l)
			}
		}
		t.Fatalf("reset links in the development log: %d, want 1 (for the account only)", len(m))
	}
	link := m[0][1]
	d.b.Run("open reset link", chromedp.Navigate(link), chromedp.WaitReady("body", chromedp.ByQuery))
	axeClean(t, b, "set a new password page")
	d.fill("#new-password", "short")
	d.submit("#set-password")
	d.waitText(".ferr", "New password")
	d.fill("#new-password", "a fresh passphrase for acme")
	d.submit("#set-password")
	d.waitText("#flash", "Password set")
	d.reload()
	if !strings.HasPrefix(d.path(), "/dashboard/login") {
		t.Fatalf("after the reset, at %s", d.path())
	}
	b.Screenshot("reset-01-done")
	d.b.Run("open reset link again", chromedp.Navigate(link), chromedp.WaitReady("body", chromedp.ByQuery))
	d.waitText("#error", "not valid any more")
	d.open("/dashboard/login")
	d.fill("#email", "sessions@acme.ng")
	d.fill("#password", "a fresh passphrase for acme")
	d.submit("#login")
	d.waitText("#nav-team", "Team") // logged in
	tok = e.must(200, "POST", "/v1/auth/login", map[string]string{"email": e.email, "password": "a fresh passphrase for acme"}).m(t)["token"].(string)
	audit := string(e.must(200, "GET", "/v1/audit", nil, "Authorization", "Bearer "+tok).body)
	for _, a := range []string{"sessions.others_ended", "password.reset_requested", "password.reset\""} {
		if !strings.Contains(audit, a) {
			t.Errorf("audit log lacks %s", a)
		}
	}
}

// TestGoLiveReviewInChromium: under the review policy the go-live page
// asks for business details; submitted, the app is under review and its
// live key is refused; the operator rejects it on the console with a
// reason the partner then sees; corrected and resubmitted, the operator
// approves and the live key works. Refreshes repeat nothing; no page has a
// serious axe-core violation.
func TestGoLiveReviewInChromium(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	b := browsertest.New(t, 3*time.Minute)
	d := &dash{t: t, b: b, e: e}
	admin := e.operator()
	// the operator chooses the policy on the console
	d.b.Run("console", chromedp.Navigate(admin+"/console"), chromedp.WaitReady("body", chromedp.ByQuery))
	d.waitText("#policy-now", "automatically")
	axeClean(t, b, "console, automatic policy")
	d.click("#policy-review")
	d.submit("#policy-save")
	d.waitText("#done", "go-live policy set to review")
	d.waitText("#policy-now", "after your review")
	if r := e.adminDo("GET", "/v1/admin/golive/policy", nil); r.status != 200 || !strings.Contains(string(r.body), `"policy":"review"`) || !strings.Contains(string(r.body), `"source":"operator"`) {
		t.Fatalf("the policy as the JSON API reads it: %d %s", r.status, r.body)
	}
	e.signupApp("https://hooks.acme.ng/kobo")
	id := e.app["id"].(string)
	e.must(200, "PATCH", "/v1/apps/"+id, map[string]any{"display_name": "Acme Loans"}, "Authorization", e.auth)
	if r := e.do("PATCH", "/v1/apps/"+id, map[string]any{"live": true}, "Authorization", e.auth); r.status != 409 || !strings.Contains(string(r.body), "business details") {
		t.Errorf("switching to live over the API under review: %d %s", r.status, r.body)
	}
	d.login()
	page := "/dashboard/apps/" + id + "/golive"
	d.open(page)
	if d.count("#legal-name") != 1 || !strings.Contains(d.text("#go-live"), "Submit for review") {
		var html string
		d.b.Run("html", chromedp.OuterHTML("main", &html, chromedp.ByQuery))
		t.Fatalf("the go-live page asks for no business details under review: %s", html)
	}
	axeClean(t, b, "go-live under review, empty")
	d.fill("#legal-name", "Acme Lending Ltd")
	d.fill("#country", "9")
	d.click("#golive-confirm")
	d.submit("#go-live")
	d.waitText("#error", "fix the fields")
	if d.value("#legal-name") != "Acme Lending Ltd" {
		t.Error("a refused submission lost what was typed")
	}
	d.b.Run("clear country", chromedp.SetValue("#country", "NG", chromedp.ByQuery))
	d.fill("#registration-number", "RC 1234567")
	d.fill("#website", "https://acme.ng")
	d.fill("#contact-email", "compliance@acme.ng")
	d.fill("#use-case", "Affordability checks for personal loans")
	d.b.Run("confirm", chromedp.Evaluate(`document.querySelector('#golive-confirm').checked = true`, nil))
	d.submit("#go-live")
	d.waitText("#flash", "Submitted for review")
	d.waitText("#golive-held", "Go-live under review")
	axeClean(t, b, "app overview under review")
	lk := d.text("#secret-live")
	d.reload()
	if d.count("#flash") != 0 || d.count("#secret-live") != 0 {
		t.Fatal("a refresh repeated the submission's flash or secret")
	}
	d.open(page)
	d.waitText("#golive-status", "Under review")
	axeClean(t, b, "go-live under review, pending")
	b.Screenshot("golive-01-pending")
	if r := e.do("GET", "/v2/accounts", nil, "mono-sec-key", lk); r.status != 403 || !strings.Contains(string(r.body), "waiting for the review") {
		t.Errorf("live key while pending: %d %s", r.status, r.body)
	}

	d.b.Run("console", chromedp.Navigate(admin+"/console"), chromedp.WaitReady("body", chromedp.ByQuery))
	if s := d.text("#golive-" + id); !strings.Contains(s, "Acme Lending Ltd") || !strings.Contains(s, "RC 1234567") || !strings.Contains(s, "Affordability") {
		t.Fatalf("the console's queue row: %q", s)
	}
	axeClean(t, b, "console with a go-live review")
	d.fill("#golive-reason-"+id, "registration number not found")
	d.submit("#golive-reject-" + id)
	d.waitText("#done", "go-live rejected for app "+id)
	d.reload()
	if d.count("#golive-"+id) != 0 {
		t.Fatal("the rejected review is still queued after a refresh")
	}

	d.open(page)
	d.waitText("#golive-rejected", "registration number not found")
	if d.value("#registration-number") != "RC 1234567" {
		t.Error("the resubmission form does not start from the last submission")
	}
	axeClean(t, b, "go-live rejected")
	b.Screenshot("golive-02-rejected")
	if r := e.do("GET", "/v2/accounts", nil, "mono-sec-key", lk); r.status != 403 || !strings.Contains(string(r.body), "registration number not found") {
		t.Errorf("live key after rejection: %d %s", r.status, r.body)
	}
	d.b.Run("fix number", chromedp.SetValue("#registration-number", "RC 7654321", chromedp.ByQuery))
	d.click("#golive-confirm")
	d.submit("#go-live")
	d.waitText("#flash", "Submitted for review again")
	d.waitText("#golive-status", "Under review")

	d.b.Run("console again", chromedp.Navigate(admin+"/console"), chromedp.WaitReady("body", chromedp.ByQuery))
	d.submit("#golive-approve-" + id)
	d.waitText("#done", "go-live approved for app "+id)
	e.must(200, "GET", "/v2/accounts", nil, "mono-sec-key", lk)
	d.open(page)
	d.waitText("#is-live", "is live")
	st := e.must(200, "GET", "/v1/apps/"+id+"/golive", nil, "Authorization", e.auth).m(t)
	if st["status"] != "approved" || st["policy"] != "review" || st["registration_number"] != "RC 7654321" {
		t.Errorf("GET golive = %v", st)
	}
	audit := string(e.must(200, "GET", "/v1/audit?app="+id, nil, "Authorization", e.auth).body)
	for _, a := range []string{"golive.submitted", "golive.rejected", "golive.approved", "registration number not found"} {
		if !strings.Contains(audit, a) {
			t.Errorf("audit log lacks %q", a)
		}
	}
}
