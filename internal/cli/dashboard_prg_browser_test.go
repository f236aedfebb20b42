package cli

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

func (d *dash) count(sel string) int {
	d.t.Helper()
	var n int
	d.b.Run("count "+sel, chromedp.Evaluate(`document.querySelectorAll(`+jsQuote(sel)+`).length`, &n))
	return n
}

func (d *dash) value(sel string) string {
	d.t.Helper()
	var s string
	d.b.Run("value "+sel, chromedp.Evaluate(`document.querySelector(`+jsQuote(sel)+`).value`, &s))
	return s
}

func (d *dash) reload() {
	d.t.Helper()
	d.b.Run("reload", chromedp.Reload(), chromedp.WaitReady("body", chromedp.ByQuery))
}

func (d *dash) selectValue(sel, v string) {
	d.t.Helper()
	d.b.Run("select "+sel, chromedp.SetValue(sel, v, chromedp.ByQuery))
}

func jsQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// waitPath waits for the browser to land on a path starting with prefix.
func (d *dash) waitPath(prefix string) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.HasPrefix(d.path(), prefix) {
		if time.Now().After(deadline) {
			d.t.Fatalf("never reached %s (at %s)", prefix, d.path())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDashboardPostRedirectGet: every form answers with a redirect, so a
// refresh repeats nothing; secrets shown once survive the redirect and
// are gone on the refresh; a secret-key rotation with an overlap leaves
// the old secret and the public key working and says when it expires; a
// failed save keeps what was typed; form addresses, unknown paths and /
// get pages.
func TestDashboardPostRedirectGet(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	b := browsertest.New(t, 3*time.Minute)
	d := &dash{t: t, b: b, e: e}

	d.open("/")
	d.waitPath("/dashboard/login")
	d.open("/dashboard/signup")
	d.fill("#name", "Acme Lending")
	d.fill("#email", "prg@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#signup")
	d.waitText("#flash", "Welcome")
	d.reload()
	if d.count("#flash") != 0 {
		t.Fatal("the welcome message came back on a refresh")
	}

	// Create app: redirected to the app; the secret is shown once.
	d.fill("#app-name", "Acme Loans")
	d.submit("#create-app")
	d.waitPath("/dashboard/apps/")
	oldSK := d.text("#secret-test")
	pk := d.text("#pk-test")
	if !secretKey.MatchString(oldSK) || !strings.HasPrefix(pk, "test_pk_") {
		t.Fatalf("new app: secret %q public %q", oldSK, pk)
	}
	appPath := d.path()
	d.reload()
	if d.count("#secret-test") != 0 || d.count("#flash") != 0 {
		t.Fatal("a refresh after Create app showed the secret again")
	}
	d.open("/dashboard/")
	if n := d.count(".applink"); n != 1 {
		t.Fatalf("apps after a refresh of Create app: %d, want 1", n)
	}
	b.Screenshot("prg-01-one-app")

	// Rotate the secret key with a one-hour overlap.
	d.open(appPath)
	keysBefore := d.count("#keys tbody tr")
	d.selectValue("#rotate-kind", "secret")
	d.selectValue("#rotate-overlap", "1h")
	if s := d.text("#rotate-breaks"); !strings.Contains(s, "What breaks") || !strings.Contains(s, "widget") {
		t.Fatalf("the rotation form does not say what breaks: %q", s)
	}
	d.submit("#rotate-keys")
	d.waitText("#error", "tick the box")
	d.click("#rotate-confirm")
	d.submit("#rotate-keys")
	d.waitText("#flash", "old one keeps working")
	newSK := d.text("#secret-test")
	if newSK == oldSK || !secretKey.MatchString(newSK) {
		t.Fatalf("rotated secret %q (was %q)", newSK, oldSK)
	}
	if got := d.text("#pk-test"); got != pk {
		t.Fatalf("a secret-key rotation changed the public key: %q, was %q", got, pk)
	}
	if s := d.text(".expires"); !strings.HasPrefix(s, "expires in") || !strings.Contains(s, "minute") {
		t.Fatalf("expiring key says %q", s)
	}
	b.Screenshot("prg-02-rotated-with-overlap")
	for _, sk := range []string{oldSK, newSK} {
		e.must(200, "GET", "/v3/institutions", nil, "mono-sec-key", sk)
	}
	keysAfter := d.count("#keys tbody tr")
	if keysAfter != keysBefore+1 {
		t.Fatalf("keys listed: %d before, %d after, want one more (the expiring one)", keysBefore, keysAfter)
	}
	d.reload()
	if d.count("#secret-test") != 0 || d.count("#keys tbody tr") != keysAfter {
		t.Fatalf("a refresh after Rotate showed the secret again or rotated again (%d keys)", d.count("#keys tbody tr"))
	}
	e.must(200, "GET", "/v3/institutions", nil, "mono-sec-key", newSK)

	// Settings: a failed save keeps what was typed, a good one redirects.
	d.fill("#webhook-url", "ftp://hooks.acme.ng/x")
	d.fill("#display-name", "Acme Loans Ltd")
	d.submit("#save-settings")
	d.waitText("#error", "not saved")
	if v := d.value("#webhook-url"); v != "ftp://hooks.acme.ng/x" {
		t.Fatalf("after a failed save the webhook field shows %q", v)
	}
	if v := d.value("#display-name"); v != "Acme Loans Ltd" {
		t.Fatalf("after a failed save the name field shows %q", v)
	}
	if s := d.text("#error"); strings.Contains(s, "_") {
		t.Fatalf("the error above the form speaks API: %q", s)
	}
	d.fill("#webhook-url", "https://hooks.acme.ng/kobo")
	d.fill("#live-webhook-url", "http://live.acme.ng/kobo")
	d.submit("#save-settings")
	d.waitText("#error", "not saved")
	if s := d.text(".ferr"); !strings.Contains(s, "Live webhook URL") || !strings.Contains(s, "https") {
		t.Fatalf("a plain-http live webhook URL: %q", s)
	}
	d.fill("#live-webhook-url", "https://live.acme.ng/kobo")
	d.submit("#save-settings")
	d.waitText("#flash", "Settings saved")
	d.reload()
	if d.count("#flash") != 0 {
		t.Fatal("Settings saved came back on a refresh")
	}

	// Go live is a checklist.
	d.open(appPath + "golive")
	if s := d.text("#check-business-name"); !strings.Contains(s, "Business name") {
		t.Fatalf("checklist: %q", s)
	}
	if d.count("#check-business-name.done") != 1 || d.count("#check-https-webhook.done") != 1 || d.count("#check-logo.todo") != 1 || d.count("#check-live-webhook.done") != 1 {
		t.Fatal("the checklist does not reflect the settings")
	}
	// the statement and the checklist agree on whether a real bank is wired
	// (this stack wires SimpleFIN)
	s := d.text("#what-live-means")
	real := d.count("#check-providers.done") == 1
	if real == strings.Contains(s, "No real bank is connected") || real != strings.Contains(s, "Customers link real bank accounts through:") {
		t.Fatalf("what live means (real providers checked: %v): %q", real, s)
	}
	d.click("#golive-confirm")
	d.submit("#go-live")
	d.waitText("#flash", "Your app is live")
	if !strings.Contains(d.text("#secrets-h"), "Copy") || d.count("#secret-live") != 1 {
		t.Fatal("going live did not show the live secret")
	}
	if s := d.text("#mode-badge"); s != "live" {
		t.Fatalf("mode badge after going live: %q", s)
	}
	b.Screenshot("prg-03-live")
	d.reload()
	if d.count("#secret-live") != 0 {
		t.Fatal("a refresh after going live showed the live secret again")
	}

	// Addresses that only take a form, unknown paths, the favicon.
	d.open(strings.TrimSuffix(appPath, "/") + "/keys/rotate")
	if s := d.text("#error"); !strings.Contains(s, "form sends its answer") {
		t.Fatalf("GET on the rotate address: %q", s)
	}
	if d.count("#back") != 1 {
		t.Fatal("no way back from a form address")
	}
	d.open("/dashboard/no/such/page")
	if s := d.text("h1"); s != "Page not found" {
		t.Fatalf("unknown path: %q", s)
	}
	for path, want := range map[string]int{appPath + "keys/rotate": 405, "/dashboard/apps": 405, "/dashboard/nope": 404, "/favicon.ico": 200} {
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		ct := res.Header.Get("Content-Type")
		res.Body.Close()
		if res.StatusCode != want || (path != "/favicon.ico" && !strings.HasPrefix(ct, "text/html")) {
			t.Errorf("GET %s: %d %s, want %d and a page", path, res.StatusCode, ct, want)
		}
	}
}

// TestDashboardTeams: an owner invites a developer by email; the link
// (shown once, and in the development server's log) lets the developer
// sign up and join; the developer sees the app with a developer's powers
// and not the audit log; the owner's audit log shows it all.
func TestDashboardTeams(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	e := startE2E(t, e2eOpts{logs: logs})
	b := browsertest.New(t, 3*time.Minute)
	d := &dash{t: t, b: b, e: e}

	d.open("/dashboard/signup")
	d.fill("#name", "Acme Lending")
	d.fill("#email", "owner@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#signup")
	d.waitText("#flash", "Welcome")
	d.fill("#app-name", "Acme Loans")
	d.submit("#create-app")
	d.waitPath("/dashboard/apps/")
	appPath := d.path()

	d.open("/dashboard/team")
	if s := d.text("#permissions"); !strings.Contains(s, "developer") || !strings.Contains(s, "go_live") {
		t.Fatalf("permission table: %q", s)
	}
	d.fill("#invite-email", "dev@acme.ng")
	d.selectValue("#invite-role-select", "developer")
	d.submit("#send-invite")
	d.waitText("#flash", "Invitation created for dev@acme.ng")
	link := d.text("#invite-url")
	if !strings.HasPrefix(link, e.url+"/dashboard/invite/") {
		t.Fatalf("invite link %q", link)
	}
	if !strings.Contains(logs.String(), link) {
		t.Fatal("the development server's log does not carry the invitation link")
	}
	d.reload()
	if d.count("#invite-url") != 0 {
		t.Fatal("a refresh showed the invitation link again")
	}
	if s := d.text("#invites"); !strings.Contains(s, "dev@acme.ng as developer") {
		t.Fatalf("pending invitations: %q", s)
	}
	b.Screenshot("teams-01-invited")
	d.submit("#logout")
	d.waitText("#flash", "logged out")

	// The invitee signs up from the link and accepts.
	d.open(strings.TrimPrefix(link, e.url))
	if s := d.text("#invite"); !strings.Contains(s, "Acme Lending") || !strings.Contains(s, "developer") {
		t.Fatalf("invitation page: %q", s)
	}
	d.submit("#invite-signup")
	d.fill("#name", "Dev Person")
	d.fill("#email", "dev@acme.ng")
	d.fill("#password", "another long passphrase")
	d.submit("#signup")
	d.waitPath("/dashboard/invite/")
	d.submit("#accept-invite")
	d.waitText("#flash", "You joined the team as developer")
	b.Screenshot("teams-02-joined")
	d.reload()
	if d.count("#flash") != 0 {
		t.Fatal("a refresh after accepting showed the message again")
	}
	d.open(appPath)
	if s := d.text("#your-role"); !strings.Contains(s, "developer") {
		t.Fatalf("role on the app page: %q", s)
	}
	if d.count("#rotate-keys") != 1 {
		t.Fatal("a developer cannot rotate keys")
	}
	d.open(appPath + "golive")
	if d.count("#go-live") != 0 {
		t.Fatal("a developer is offered Go live")
	}
	// the developer's own organisation is theirs; the team's audit log is not
	var org string
	d.open("/dashboard/team")
	b.Run("team org", chromedp.Evaluate(`[...document.querySelectorAll('#team-org option')].find(o => o.text.startsWith('Acme Lending')).value`, &org))
	d.open("/dashboard/audit?org=" + org)
	if s := d.text("#error"); !strings.Contains(s, "does not allow") {
		t.Fatalf("a developer opening the audit log: %q", s)
	}
	d.submit("#logout")
	d.waitText("#flash", "logged out")

	d.open("/dashboard/login")
	d.fill("#email", "owner@acme.ng")
	d.fill("#password", "a long passphrase for acme")
	d.submit("#login")
	d.waitText("h1", "Your apps")
	d.open("/dashboard/team")
	if s := d.text("#members"); !strings.Contains(s, "dev@acme.ng") || !strings.Contains(s, "developer") {
		t.Fatalf("members: %q", s)
	}
	d.open("/dashboard/audit")
	s := d.text("#audit")
	for _, want := range []string{"member.joined", "member.invited", "app.created", "dev@acme.ng", "owner@acme.ng", "dashboard"} {
		if !strings.Contains(s, want) {
			t.Errorf("audit log lacks %q: %s", want, s)
		}
	}
	b.Screenshot("teams-03-audit")
}
