package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/browsertest"
)

// TestDashboardActivityAccessibility runs axe-core in Chromium on the API
// log with an error line's body open, and on a delivery with its headers,
// and fails on any serious or critical violation.
func TestDashboardActivityAccessibility(t *testing.T) {
	t.Parallel()
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	e := startE2E(t, e2eOpts{})
	e.signupApp(recv.URL + "/hooks")
	appPath := "/dashboard/apps/" + e.app["id"].(string)
	e.must(404, "GET", "/v2/accounts/nosuchaccount", nil, e.key("X-Request-Id", "req-a11y-404")...)
	e.must(202, "POST", "/v1/apps/"+e.app["id"].(string)+"/webhooks/test", nil, "Authorization", e.auth)

	b := browsertest.New(t, 4*time.Minute)
	d := &dash{t: t, b: b, e: e}
	check := d.axe
	d.login()

	d.open(appPath + "/logs?request_id=req-a11y-404")
	d.waitReload("#requests", "req-a11y-404")
	d.click("details.errbody summary")
	d.waitText("details.errbody pre", `"status":"failed"`)
	check("API log with an error body")

	d.open(appPath + "/webhooks")
	d.waitReload("#deliveries", "succeeded")
	d.submit("#deliveries a")
	d.waitReload("#attempts", "200")
	if s := d.text("#headers"); !strings.Contains(s, "mono-webhook-secret") || !strings.Contains(s, "webhook-signature") {
		t.Fatalf("delivery headers: %q", s)
	}
	check("delivery with headers")
}
