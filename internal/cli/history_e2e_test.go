package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestHistoryMonths: an app's history_months is how far back the first
// fetch reads; the default is Mono's 12 months.
func TestHistoryMonths(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	gt := e.institution("GTBank")
	if got := e.app["history_months"]; got != float64(12) {
		t.Fatalf("a new app's history_months = %v, want 12", got)
	}
	oldest := func(id string) time.Time {
		t.Helper()
		waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
		var page struct {
			Data []struct{ Date time.Time }
		}
		if err := json.Unmarshal(e.must(200, "GET", "/v2/accounts/"+id+"/transactions?paginate=false", nil, e.key()...).body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Data) == 0 {
			t.Fatal("no transactions")
		}
		o := page.Data[0].Date
		for _, r := range page.Data {
			if r.Date.Before(o) {
				o = r.Date
			}
		}
		return o
	}
	year := oldest(linkUser(t, e, gt, "user_good", nil))
	if time.Since(year) < 300*24*time.Hour {
		t.Fatalf("the default first fetch reached back only to %v", year)
	}
	got := e.must(200, "PATCH", "/v1/apps?id="+e.app["id"].(string), map[string]any{"history_months": 2}, "Authorization", e.auth).m(t)
	if got["history_months"] != float64(2) {
		t.Fatalf("PATCH history_months: %v", got)
	}
	two := oldest(linkUser(t, e, gt, "user_good", nil))
	if time.Since(two) > 61*24*time.Hour {
		t.Errorf("with history_months 2 the first fetch read back to %v (%v ago)", two, time.Since(two).Round(time.Hour))
	}
}

// TestReauthSessionBody holds the README's description of the headless
// re-auth session body: account is required (400 naming it), an account
// the key does not own is a 404.
func TestReauthSessionBody(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	r := e.must(400, "POST", "/v2/connect/reauth/session", map[string]any{"meta": map[string]string{"ref": "x"}}, e.key()...)
	if !strings.Contains(string(r.body), "account is required") {
		t.Errorf("no account: %s", r.body)
	}
	e.must(404, "POST", "/v2/connect/reauth/session", map[string]any{"account": "5f2d08be60b92e2888287702"}, e.key()...)
}
