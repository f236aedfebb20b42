package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

// TestInstitutionStatusBrowser drives a sandbox bank down with the app's
// own fault user (every call answers 503) and follows the status to every
// place it shows: GET /v3/institutions (status, status_note, a new ETag),
// the widget in Chromium (the note on the bank list and above the login
// form), the partner's Institutions page (axe-checked), and the
// operator's note through the admin JSON API and `kobo admin
// institutions`, which replaces kobo's own everywhere until cleared.
func TestInstitutionStatusBrowser(t *testing.T) {
	t.Parallel()
	r := newWidgetRig(t, "")
	e, b := r.e, r.b
	gt := e.institution("GTBank")
	v3 := func() (res, map[string]any) {
		t.Helper()
		rs := e.must(200, "GET", "/v3/institutions?bank_code=058", nil, e.key()...)
		for _, x := range rs.m(t)["data"].([]any) {
			if in := x.(map[string]any); in["_id"] == gt {
				return rs, in
			}
		}
		t.Fatal("/v3/institutions has no GTBank")
		return rs, nil
	}
	before, inst := v3()
	if inst["status"] != "up" || inst["status_note"] != nil {
		t.Fatalf("before any failure: %v %v", inst["status"], inst["status_note"])
	}

	// the app's own fault user: its bank answers 503 to every call
	e.must(201, "POST", "/v2/sandbox/users", map[string]any{"username": "bank_down", "password": "pw-123456", "description": "core banking is down",
		"faults": map[string]any{"error_rate": 1}, "accounts": []map[string]any{{"type": "SAVINGS ACCOUNT", "transactions": []any{}}}}, e.key()...)
	for i := range 5 {
		s := e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt, "auth_method": "internet_banking"}, e.key()...).m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
		if rs := e.do("POST", "/v2/connect/login", map[string]string{"username": "bank_down", "password": "pw-123456"}, e.key("x-session-id", s)...); rs.status == 200 {
			t.Fatalf("login %d at a bank that answers 503 succeeded: %s", i, rs.body)
		}
	}
	// the counts reach the database within the flush interval (2 s)
	waitUntil(t, "GTBank down on /v3/institutions", 2*time.Minute, func() bool {
		_, x := v3()
		return x["status"] == "down"
	})
	after, inst := v3()
	note, _ := inst["status_note"].(string)
	if !strings.HasPrefix(note, "GTBank is not responding right now") {
		t.Fatalf("status note %q", note)
	}
	if after.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatal("the ETag did not change when GTBank went down")
	}

	// the widget: the note on the list, and above the login form
	b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup(); document.getElementById("link").onclick = function () { c.open(); }; true`, nil)
	b.Run("click Link", chromedp.Click("#link", chromedp.ByQuery))
	f := r.frame()
	r.waitScreen(f, "CONSENT")
	r.click(f, "#continue")
	r.waitScreen(f, "INSTITUTIONS")
	var listNote, zenith string
	b.Run("read GTBank's note on the list", chromedp.Text(`[data-institution="GTBank"] .status-note`, &listNote, in(f)...),
		chromedp.Text(`[data-institution="Zenith Bank"]`, &zenith, in(f)...))
	if listNote != note {
		t.Errorf("the list shows %q for GTBank, want %q", listNote, note)
	}
	if strings.Contains(zenith, "right now") {
		t.Errorf("Zenith Bank, which is up, shows a note: %q", zenith)
	}
	b.Screenshots("health-01-institutions")
	r.click(f, `[data-institution="GTBank"]`)
	r.waitScreen(f, "AUTH_METHOD")
	r.click(f, `[data-method="internet_banking"]`)
	r.waitScreen(f, "LOGIN")
	var loginNote string
	b.Run("read the note above the login form", chromedp.Text(`#screen p.status-note[data-status="down"]`, &loginNote, in(f)...))
	if loginNote != note {
		t.Errorf("the login screen shows %q, want %q", loginNote, note)
	}
	b.Screenshots("health-02-login")

	// the partner's Institutions page
	d := &dash{t: t, b: b, e: e}
	d.login()
	d.open("/dashboard/apps/" + e.app["id"].(string) + "/institutions")
	row := d.text("#inst-" + gt)
	for _, want := range []string{"GTBank", "down", "100% (5 of 5)", "not responding right now"} {
		if !strings.Contains(row, want) {
			t.Errorf("the Institutions page's GTBank row lacks %q: %q", want, row)
		}
	}
	for _, v := range b.Axe("institutions page") {
		t.Errorf("institutions page: %s", v)
	}

	// the operator's note replaces kobo's
	maint := "GTBank is down for planned maintenance until 04:00 WAT."
	if rs := e.adminDo("POST", "/v1/admin/institutions/"+gt+"/note", map[string]string{"status": "sideways", "note": "x"}); rs.status != 400 {
		t.Fatalf("a bad status: %d %s", rs.status, rs.body)
	}
	// set on the console's page, as an operator does
	b.Run("open the console", chromedp.Navigate(e.operator()+"/console"), chromedp.WaitVisible("#save-note-"+gt, chromedp.ByQuery))
	d.fill("#note-inst-"+gt, maint)
	b.Run("status down", chromedp.SetValue("#status-inst-"+gt, "down", chromedp.ByQuery))
	d.submit("#save-note-" + gt)
	d.waitText("#done", "the note on institution "+gt+" saved")
	if row := d.text("#inst-" + gt); !strings.Contains(row, maint) || !strings.Contains(row, "kobo sees up") { // the console shows live; the failures were sandbox
		t.Errorf("the console's GTBank row: %q", row)
	}
	if _, x := v3(); x["status_note"] != maint {
		t.Fatalf("v3 after the operator's note: %v", x["status_note"])
	}
	var list struct{ Data []map[string]any }
	if err := json.Unmarshal(e.adminDo("GET", "/v1/admin/institutions", nil).body, &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range list.Data {
		if x["id"] == gt {
			found = x["status"] == "down" && x["status_note"] == maint && x["operator_note"] != nil
		}
	}
	if !found {
		t.Fatalf("the admin list does not show GTBank's note: %v", list.Data)
	}
	// live (v1, no key) shows the note too: the operator speaks for the bank
	var v1 []map[string]any
	json.Unmarshal(e.must(200, "GET", "/v1/institutions", nil).body, &v1)
	for _, x := range v1 {
		if x["_id"] == gt && (x["status"] != "down" || x["status_note"] != maint) {
			t.Fatalf("v1 GTBank: %v %v", x["status"], x["status_note"])
		}
	}
	// the command line, on the same database
	env := map[string]string{"KOBO_DATA_DIR": e.dir}
	if code, out := runKobo(t, env, "admin", "institutions"); code != 0 || !strings.Contains(out, maint) || !strings.Contains(out, "down (operator)") {
		t.Fatalf("kobo admin institutions: %d %s", code, out)
	}
	if code, out := runKobo(t, env, "admin", "institutions", "clear", "GTBank"); code != 0 || !strings.Contains(out, "cleared") {
		t.Fatalf("kobo admin institutions clear: %d %s", code, out)
	}
	// this replica's snapshot cache forgets notes another process changed within seconds
	waitUntil(t, "kobo's own note back on /v3/institutions", browsertest.StepTimeout, func() bool {
		_, x := v3()
		return x["status_note"] == note
	})
	console := string(e.adminDo("GET", "/console", nil).body)
	for _, want := range []string{"institution.note_cleared", "institution.note_set", `id="save-note-` + gt + `"`} {
		if !strings.Contains(console, want) {
			t.Errorf("the console lacks %q", want)
		}
	}
}

// TestInstitutionStatusAcrossReplicas: two replicas on one Postgres each
// meet some of a bank's failures, fewer than either could judge alone;
// both then show it down, because the counts they judge by are the
// database's.
func TestInstitutionStatusAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	a := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
	b := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
	a.signupApp("")
	b.sk, b.pk, b.app, b.auth, b.email = a.sk, a.pk, a.app, a.auth, a.email
	gt := a.institution("GTBank")
	a.must(201, "POST", "/v2/sandbox/users", map[string]any{"username": "bank_down", "password": "pw-123456",
		"faults": map[string]any{"error_rate": 1}, "accounts": []map[string]any{{"type": "SAVINGS ACCOUNT", "transactions": []any{}}}}, a.key()...)
	status := func(e *e2e) string {
		t.Helper()
		for _, x := range e.must(200, "GET", "/v3/institutions?bank_code=058", nil, e.key()...).m(t)["data"].([]any) {
			if in := x.(map[string]any); in["_id"] == gt {
				return in["status"].(string)
			}
		}
		t.Fatal("no GTBank")
		return ""
	}
	fail := func(e *e2e, n int) {
		t.Helper()
		for range n {
			s := e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt, "auth_method": "internet_banking"}, e.key()...).m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
			e.do("POST", "/v2/connect/login", map[string]string{"username": "bank_down", "password": "pw-123456"}, e.key("x-session-id", s)...)
		}
		if err := e.stk.svc.FlushBankHealth(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	fail(a, 3)
	if s := status(a); s != "up" {
		t.Fatalf("after 3 failures (too few to judge): %s", s)
	}
	fail(b, 2)
	for name, e := range map[string]*e2e{"a": a, "b": b} {
		waitUntil(t, "replica "+name+" shows GTBank down", 2*time.Minute, func() bool { return status(e) == "down" })
	}
}
