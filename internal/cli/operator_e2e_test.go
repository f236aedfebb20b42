package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/console"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// operator serves this stack's admin listener (the handler `kobo serve`
// puts there) over real HTTP, started on first use, and returns its URL.
func (e *e2e) operator() string {
	e.t.Helper()
	if e.admin == "" {
		srv := httptest.NewServer(adminHandler(e.stk.reg, readiness(e.stk.store), "test", console.New(console.Config{App: e.stk.svc})))
		e.t.Cleanup(srv.Close)
		e.admin = srv.URL
	}
	return e.admin
}

// adminDo sends a JSON POST (or a GET when body is nil) to the admin listener.
func (e *e2e) adminDo(method, path string, body any) res {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.operator()+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return res{status: r.StatusCode, header: r.Header, body: b}
}

// approveHeadless grants the app headless Connect for its live keys
// through the operator's path (the admin listener), as a deployment's
// operator does after a partner asks.
func (e *e2e) approveHeadless(appID string) {
	e.t.Helper()
	if r := e.adminDo("POST", "/v1/admin/apps/"+appID+"/addons/"+kobo.AddonHeadlessConnect+"/approve", map[string]string{"note": "test"}); r.status != 200 {
		e.t.Fatalf("approving headless Connect: %d %s", r.status, r.body)
	}
}

// TestHeadlessConnectIsAnAddonForLiveApps: a live key without the add-on
// gets a 403 naming it and how to ask; the partner asks (Partner API), the
// request waits in the operator's queue, the operator approves it and the
// live key passes the gate; revoked, it is refused again. Sandbox keys
// always pass. Every step is in the audit log.
func TestHeadlessConnectIsAnAddonForLiveApps(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	id := e.app["id"].(string)
	gt := e.institution("GTBank")
	live := e.must(200, "PATCH", "/v1/apps/"+id, map[string]any{"live": true}, "Authorization", e.auth).m(t)
	lk := []string{"mono-sec-key", live["secret_key"].(string)}
	headless := func(want string) {
		t.Helper()
		for _, path := range []string{"/v1/connect/session", "/v2/connect/session"} {
			r := e.do("POST", path, map[string]string{"institution": gt}, lk...)
			if r.status != 403 || !strings.Contains(string(r.body), want) {
				t.Errorf("POST %s with a live key: %d %s, want 403 with %q", path, r.status, r.body, want)
			}
		}
	}
	headless("POST /v1/apps/" + id + "/addons/headless_connect")
	headless("Headless Connect (the headless_connect add-on)")
	// the v2 body is Mono's v2 error envelope
	var v2 map[string]any
	_ = json.Unmarshal(e.do("POST", "/v2/connect/session", map[string]string{"institution": gt}, lk...).body, &v2)
	if v2["status"] != "failed" && v2["status"] != "error" {
		t.Errorf("v2 403 body = %v", v2)
	}
	// sandbox keys have it always
	if r := e.do("POST", "/v2/connect/session", map[string]string{"institution": gt}, e.key()...); r.status >= 400 {
		t.Errorf("sandbox key refused headless Connect: %d %s", r.status, r.body)
	}

	// the partner asks
	r := e.must(202, "POST", "/v1/apps/"+id+"/addons/headless_connect", map[string]string{"reason": "loan onboarding in our app"}, "Authorization", e.auth).m(t)
	if r["status"] != "requested" {
		t.Errorf("request = %v", r)
	}
	headless("waiting for the operator")
	list := e.must(200, "GET", "/v1/apps/"+id+"/addons", nil, "Authorization", e.auth).body
	if !strings.Contains(string(list), `"status":"requested"`) {
		t.Errorf("addons = %s", list)
	}
	if r := e.do("POST", "/v1/apps/"+id+"/addons/nope", nil, "Authorization", e.auth); r.status != 404 {
		t.Errorf("unknown add-on: %d %s", r.status, r.body)
	}

	// it waits in the operator's queue
	q := e.adminDo("GET", "/v1/admin/addons/requests", nil)
	if q.status != 200 || !strings.Contains(string(q.body), id) || !strings.Contains(string(q.body), "loan onboarding") {
		t.Fatalf("queue: %d %s", q.status, q.body)
	}
	// a cross-site form cannot approve it
	form, _ := http.NewRequest("POST", e.operator()+"/console/apps/"+id+"/addons/headless_connect/approve", strings.NewReader(url.Values{"note": {"x"}}.Encode()))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form.Header.Set("Sec-Fetch-Site", "cross-site")
	if fr, err := http.DefaultClient.Do(form); err != nil || fr.StatusCode != 403 {
		t.Errorf("cross-site console form: %v %v", fr, err)
	} else {
		fr.Body.Close()
	}
	if r := e.adminDo("POST", "/v1/admin/apps/"+id+"/addons/headless_connect/revoke", map[string]string{}); r.status != 409 {
		t.Errorf("revoking what was never approved: %d %s", r.status, r.body)
	}

	e.approveHeadless(id)
	// past the gate: what answers now is the next rule (banksim is not a real bank)
	headless("live keys reach real banks only")
	if q := e.adminDo("GET", "/v1/admin/addons/requests", nil); strings.Contains(string(q.body), id) {
		t.Errorf("approved request still queued: %s", q.body)
	}
	// asking again once approved changes nothing
	e.must(200, "POST", "/v1/apps/"+id+"/addons/headless_connect", nil, "Authorization", e.auth)

	if r := e.adminDo("POST", "/v1/admin/apps/"+id+"/addons/headless_connect/revoke", map[string]string{"note": "abuse"}); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	headless("the operator revoked it")
	// asking again after a revocation queues a new request, which the operator may decline
	e.must(202, "POST", "/v1/apps/"+id+"/addons/headless_connect", nil, "Authorization", e.auth)
	if r := e.adminDo("POST", "/v1/admin/apps/"+id+"/addons/headless_connect/deny", map[string]string{"note": "not yet"}); r.status != 200 {
		t.Fatalf("deny: %d %s", r.status, r.body)
	}
	headless("the operator declined this app's request")
	if r := e.adminDo("POST", "/v1/admin/apps/"+id+"/addons/headless_connect/deny", map[string]string{}); r.status != 200 {
		t.Errorf("denying again (nothing changes): %d %s", r.status, r.body)
	}

	audit := string(e.must(200, "GET", "/v1/audit?app="+id, nil, "Authorization", e.auth).body)
	for _, a := range []string{"addon.requested", "addon.approved", "addon.revoked", "addon.denied", "operator (admin console)"} {
		if !strings.Contains(audit, a) {
			t.Errorf("audit log lacks %q: %s", a, audit)
		}
	}
}

// TestOperatorSuspendsAndReinstates: a suspended app's keys get a clear
// 403 and work again once reinstated; a suspended partner cannot log in
// and its sessions end; the console lists both, and the audit log has it.
func TestOperatorSuspendsAndReinstates(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	id := e.app["id"].(string)
	e.must(200, "GET", "/v2/accounts", nil, e.key()...)

	if r := e.adminDo("POST", "/v1/admin/apps/"+id+"/suspend", map[string]string{"reason": "chargebacks"}); r.status != 200 {
		t.Fatalf("suspend app: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/v2/accounts", nil, e.key()...)
	if r.status != 403 || !strings.Contains(string(r.body), "This app has been suspended by the operator") {
		t.Errorf("suspended app's key: %d %s", r.status, r.body)
	}
	page := e.adminDo("GET", "/console", nil)
	if page.status != 200 || !strings.Contains(string(page.body), "suspended") || !strings.Contains(string(page.body), "/console/apps/"+id+"/reinstate") {
		t.Errorf("console: %d %s", page.status, page.body)
	}
	if r := e.adminDo("POST", "/v1/admin/apps/"+id+"/reinstate", map[string]string{}); r.status != 200 {
		t.Fatalf("reinstate app: %d %s", r.status, r.body)
	}
	e.must(200, "GET", "/v2/accounts", nil, e.key()...)

	var partner string
	for _, p := range e.adminDo("GET", "/v1/admin/partners", nil).m(t)["data"].([]any) {
		if pm := p.(map[string]any); pm["email"] == e.email {
			partner = pm["id"].(string)
		}
	}
	if partner == "" {
		t.Fatal("the operator's partner list lacks the partner")
	}
	if r := e.adminDo("POST", "/v1/admin/partners/"+partner+"/suspend", map[string]string{"reason": "unpaid"}); r.status != 200 {
		t.Fatalf("suspend partner: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/apps", nil, "Authorization", e.auth); r.status != 401 && r.status != 403 {
		t.Errorf("a suspended partner's session: %d %s", r.status, r.body)
	}
	lr := e.do("POST", "/v1/auth/login", map[string]string{"email": e.email, "password": "a long passphrase"})
	if lr.status != 403 || !strings.Contains(string(lr.body), "suspended by the operator") {
		t.Errorf("a suspended partner's login: %d %s", lr.status, lr.body)
	}
	if r := e.do("GET", "/v2/accounts", nil, e.key()...); r.status != 403 {
		t.Errorf("a suspended partner's app key: %d %s", r.status, r.body)
	}
	if r := e.adminDo("POST", "/v1/admin/partners/"+partner+"/reinstate", map[string]string{}); r.status != 200 {
		t.Fatalf("reinstate partner: %d %s", r.status, r.body)
	}
	e.relogin()
	e.must(200, "GET", "/v2/accounts", nil, e.key()...)
	audit := string(e.must(200, "GET", "/v1/audit", nil, "Authorization", e.auth).body)
	for _, a := range []string{"app.suspended", "app.reinstated", "partner.suspended", "partner.reinstated", "chargebacks"} {
		if !strings.Contains(audit, a) {
			t.Errorf("audit log lacks %q", a)
		}
	}
}

// TestAddonsPageRequestsAndOperatorConsoleApproves: the partner asks on
// the dashboard's Add-ons page, the console lists the request, the
// operator approves it with the console's form, and the Add-ons page says
// approved. Refreshing after each POST repeats nothing.
func TestAddonsPageRequestsAndOperatorConsoleApproves(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	id := e.app["id"].(string)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(base, p string) string {
		t.Helper()
		res, err := client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", p, res.StatusCode, b)
		}
		return string(b)
	}
	csrf := func(page string) string {
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token in:\n%s", page)
		}
		return m[1]
	}
	post := func(base, p string, v url.Values, h ...string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+p, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Request.Method != "GET" {
			t.Fatalf("POST %s: %d (after redirects: %s %s) %s", p, res.StatusCode, res.Request.Method, res.Request.URL, b)
		}
		return string(b)
	}
	post(e.url, "/dashboard/login", url.Values{"email": {e.email}, "password": {"a long passphrase"}, "csrf": {csrf(get(e.url, "/dashboard/login"))}})
	page := get(e.url, "/dashboard/apps/"+id+"/addons")
	if !strings.Contains(page, `id="nav-addons"`) || !strings.Contains(page, "not requested") || !strings.Contains(page, `id="request-headless_connect"`) {
		t.Fatalf("add-ons page:\n%s", page)
	}
	page = post(e.url, "/dashboard/apps/"+id+"/addons", url.Values{"addon": {"headless_connect"}, "reason": {"in-app onboarding"}, "csrf": {csrf(page)}})
	if !strings.Contains(page, "waiting for the operator") || strings.Contains(page, `id="request-headless_connect"`) {
		t.Fatalf("after requesting:\n%s", page)
	}
	if again := get(e.url, "/dashboard/apps/"+id+"/addons"); !strings.Contains(again, "waiting for the operator") {
		t.Fatalf("refresh after requesting:\n%s", again)
	}

	console := get(e.operator(), "/console")
	action := "/console/apps/" + id + "/addons/headless_connect/approve"
	if !strings.Contains(console, `action="`+action+`"`) || !strings.Contains(console, "in-app onboarding") {
		t.Fatalf("console:\n%s", console)
	}
	console = post(e.operator(), action, url.Values{"note": {"welcome"}}, "Origin", e.operator())
	if !strings.Contains(console, "Done: headless_connect approved for app "+id) || strings.Contains(console, `action="`+action+`"`) {
		t.Fatalf("console after approving:\n%s", console)
	}
	if page := get(e.url, "/dashboard/apps/"+id+"/addons"); !strings.Contains(page, "approved") || !strings.Contains(page, "your live keys can use it") {
		t.Fatalf("add-ons page after approval:\n%s", page)
	}
}

// TestKoboAdminCommands: `kobo admin` does the console's actions straight
// on the database of a running kobo: the request queue, approve (live
// keys pass the add-on gate at once: it is read per request), the partner
// list, and suspend/reinstate (other processes refuse the keys from their
// next request: the holds' epoch), all audited as the command line.
func TestKoboAdminCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startE2E(t, e2eOpts{dir: dir})
	e.signupApp("")
	id := e.app["id"].(string)
	env := map[string]string{"KOBO_DATA_DIR": dir}
	live := e.must(200, "PATCH", "/v1/apps/"+id, map[string]any{"live": true}, "Authorization", e.auth).m(t)
	lk := []string{"mono-sec-key", live["secret_key"].(string)}
	gt := e.institution("GTBank")

	if code, out := runKobo(t, env, "admin", "addons", "requests"); code != 0 || !strings.Contains(out, "no add-on requests are waiting") {
		t.Fatalf("empty queue: %d %s", code, out)
	}
	e.must(202, "POST", "/v1/apps/"+id+"/addons/headless_connect", map[string]string{"reason": "server-side linking"}, "Authorization", e.auth)
	if code, out := runKobo(t, env, "admin", "addons", "requests"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "server-side linking") {
		t.Fatalf("queue: %d %s", code, out)
	}
	if code, out := runKobo(t, env, "admin", "addons", "approve"); code != 2 || !strings.Contains(out, "Usage: kobo admin") {
		t.Fatalf("approve without an app: %d %s", code, out)
	}
	if code, out := runKobo(t, env, "admin", "addons", "approve", id, "--note", "ok"); code != 0 || !strings.Contains(out, "headless_connect for app "+id+" is now approved") {
		t.Fatalf("approve: %d %s", code, out)
	}
	if r := e.do("POST", "/v2/connect/session", map[string]string{"institution": gt}, lk...); strings.Contains(string(r.body), "add-on") {
		t.Errorf("approved on the command line, still refused: %d %s", r.status, r.body)
	}
	if code, out := runKobo(t, env, "admin", "partners"); code != 0 || !strings.Contains(out, e.email) || !strings.Contains(out, "headless_connect=approved") {
		t.Fatalf("partners: %d %s", code, out)
	}
	// the app's calls so far, once the server has written its counts
	// (every few seconds)
	usage := regexp.MustCompile(`calls=[1-9][0-9]* errors=[0-9]+ links=0 syncs=0 webhooks=0`)
	waitUntil(t, "the app's usage in admin partners", 30*time.Second, func() bool {
		_, out := runKobo(t, env, "admin", "partners")
		return usage.MatchString(out)
	})
	if code, out := runKobo(t, env, "admin", "suspend", "app", id, "--reason", "review"); code != 0 || !strings.Contains(out, "app "+id+" suspended") {
		t.Fatalf("suspend: %d %s", code, out)
	}
	waitUntil(t, "the suspended app's key refused", 20*time.Second, func() bool {
		return e.do("GET", "/v2/accounts", nil, e.key()...).status == 403
	})
	if code, out := runKobo(t, env, "admin", "reinstate", "app", id); code != 0 || !strings.Contains(out, "reinstated") {
		t.Fatalf("reinstate: %d %s", code, out)
	}
	waitUntil(t, "the reinstated app's key accepted", 20*time.Second, func() bool {
		return e.do("GET", "/v2/accounts", nil, e.key()...).status == 200
	})
	audit := string(e.must(200, "GET", "/v1/audit?app="+id, nil, "Authorization", e.auth).body)
	for _, a := range []string{"addon.approved", "app.suspended", "app.reinstated", "operator (kobo command line)"} {
		if !strings.Contains(audit, a) {
			t.Errorf("audit log lacks %q", a)
		}
	}
}

// TestKoboAdminGoLive: the command line sets the go-live policy (every
// process reads it from the database), lists a submission with its
// business details, and approves it; the Partner API's live key works
// from the next request.
func TestKoboAdminGoLive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startE2E(t, e2eOpts{dir: dir})
	e.signupApp("https://hooks.acme.ng/kobo")
	id := e.app["id"].(string)
	env := map[string]string{"KOBO_DATA_DIR": dir}
	if code, out := runKobo(t, env, "admin", "golive", "policy"); code != 0 || !strings.Contains(out, "go-live policy: automatic (the configured default") {
		t.Fatalf("policy: %d %s", code, out)
	}
	if code, out := runKobo(t, env, "admin", "golive", "policy", "review"); code != 0 || !strings.Contains(out, "go-live policy: review (set by operator (kobo command line)") {
		t.Fatalf("set policy: %d %s", code, out)
	}
	body := map[string]string{"legal_name": "Acme Lending Ltd", "registration_number": "RC 1234567", "country": "NG", "website": "https://acme.ng",
		"contact_email": "compliance@acme.ng", "use_case": "Affordability checks for personal loans"}
	if r := e.do("POST", "/v1/apps/"+id+"/golive", map[string]string{"legal_name": "Acme"}, "Authorization", e.auth); r.status != 400 || !strings.Contains(string(r.body), "registration_number") {
		t.Errorf("incomplete submission: %d %s", r.status, r.body)
	}
	sub := e.must(202, "POST", "/v1/apps/"+id+"/golive", body, "Authorization", e.auth).m(t)
	if sub["status"] != "pending" || sub["policy"] != "review" || sub["live"] != true {
		t.Fatalf("submission: %v", sub)
	}
	lk := []string{"mono-sec-key", sub["secret_key"].(string)}
	if r := e.do("GET", "/v2/accounts", nil, lk...); r.status != 403 {
		t.Errorf("pending live key: %d %s", r.status, r.body)
	}
	if code, out := runKobo(t, env, "admin", "golive", "requests"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "RC 1234567") || !strings.Contains(out, "Affordability") {
		t.Fatalf("queue: %d %s", code, out)
	}
	if code, out := runKobo(t, env, "admin", "golive", "reject", id); code == 0 || !strings.Contains(out, "reason") {
		t.Errorf("rejecting without a reason: %d %s", code, out)
	}
	if code, out := runKobo(t, env, "admin", "golive", "approve", id); code != 0 || !strings.Contains(out, "go-live of app "+id+" is now approved") {
		t.Fatalf("approve: %d %s", code, out)
	}
	e.must(200, "GET", "/v2/accounts", nil, lk...)
	if q := e.adminDo("GET", "/v1/admin/golive/requests", nil); q.status != 200 || strings.Contains(string(q.body), id) {
		t.Errorf("queue after approval: %d %s", q.status, q.body)
	}
}
