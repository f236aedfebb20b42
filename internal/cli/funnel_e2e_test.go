package cli

import (
	"encoding/json"
	"fmt"
	"testing"
)

// funnelOf reads GET /v1/apps/{id}/funnel with query q.
func (e *e2e) funnelOf(t *testing.T, q string) map[string]any {
	t.Helper()
	return e.must(200, "GET", "/v1/apps/"+e.app["id"].(string)+"/funnel"+q, nil, "Authorization", e.auth).m(t)
}

// funnelCounts renders a funnel row's counts and rates, in stage order.
func funnelCounts(row map[string]any) string {
	name := "total"
	if in, ok := row["institution"].(map[string]any); ok {
		name = in["name"].(string)
	}
	return fmt.Sprintf("%s %v/%v/%v/%v exited %v failed %v conv %v", name, row["started"], row["chosen"], row["submitted"], row["linked"],
		row["exited"], row["failed"], row["conversion"])
}

// TestConnectFunnelThroughTheAPI drives real connect flows, headless and
// through the widget's API, some that link, some that fail on wrong
// credentials or a locked account, one the customer leaves and one never
// logged in, and reads the funnel the Partner API reports. Repeated steps
// (a reused code, a step on a closed session, a second exit) count nothing.
func TestConnectFunnelThroughTheAPI(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); connectFunnel(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); connectFunnel(t, e2eOpts{postgres: true, dsn: postgresDSN(t)}) })
}

func connectFunnel(t *testing.T, o e2eOpts) {
	e := startE2E(t, o)
	e.signupApp("")
	appID := e.app["id"].(string)
	gt, zenith := e.institution("GTBank"), e.institution("Zenith Bank")

	empty := e.funnelOf(t, "")
	if rows := empty["data"].([]any); len(rows) != 0 || empty["days"] != float64(30) || funnelCounts(empty["total"].(map[string]any)) != "total 0/0/0/0 exited 0 failed 0 conv 0" {
		t.Fatalf("a new app's funnel: %v", empty)
	}

	// GTBank, headless: three link and are exchanged
	var acct string
	for range 3 {
		r := e.flowV1(t, gt, "user_good", "")
		if r.status != 200 {
			t.Fatalf("user_good: %d %s", r.status, r.body)
		}
		code := r.m(t)["data"].(map[string]any)["code"].(string)
		acct = e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
		e.must(400, "POST", "/account/auth", map[string]string{"code": code}, e.key()...) // reused: nothing new
	}
	// one fails on wrong passwords, then a step on the closed session is refused
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"app": appID, "institution": gt, "auth_method": "internet_banking"}, e.key()...).m(t)["id"].(string)
	for range 3 {
		e.must(400, "POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "wrong"}, e.key("x-session-id", s)...)
	}
	if r := e.do("POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "123456"}, e.key("x-session-id", s)...); r.status == 200 {
		t.Fatalf("a failed session logged in: %s", r.body)
	}
	// one is opened and never logged in
	e.must(200, "POST", "/v1/connect/session", map[string]string{"app": appID, "institution": gt, "auth_method": "internet_banking"}, e.key()...)

	// Zenith, through the widget's API: one links, one is locked, one is left
	pk := []string{"x-public-key", e.pk}
	widget := func() string {
		return e.must(200, "POST", "/connect/api/session", map[string]string{"institution": zenith, "auth_method": "internet_banking"}, pk...).m(t)["session_id"].(string)
	}
	ws := widget()
	step := e.must(200, "POST", "/connect/api/login", map[string]string{"username": "user_good", "password": "123456"}, append([]string{"x-session-id", ws}, pk...)...).m(t)
	code, _ := step["code"].(string)
	if code == "" {
		t.Fatalf("widget login of user_good: %v", step)
	}
	e.must(200, "POST", "/connect/api/exit", nil, append([]string{"x-session-id", ws}, pk...)...) // closed after linking: not an exit
	e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...)
	locked := widget()
	e.must(400, "POST", "/connect/api/login", map[string]string{"username": "user_locked", "password": "123456"}, append([]string{"x-session-id", locked}, pk...)...)
	if r := e.do("POST", "/connect/api/exit", nil, append([]string{"x-session-id", locked}, pk...)...); r.status == 200 {
		t.Fatalf("exit of a failed session answered 200: %s", r.body)
	}
	left := widget()
	for range 2 {
		e.must(200, "POST", "/connect/api/exit", nil, append([]string{"x-session-id", left}, pk...)...)
	}

	f := e.funnelOf(t, "?days=7&mode=test&reauth=false")
	var got []string
	for _, row := range f["data"].([]any) {
		got = append(got, funnelCounts(row.(map[string]any)))
	}
	got = append(got, funnelCounts(f["total"].(map[string]any)))
	want := []string{
		"GTBank 5/5/4/3 exited 0 failed 1 conv 0.6",
		"Zenith Bank 3/3/2/1 exited 1 failed 1 conv 0.3333",
		"total 8/8/6/4 exited 1 failed 2 conv 0.5",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		b, _ := json.MarshalIndent(f, "", "  ")
		t.Fatalf("funnel rows:\n got %q\nwant %q\n%s", got, want, b)
	}
	if f["days"] != float64(7) || f["mode"] != "test" || f["reauth"] != "false" {
		t.Errorf("echoed filter: days %v mode %v reauth %v", f["days"], f["mode"], f["reauth"])
	}
	if tot := f["total"].(map[string]any); tot["submitted_rate"] != 0.75 || tot["linked_rate"] != 0.6667 || tot["chosen_rate"] != float64(1) {
		t.Errorf("total rates: %v", tot)
	}
	// nothing live, nothing re-authorised yet
	for _, q := range []string{"?mode=live", "?reauth=true"} {
		if rows := e.funnelOf(t, q)["data"].([]any); len(rows) != 0 {
			t.Errorf("%s: %v", q, rows)
		}
	}
	// a headless re-authorisation with the kept login counts apart, linked
	// when the customer finishes (there is no exchange to wait for)
	rs := e.must(200, "POST", "/v2/connect/reauth/session", map[string]string{"account": acct}, e.key()...).m(t)["data"].(map[string]any)["session_id"].(string)
	if r := e.must(200, "POST", "/v2/connect/reauth/login", map[string]string{}, e.key("x-session-id", rs)...).m(t); r["data"].(map[string]any)["responseCode"] != float64(99) {
		t.Fatalf("re-auth login: %v", r)
	}
	reauth := e.funnelOf(t, "?reauth=true")
	if rows := reauth["data"].([]any); len(rows) != 1 || funnelCounts(rows[0].(map[string]any)) != "GTBank 1/1/1/1 exited 0 failed 0 conv 1" {
		t.Errorf("re-authorisations: %v", rows)
	}
	if got := funnelCounts(e.funnelOf(t, "?days=7&mode=test&reauth=false")["total"].(map[string]any)); got != want[2] {
		t.Errorf("new links after the re-auth: %s, want %s", got, want[2])
	}
	if got := funnelCounts(e.funnelOf(t, "")["total"].(map[string]any)); got != "total 9/9/7/5 exited 1 failed 2 conv 0.5556" {
		t.Errorf("every session: %s", got)
	}
	// bad filters are 400s; another partner cannot read it
	for _, q := range []string{"?days=0", "?days=91", "?days=x", "?mode=prod", "?reauth=maybe"} {
		e.must(400, "GET", "/v1/apps/"+appID+"/funnel"+q, nil, "Authorization", e.auth)
	}
	e.signupApp("")
	e.must(404, "GET", "/v1/apps/"+appID+"/funnel", nil, "Authorization", e.auth)
	e.must(401, "GET", "/v1/apps/"+appID+"/funnel", nil)
}
