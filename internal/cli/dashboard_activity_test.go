package cli

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDashboardAPILogRequestIDsAndErrors: the API log shows each call's
// X-Request-Id, finds a call by it, and for an error shows the error
// body kobo answered with; a success carries none.
func TestDashboardAPILogRequestIDsAndErrors(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	appID := e.app["id"].(string)
	miss := e.must(404, "GET", "/v2/accounts/nosuchaccount", nil, e.key("X-Request-Id", "req-activity-404")...)
	if got := miss.header.Get("X-Request-Id"); got != "req-activity-404" {
		t.Fatalf("X-Request-Id echoed %q", got)
	}
	e.must(200, "GET", "/v2/accounts", nil, e.key("X-Request-Id", "req-activity-200")...)

	d := newDashClient(t, e)
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {e.email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("login: %d %.300s", st, body)
	}
	page := "/dashboard/apps/" + appID + "/logs"
	var body string
	waitUntil(t, "both calls in the log", 20*time.Second, func() bool {
		_, _, body = d.get(page, "")
		return strings.Contains(body, "req-activity-404") && strings.Contains(body, "req-activity-200")
	})
	text := html.UnescapeString(body)
	if !strings.Contains(text, `"message":`) || !strings.Contains(text, `Error body`) {
		t.Fatalf("the 404 line shows no error body:\n%s", body)
	}
	if strings.Contains(text, e.sk) {
		t.Fatal("the log page shows the secret key")
	}

	_, _, body = d.get(page+"?request_id=req-activity-404", "")
	text = html.UnescapeString(body)
	if !strings.Contains(text, "req-activity-404") || strings.Contains(text, "req-activity-200") || !strings.Contains(text, "/v2/accounts/nosuchaccount") {
		t.Fatalf("filter by request id req-activity-404:\n%s", body)
	}
	if !strings.Contains(text, `"status":"failed"`) {
		t.Fatalf("the error body is not the v2 error kobo sent:\n%s", body)
	}
	_, _, body = d.get(page+"?request_id=req-activity-200", "")
	if !strings.Contains(body, "req-activity-200") || strings.Contains(body, "Error body") {
		t.Fatalf("a success line with an error body, or not found by its id:\n%s", body)
	}
}
