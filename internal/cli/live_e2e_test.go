package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLiveKeysNeverReachTheSandboxBank: a live app's keys link nothing
// through banksim (it is not a Real provider): the session is refused
// with a clear 403 before the sandbox bank is asked, and the live
// institution lists hold no banksim-only bank (the statement upload entry
// stays). The sandbox key of the same app still links user_good.
func TestLiveKeysNeverReachTheSandboxBank(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	gt := e.institution("GTBank")
	live := e.must(200, "PATCH", "/v1/apps/"+e.app["id"].(string), map[string]any{"live": true}, "Authorization", e.auth).m(t)
	liveKey, _ := live["secret_key"].(string)
	if !strings.HasPrefix(liveKey, "live_sk_") {
		t.Fatalf("going live gave no live secret key: %v", live)
	}
	lk := []string{"mono-sec-key", liveKey}
	e.approveHeadless(e.app["id"].(string)) // so the next rule answers, not the add-on's
	for _, path := range []string{"/v1/connect/session", "/v2/connect/session"} {
		r := e.do("POST", path, map[string]string{"institution": gt}, lk...)
		if r.status != 403 || !strings.Contains(string(r.body), "live keys reach real banks only") {
			t.Errorf("POST %s with a live key for a banksim bank: %d %s", path, r.status, r.body)
		}
	}
	var v3 struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(e.must(200, "GET", "/v3/institutions", nil, lk...).body, &v3); err != nil {
		t.Fatal(err)
	}
	for _, in := range v3.Data {
		if in["name"] == "GTBank" {
			t.Errorf("a live key lists GTBank, which only the sandbox bank reaches: %v", in)
		}
	}
	// the sandbox key still links
	linkUser(t, e, gt, "user_good", nil)

	// the dashboard's providers page lists the sandbox bank as such
	page := e.dashboardPage(t, "/dashboard/apps/"+e.app["id"].(string)+"/providers")
	if !strings.Contains(page, `id="provider-banksim"`) || !strings.Contains(page, "sandbox only") || !strings.Contains(page, "Needs no keys") {
		t.Errorf("providers page:\n%s", page)
	}
}
