package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestUsageThroughTheAPI: real actions through the real HTTP API (API
// calls, two of them errors, a link through sandbox Connect, a manual
// sync, webhooks to a loopback receiver) show in GET /v1/apps/{id}/usage
// as today's counts, every other day of the range at zero.
func TestUsageThroughTheAPI(t *testing.T) {
	t.Parallel()
	hooks := newHookReceiver(t)
	e := startE2E(t, e2eOpts{}) // private webhook targets allowed: the receiver is on loopback
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	appID := e.app["id"].(string)
	usage := func(query string) map[string]any {
		t.Helper()
		return e.must(200, "GET", "/v1/apps/"+appID+"/usage"+query, nil, "Authorization", e.auth).m(t)
	}
	today := func(m map[string]any) map[string]any {
		data := m["data"].([]any)
		return data[len(data)-1].(map[string]any)
	}
	// nothing yet: 30 days of zeros (the Partner API calls above are not the app's)
	u := usage("")
	if len(u["data"].([]any)) != 30 || u["days"] != float64(30) || u["mode"] != "test" {
		t.Fatalf("empty usage: %s", string(mustJSON(u)))
	}
	if tot := u["totals"].(map[string]any); tot["calls"] != float64(0) || tot["webhooks"] != float64(0) {
		t.Fatalf("empty usage totals: %v", tot)
	}

	// calls with the app's key, counted here as the test makes them (no
	// polling with the key below, so the count is exact)
	calls, errs := 0, 0
	call := func(status int, method, path string, body any, h ...string) res {
		t.Helper()
		calls++
		if status >= 400 {
			errs++
		}
		return e.must(status, method, path, body, append(e.key(), h...)...)
	}
	gt := e.institution("GTBank")
	sid := call(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}).m(t)["id"].(string)
	r := call(200, "POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "123456"}, "x-session-id", sid)
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	id := call(200, "POST", "/account/auth", map[string]string{"code": code}).m(t)["id"].(string)
	waitUntil(t, "connected and updated", 20*time.Second, func() bool {
		return strings.Join(hooks.types(id), ",") == "account_connected,account_updated"
	})
	call(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 3})
	if r := call(200, "POST", "/accounts/"+id+"/sync", nil); r.m(t)["code"] != "SYNC_SUCCESSFUL" {
		t.Fatalf("sync: %s", r.body)
	}
	call(429, "POST", "/accounts/"+id+"/sync", nil) // Mono's manual sync limit: an error
	call(404, "GET", "/accounts/000000000000000000000000", nil)
	waitUntil(t, "the sync's account_updated", 20*time.Second, func() bool {
		return strings.Join(hooks.types(id), ",") == "account_connected,account_updated,account_updated"
	})

	// each replica flushes every few seconds; make this one's counts visible now
	var got map[string]any
	waitUntil(t, "usage to show every action", 20*time.Second, func() bool {
		if err := e.stk.svc.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
		got = today(usage("?days=7"))
		hooks.mu.Lock()
		delivered := len(hooks.events)
		hooks.mu.Unlock()
		return got["calls"] == float64(calls) && got["webhooks"] == float64(delivered) && got["syncs"] == float64(1)
	})
	if got["errors"] != float64(errs) || got["links"] != float64(1) || got["syncs"] != float64(1) || got["webhooks"].(float64) < 3 {
		t.Fatalf("today = %v, want %d calls, %d errors, 1 link, 1 sync, ≥3 webhooks", got, calls, errs)
	}
	if got["date"] != time.Now().UTC().Format("2006-01-02") {
		t.Errorf("the last day is %v, want today UTC", got["date"])
	}
	week := usage("?days=7")
	data := week["data"].([]any)
	if len(data) != 7 || week["to"] != got["date"] || week["from"] != data[0].(map[string]any)["date"] {
		t.Fatalf("7 days: %s", string(mustJSON(week)))
	}
	for _, d := range data[:6] {
		if m := d.(map[string]any); m["calls"] != float64(0) || m["links"] != float64(0) {
			t.Errorf("an earlier day has usage: %v", m)
		}
	}
	if tot := week["totals"].(map[string]any); tot["calls"] != got["calls"] || tot["webhooks"] != got["webhooks"] {
		t.Errorf("totals %v differ from the one day with usage %v", tot, got)
	}
	if live := today(usage("?days=1&mode=live")); live["calls"] != float64(0) {
		t.Errorf("live mode shows the sandbox calls: %v", live)
	}

	// the range is bounded, and said so
	for _, q := range []string{"?days=91", "?days=0", "?days=ten"} {
		r := e.must(400, "GET", "/v1/apps/"+appID+"/usage"+q, nil, "Authorization", e.auth)
		if !strings.Contains(string(r.body), "90") {
			t.Errorf("%s: %s does not say the limit", q, r.body)
		}
	}
	// another partner cannot read it
	other := startE2EPartner(t, e)
	e.must(404, "GET", "/v1/apps/"+appID+"/usage", nil, "Authorization", other)

	// the operator console lists the app with its last 30 days
	r = e.adminDo("GET", "/v1/admin/partners", nil)
	var listed map[string]any
	for _, p := range r.m(t)["data"].([]any) {
		for _, a := range p.(map[string]any)["apps"].([]any) {
			if a.(map[string]any)["id"] == appID {
				listed = a.(map[string]any)["usage_30d"].(map[string]any)
			}
		}
	}
	for _, k := range []string{"calls", "errors", "links", "syncs", "webhooks"} {
		if listed == nil || listed[k] != got[k] {
			t.Errorf("console usage_30d %s = %v, want %v (all: %v)", k, listed[k], got[k], listed)
		}
	}
	page := e.adminDo("GET", "/console", nil)
	_, cell, _ := strings.Cut(string(page.body), `id="usage-`+appID+`"`)
	cell, _, _ = strings.Cut(cell, "</td>")
	want := fmt.Sprintf("%d calls (%d errors)", calls, errs)
	if !strings.Contains(cell, want) || !strings.Contains(cell, fmt.Sprintf("1 links · 1 syncs · %v webhooks", got["webhooks"])) {
		t.Errorf("console cell %q, want %q", cell, want)
	}
}

// startE2EPartner signs up another partner on e and returns its bearer.
func startE2EPartner(t *testing.T, e *e2e) string {
	t.Helper()
	email := "other-" + strings.ToLower(e.email)
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Other", "email": email, "password": "a long passphrase"})
	tok := e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	return "Bearer " + tok
}
