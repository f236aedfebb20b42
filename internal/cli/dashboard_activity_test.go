package cli

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
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

// TestDashboardDeliveryHeaders: a delivery's page lists the headers the
// receiver really got, with the same values for the non-secret ones and
// neither the webhook secret nor the signature in the page; the payload
// is indented.
func TestDashboardDeliveryHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got http.Header
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
	}))
	t.Cleanup(recv.Close)
	e := startE2E(t, e2eOpts{})
	e.signupApp(recv.URL + "/hooks")
	appID := e.app["id"].(string)
	e.must(202, "POST", "/v1/apps/"+appID+"/webhooks/test", nil, "Authorization", e.auth)
	waitUntil(t, "the test event delivered", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return got != nil })

	d := newDashClient(t, e)
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {e.email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("login: %d %.300s", st, body)
	}
	link := regexp.MustCompile(`href="(/dashboard/apps/` + appID + `/webhooks/[^"/?]+)"`)
	var page, body string
	waitUntil(t, "the delivery listed with its attempt", 20*time.Second, func() bool {
		_, _, list := d.get("/dashboard/apps/"+appID+"/webhooks", "")
		m := link.FindStringSubmatch(list)
		if m == nil {
			return false
		}
		page = m[1]
		_, _, body = d.get(page, "")
		return strings.Contains(body, `id="attempts"`)
	})
	text := html.UnescapeString(body)
	mu.Lock()
	h := got
	mu.Unlock()
	for _, name := range []string{"Content-Type", "User-Agent", "webhook-id", "webhook-timestamp"} {
		v := h.Get(name)
		if v == "" || !strings.Contains(text, "<code>"+name+"</code></td><td><code>"+v+"</code>") {
			t.Errorf("header %s: the receiver got %q; the page does not show it:\n%s", name, v, body)
		}
	}
	for _, name := range []string{"webhook-signature", "mono-webhook-secret"} {
		v := h.Get(name)
		if v == "" {
			t.Fatalf("the receiver got no %s", name)
		}
		if !strings.Contains(text, "<code>"+name+"</code>") {
			t.Errorf("the page does not name %s", name)
		}
		if strings.Contains(text, v) || strings.Contains(body, v) {
			t.Errorf("the page shows the %s value", name)
		}
	}
	if strings.Contains(text, strings.TrimPrefix(h.Get("webhook-signature"), "v1,")) {
		t.Error("the page shows the signature")
	}
	if !regexp.MustCompile(`id="payload">\{\n  "`).MatchString(text) {
		t.Errorf("the payload is not indented:\n%s", body)
	}
}
