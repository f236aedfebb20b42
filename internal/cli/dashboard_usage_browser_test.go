package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

// TestDashboardUsage opens the usage page in Chromium after API calls and
// a delivered webhook: a chart a metric with today's counts in the table,
// labels still readable on a 390 px phone with nothing scrolling sideways,
// and no serious or critical axe-core violation.
func TestDashboardUsage(t *testing.T) {
	t.Parallel()
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	e := startE2E(t, e2eOpts{}) // private webhook targets allowed: the receiver is on loopback
	e.signupApp(recv.URL + "/hooks")
	appID := e.app["id"].(string)
	appPath := "/dashboard/apps/" + appID
	e.must(200, "GET", "/v2/accounts", nil, e.key()...)
	e.must(404, "GET", "/v2/accounts/nosuchaccount", nil, e.key()...)
	e.must(202, "POST", "/v1/apps/"+appID+"/webhooks/test", nil, "Authorization", e.auth)
	waitUntil(t, "the test webhook counted", 20*time.Second, func() bool {
		if err := e.stk.svc.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
		data := e.must(200, "GET", "/v1/apps/"+appID+"/usage?days=1", nil, "Authorization", e.auth).m(t)["data"].([]any)
		return data[0].(map[string]any)["webhooks"] == float64(1)
	})

	b := browsertest.New(t, 4*time.Minute)
	d := &dash{t: t, b: b, e: e}
	check := d.axe
	d.login()

	d.open(appPath + "/")
	d.click("#nav-usage")
	d.waitText("h1", "Usage")
	if n := d.count("#usage-charts svg.chart"); n != 5 {
		t.Errorf("%d charts, want one a metric (5)", n)
	}
	if n := d.count("#usage-days tbody tr"); n != 30 {
		t.Errorf("%d table rows, want 30 days", n)
	}
	today := time.Now().UTC().Format("Mon 2 Jan")
	var first []string
	b.Run("read today's row", chromedp.Evaluate(`Array.from(document.querySelectorAll("#usage-days tbody tr:first-child td")).map(function(td){ return td.textContent })`, &first))
	if len(first) != 6 || first[0] != today || first[1] != "2" || first[2] != "1" || first[5] != "1" {
		t.Errorf("today's row = %q, want %s with 2 calls, 1 error, 1 webhook", first, today)
	}
	if s := d.text("#usage-calls h2"); s != "API calls · 2" {
		t.Errorf("calls heading %q", s)
	}
	check("usage")
	d.click("#range-7")
	d.waitText("#usage-range", "over the last 7 days") // the new page, not the one the click left
	if n := d.count("#usage-days tbody tr"); n != 7 {
		t.Errorf("last 7 days: %d rows", n)
	}

	b.Run("phone viewport", chromedp.EmulateViewport(390, 844))
	d.open(appPath + "/usage")
	var fit struct {
		TableScroll, TableClient, ChartsRight, Width, MinFont float64
		Labels                                                int
	}
	b.Run("measure", chromedp.Evaluate(`(function(){ var min = 1e9, n = 0;
	  document.querySelectorAll("#usage-charts svg text").forEach(function(t){ var h = t.getBoundingClientRect().height; n++; if (h < min) min = h; });
	  var w = document.querySelector("#usage-days").parentElement;
	  return {TableScroll: w.scrollWidth, TableClient: w.clientWidth, ChartsRight: document.querySelector("#usage-charts").getBoundingClientRect().right,
	    Width: window.innerWidth, MinFont: min, Labels: n}; })()`, &fit))
	// a label drawn at least 10 px tall reads on a phone; the balance
	// chart's wide viewBox would draw them at about 6
	if fit.Labels < 20 || fit.MinFont < 10 || fit.TableScroll > fit.TableClient || fit.ChartsRight > fit.Width {
		t.Errorf("usage at 390 px: %+v (labels too small, or the charts or the table run off the screen)", fit)
	}
	check("usage at 390 px")
	b.Screenshot("usage-390")
}
