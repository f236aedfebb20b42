package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

// TestDashboardSandboxControls: the Sandbox page has the sandbox API's
// controls — the bank clock, firing a webhook, resetting a login — and a
// form for the app's own test users, whose bad JSON comes back with the
// field named.
func TestDashboardSandboxControls(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	id := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	b := browsertest.New(t, 3*time.Minute)
	d := &dash{t: t, b: b, e: e}
	d.login()
	page := "/dashboard/apps/" + e.app["id"].(string) + "/sandbox"

	// the clock
	d.open(page)
	before := sandboxClock(t, e)
	d.fill("#advance-days", "10")
	d.submit("#advance-clock")
	d.waitText("#flash", "Sandbox clock advanced")
	if after := sandboxClock(t, e); after.Sub(before) < 10*24*time.Hour-time.Minute {
		t.Fatalf("the clock moved %v, want 10 days", after.Sub(before))
	}
	// a webhook for the linked account, and its login reset
	b.Run("choose event", chromedp.SetValue("#fire-event", "mono.events.account_updated", chromedp.ByQuery))
	d.submit("#fire")
	d.waitText("#flash", "Webhook fired")
	d.submit("#reset-login")
	d.waitText("#flash", "next sync of this account will need re-authorisation")
	if r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...); r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("after reset login from the dashboard, a sync: %s", r.body)
	}

	// a custom user: a wrong amount is named, then the example is created
	b.Run("bad spec", chromedp.SetValue("#spec", `{"username":"ada_dash","accounts":[{"transactions":[{"date":"2026-01-02","narration":"x","amount":-1,"type":"credit"}]}]}`, chromedp.ByQuery))
	d.submit("#create-user")
	if s := d.text("#error"); !strings.Contains(s, "accounts[0].transactions[0].amount") {
		t.Fatalf("bad user's error: %q", s)
	}
	d.open(page)
	d.submit("#create-user") // the example the form starts with
	d.waitText("#flash", "Sandbox user created")
	d.waitText("#custom-user-list", "ada_case_1")
	b.Screenshots("sandbox-controls")
	list := e.must(200, "GET", "/v2/sandbox/users", nil, e.key()...).m(t)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["username"] != "ada_case_1" {
		t.Fatalf("the API lists %v", list)
	}
}
