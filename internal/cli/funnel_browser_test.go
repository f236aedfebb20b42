package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/browsertest"
)

// TestDashboardLinkFunnel: in Chromium, the funnel page of a new app says
// there is nothing yet; after sessions that link and one that fails on
// wrong passwords it shows the bank's row and the totals, the period and
// mode filters keep what was chosen, and axe finds no serious violation
// on either state.
func TestDashboardLinkFunnel(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	appPath := "/dashboard/apps/" + e.app["id"].(string)
	b := browsertest.New(t, 4*time.Minute)
	d := &dash{t: t, b: b, e: e}
	check := d.axe
	d.login()

	d.open(appPath + "/")
	d.click("#nav-funnel")
	d.waitText("#funnel-empty", "No connect sessions")
	check("link funnel, empty")

	gt := e.institution("GTBank")
	linkUser(t, e, gt, "user_good", nil)
	linkUser(t, e, gt, "user_good", nil)
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	for range 3 {
		e.must(400, "POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "wrong"}, e.key("x-session-id", s)...)
	}

	d.selectValue("#funnel-days", "7")
	d.click("#filter-funnel")
	d.waitText("#funnel tbody", "GTBank")
	cells := func(sel string) string {
		t.Helper()
		return strings.Join(strings.Fields(d.text(sel)), " ")
	}
	if got, want := cells("#funnel tbody tr"), "GTBank 3 3 3 2 0 1 66.7%"; got != want {
		t.Errorf("GTBank row: %q, want %q", got, want)
	}
	if got, want := cells("#funnel-total"), "Total 3 3 3 2 0 1 66.7%"; got != want {
		t.Errorf("total row: %q, want %q", got, want)
	}
	if v := d.value("#funnel-days"); v != "7" {
		t.Errorf("the period select shows %q after filtering, want 7", v)
	}
	if n := d.count("#nav-funnel[aria-current=page]"); n != 1 {
		t.Errorf("the nav does not mark the funnel as the current page")
	}
	check("link funnel by institution")

	// re-authorisations only: none yet
	d.selectValue("#funnel-scope", "reauth")
	d.click("#filter-funnel")
	d.waitText("#funnel-empty", "No connect sessions")
	if v := d.value("#funnel-scope"); v != "reauth" {
		t.Errorf("the sessions select shows %q after filtering, want reauth", v)
	}
}
