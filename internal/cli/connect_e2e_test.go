package cli

import (
	"strings"
	"testing"
	"time"
)

// flowV1 drives /v1/connect for a user; it returns the last response.
func (e *e2e) flowV1(t *testing.T, inst, user string, golden string) res {
	t.Helper()
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"app": e.app["id"].(string), "institution": inst, "auth_method": "internet_banking"}, e.key()...)
	if golden != "" {
		golden2(t, golden+"_session", s.body)
	}
	sid := s.m(t)["id"].(string)
	r := e.do("POST", "/v1/connect/login", map[string]string{"username": user, "password": "123456"}, e.key("x-session-id", sid)...)
	if golden != "" {
		golden2(t, golden+"_login", r.body)
	}
	return r
}

func golden2(t *testing.T, name string, b []byte) { golden(t, name, b) }

func TestConnectV1EveryUser(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	gt := e.institution("GTBank")

	// single account: 99 at login
	r := e.flowV1(t, gt, "user_good", "v1_good")
	if r.status != 200 || r.m(t)["responseCode"] != float64(99) {
		t.Fatalf("user_good: %d %s", r.status, r.body)
	}
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	ex := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...)
	golden(t, "v1_exchange", ex.body)
	id := ex.m(t)["id"].(string)
	golden(t, "v1_account_processing", e.must(200, "GET", "/accounts/"+id, nil, e.key()...).body)
	waitUntil(t, "the first fetch", 20*time.Second, func() bool {
		return e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["meta"].(map[string]any)["data_status"] == "AVAILABLE"
	})
	golden(t, "v1_account", e.must(200, "GET", "/accounts/"+id, nil, e.key()...).body)
	golden(t, "v2_account", e.must(200, "GET", "/v2/accounts/"+id, nil, e.key()...).body)
	// the code is single-use
	golden(t, "v1_exchange_reused", e.must(400, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).body)

	// several accounts: 101, then commit {account: index}
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt, "auth_method": "internet_banking"}, e.key()...).m(t)["id"].(string)
	r = e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_multi", "password": "123456"}, e.key("x-session-id", s)...)
	golden(t, "v1_multi_login", r.body)
	if r.m(t)["responseCode"] != float64(101) || len(r.m(t)["data"].([]any)) != 3 {
		t.Fatalf("user_multi: %s", r.body)
	}
	r = e.must(200, "POST", "/v1/connect/commit", map[string]any{"account": 1}, e.key("x-session-id", s)...)
	golden(t, "v1_multi_commit", r.body)

	// OTP: 102, wrong OTP 400, right OTP 99 (commit answers status 200)
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	r = e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_otp", "password": "123456"}, e.key("x-session-id", s)...)
	golden(t, "v1_otp_login", r.body)
	golden(t, "v1_otp_wrong", e.must(400, "POST", "/v1/connect/commit", map[string]string{"otp": "000000"}, e.key("x-session-id", s)...).body)
	golden(t, "v1_commit_unknown_field", e.must(400, "POST", "/v1/connect/commit", map[string]string{"pin": "1"}, e.key("x-session-id", s)...).body)
	r = e.must(200, "POST", "/v1/connect/commit", map[string]string{"otp": "123456"}, e.key("x-session-id", s)...)
	if r.m(t)["status"] != float64(200) || r.m(t)["responseCode"] != float64(99) {
		t.Fatalf("otp commit: %s", r.body)
	}

	// question and chained MFA (102 twice)
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	r = e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_chained", "password": "123456"}, e.key("x-session-id", s)...)
	r = e.must(200, "POST", "/v1/connect/commit", map[string]string{"otp": "123456"}, e.key("x-session-id", s)...)
	golden(t, "v1_question", r.body)
	if r.m(t)["responseCode"] != float64(102) {
		t.Fatalf("chained: %s", r.body)
	}
	r = e.must(200, "POST", "/v1/connect/commit", map[string]string{"answer": "adebayo"}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(99) {
		t.Fatalf("chained answer: %s", r.body)
	}

	// wrong password then right; locked; unknown fields; other mistakes
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	golden(t, "v1_wrong_password", e.must(400, "POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "nope"}, e.key("x-session-id", s)...).body)
	e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "123456"}, e.key("x-session-id", s)...)
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	golden(t, "v1_locked", e.must(400, "POST", "/v1/connect/login", map[string]string{"username": "user_locked", "password": "123456"}, e.key("x-session-id", s)...).body)
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	golden(t, "v1_login_bad_fields", e.must(400, "POST", "/v1/connect/login", map[string]string{"user": "x", "password": "123456"}, e.key("x-session-id", s)...).body)
	golden(t, "v1_session_unknown", e.must(404, "POST", "/v1/connect/login", map[string]string{"username": "x"}, e.key("x-session-id", "sess_nope")...).body)
	golden(t, "v1_session_bad_institution", e.must(400, "POST", "/v1/connect/session", map[string]string{"institution": "000000000000000000000000"}, e.key()...).body)
	golden(t, "v1_session_wrong_app", e.must(400, "POST", "/v1/connect/session", map[string]string{"app": "someone-else", "institution": gt}, e.key()...).body)
	golden(t, "v1_session_no_key", e.must(401, "POST", "/v1/connect/session", map[string]string{"institution": gt}).body)
	e.must(401, "POST", "/v1/connect/session", map[string]string{"institution": gt}, "mono-sec-key", e.pk)
}

func TestConnectV2(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	gt := e.institution("GTBank")
	start := func(golden2 string) string {
		r := e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt, "auth_method": "internet_banking", "scope": "financial_data",
			"customer": map[string]string{"name": "Ada Obi", "email": "ada@obi.ng"}, "meta": map[string]string{"ref": "ref-42"}}, e.key()...)
		if golden2 != "" {
			golden(t, golden2, r.body)
		}
		return r.m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
	}
	s := start("v2_session")
	r := e.must(200, "GET", "/v2/connect/sandbox", nil, e.key("x-session-id", s)...)
	golden(t, "v2_sandbox", r.body)
	creds := r.m(t)["data"].(map[string]any)["credentials"].([]any)
	if len(creds) < 14 {
		t.Fatalf("sandbox credentials = %d", len(creds))
	}

	r = e.must(200, "POST", "/v2/connect/login", map[string]string{"username": "user_multi", "password": "123456"}, e.key("x-session-id", s)...)
	golden(t, "v2_multi_login", r.body)
	accts := r.m(t)["data"].(map[string]any)["accounts"].([]any)
	number := accts[2].(map[string]any)["accountNumber"].(string)
	r = e.must(200, "POST", "/v2/connect/commit", map[string]string{"accountNumber": number}, e.key("x-session-id", s)...)
	golden(t, "v2_commit", r.body)
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	r = e.must(200, "POST", "/v2/accounts/auth", map[string]string{"code": code}, e.key()...)
	golden(t, "v2_exchange", r.body)
	id := r.m(t)["id"].(string)
	waitUntil(t, "the first fetch", 20*time.Second, func() bool {
		m := e.must(200, "GET", "/v2/accounts/"+id, nil, e.key()...).m(t)
		return m["data"].(map[string]any)["meta"].(map[string]any)["data_status"] == "AVAILABLE"
	})
	v2 := e.must(200, "GET", "/v2/accounts/"+id, nil, e.key()...).m(t)["data"].(map[string]any)
	if v2["customer"].(map[string]any)["id"] == "" || v2["account"].(map[string]any)["account_number"] != number ||
		v2["meta"].(map[string]any)["ref"] != "ref-42" {
		t.Fatalf("v2 account = %v", v2)
	}

	s = start("")
	r = e.must(200, "POST", "/v2/connect/login", map[string]string{"username": "user_question", "password": "123456"}, e.key("x-session-id", s)...)
	golden(t, "v2_question_login", r.body)
	golden(t, "v2_commit_wrong", e.must(400, "POST", "/v2/connect/commit", map[string]string{"answer": "wrong"}, e.key("x-session-id", s)...).body)
	r = e.must(200, "POST", "/v2/connect/commit", map[string]string{"answer": "Adebayo"}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(99) {
		t.Fatalf("question answer: %s", r.body)
	}
	s = start("")
	golden(t, "v2_bad_login", e.must(400, "POST", "/v2/connect/login", map[string]string{"username": "user_bad", "password": "123456"}, e.key("x-session-id", s)...).body)

	// three wrong OTPs fail the session
	s = start("")
	e.must(200, "POST", "/v2/connect/login", map[string]string{"username": "user_otp", "password": "123456"}, e.key("x-session-id", s)...)
	for i := 0; i < 3; i++ {
		e.must(400, "POST", "/v2/connect/commit", map[string]string{"otp": "111111"}, e.key("x-session-id", s)...)
	}
	golden(t, "v2_session_failed", e.must(400, "POST", "/v2/connect/commit", map[string]string{"otp": "123456"}, e.key("x-session-id", s)...).body)

	// another app cannot touch the session or the account
	e2 := &e2e{t: t, url: e.url}
	e2.signupApp("")
	e2.must(404, "POST", "/v2/connect/login", map[string]string{"username": "user_good", "password": "123456"}, e2.key("x-session-id", s)...)
	e2.must(404, "GET", "/v2/accounts/"+id, nil, e2.key()...)
	e2.must(404, "GET", "/accounts/"+id, nil, e2.key()...)
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	gt := e.institution("GTBank")
	body := map[string]string{"institution": gt, "auth_method": "internet_banking"}
	a := e.must(200, "POST", "/v1/connect/session", body, e.key("Idempotency-Key", "k-1")...)
	b := e.must(200, "POST", "/v1/connect/session", body, e.key("Idempotency-Key", "k-1")...)
	if string(a.body) != string(b.body) || b.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry with the same key: %s vs %s", a.body, b.body)
	}
	c := e.must(409, "POST", "/v1/connect/session", map[string]string{"institution": gt, "auth_method": "mobile_banking"}, e.key("Idempotency-Key", "k-1")...)
	if !strings.Contains(c.m(t)["message"].(string), "different request") {
		t.Fatalf("same key, different body: %s", c.body)
	}
	// a login retried with its key does not log in twice
	sid := a.m(t)["id"].(string)
	l1 := e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "123456"}, e.key("x-session-id", sid, "Idempotency-Key", "login-1")...)
	l2 := e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "123456"}, e.key("x-session-id", sid, "Idempotency-Key", "login-1")...)
	if string(l1.body) != string(l2.body) {
		t.Fatal("replayed login differs")
	}
	code := l1.m(t)["data"].(map[string]any)["code"].(string)
	x1 := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key("Idempotency-Key", "x-1")...)
	x2 := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key("Idempotency-Key", "x-1")...)
	if string(x1.body) != string(x2.body) {
		t.Fatalf("exchange retry: %s vs %s", x1.body, x2.body)
	}
	e.must(400, "POST", "/account/auth", map[string]string{"code": code}, e.key("Idempotency-Key", "x-2")...)
}

// TestFirstFetchSurvivesRestart stops kobo while the first fetch of a slow
// bank is in flight and starts it again on the same data: the fetch
// resumes and completes.
func TestFirstFetchSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startE2E(t, e2eOpts{dir: dir})
	e.signupApp("")
	gt := e.institution("GTBank")
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
	r := e.must(200, "POST", "/v1/connect/login", map[string]string{"username": "user_slow", "password": "123456"}, e.key("x-session-id", s)...)
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	id := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
	time.Sleep(500 * time.Millisecond) // the fetch is now waiting on the slow bank
	e.stop()
	e2 := startE2E(t, e2eOpts{dir: dir})
	e2.sk = e.sk
	waitUntil(t, "the resumed fetch", 60*time.Second, func() bool {
		m := e2.must(200, "GET", "/accounts/"+id, nil, e2.key()...).m(t)
		return m["meta"].(map[string]any)["data_status"] == "AVAILABLE"
	})
}

func linkUser(t *testing.T, e *e2e, inst, user string, mfa map[string]string) string {
	t.Helper()
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": inst}, e.key()...).m(t)["id"].(string)
	r := e.must(200, "POST", "/v1/connect/login", map[string]string{"username": user, "password": "123456"}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] == float64(102) {
		r = e.must(200, "POST", "/v1/connect/commit", mfa, e.key("x-session-id", s)...)
	}
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	return e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
}

func status(t *testing.T, e *e2e, id string) string {
	return e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["meta"].(map[string]any)["data_status"].(string)
}

// TestSyncReauthUnlinkAndWebhooks follows the seed post "Understanding Data
// Sync and Re-authorisation": link, sync, the bank wants MFA again
// (reauthorisation_required), reauthorise, account_reauthorized, then
// account_updated; then unlink. Every webhook is signed and checked.
func TestSyncReauthUnlinkAndWebhooks(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); syncReauthUnlink(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); syncReauthUnlink(t, e2eOpts{postgres: true, dsn: postgresDSN(t)}) })
}

func syncReauthUnlink(t *testing.T, o e2eOpts) {
	hooks := newHookReceiver(t)
	e := startE2E(t, o)
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	gt := e.institution("GTBank")
	id := linkUser(t, e, gt, "user_reauth", map[string]string{"otp": "123456"})
	waitUntil(t, "connected and updated", 20*time.Second, func() bool {
		return strings.Join(hooks.types(id), ",") == "account_connected,account_updated"
	})

	// a month passes at the bank; the token has expired, the bank wants MFA
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, e.key()...)
	r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...)
	golden(t, "v1_sync_reauth_required", r.body)
	waitUntil(t, "reauthorisation_required", 10*time.Second, func() bool {
		return strings.Contains(strings.Join(hooks.types(id), ","), "reauthorisation_required")
	})
	tok := e.must(200, "POST", "/accounts/"+id+"/reauthorise", nil, e.key()...)
	golden(t, "v1_reauthorise", tok.body)

	// headless re-auth, kobo's shortcut: the session opens (99), then a
	// login without credentials uses the saved ones and answers the bank's
	// OTP with the one sent
	r = e.must(200, "POST", "/v2/connect/reauth/session", map[string]string{"account": id}, e.key()...)
	golden(t, "v2_reauth_session", r.body)
	d := r.m(t)["data"].(map[string]any)
	if d["responseCode"] != float64(99) {
		t.Fatalf("reauth session: %s", r.body)
	}
	r = e.must(200, "POST", "/v2/connect/reauth/login", map[string]string{"otp": "123456"}, e.key("x-session-id", d["session_id"].(string))...)
	golden(t, "v2_reauth_login", r.body)
	waitUntil(t, "reauthorized then updated", 20*time.Second, func() bool {
		return strings.HasSuffix(strings.Join(hooks.types(id), ","), "account_reauthorized,account_updated")
	})
	if s := status(t, e, id); s != "AVAILABLE" {
		t.Fatalf("after re-auth: %s", s)
	}
	// not needed any more
	golden(t, "v1_reauthorise_refused", e.must(400, "POST", "/accounts/"+id+"/reauthorise", nil, e.key()...).body)

	// user_good syncs fine: SYNC_SUCCESSFUL, then the 2-minute limit
	good := linkUser(t, e, gt, "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, good) == "AVAILABLE" })
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 3}, e.key()...)
	r = e.must(200, "POST", "/accounts/"+good+"/sync", nil, e.key()...)
	golden(t, "v1_sync_successful", r.body)
	if r.m(t)["hasNewData"] != true {
		t.Fatalf("three days later the sync found nothing new: %s", r.body)
	}
	limited := e.must(429, "POST", "/accounts/"+good+"/sync", nil, e.key()...)
	golden(t, "v1_sync_rate_limited", limited.body)
	if limited.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}

	// v2 real-time: headers report the job
	rt := e.must(200, "GET", "/v2/accounts/"+good, nil, e.key("x-realtime", "true")...)
	jobID := rt.header.Get("x-job-id")
	if jobID == "" || (rt.header.Get("x-job-status") != "finished" && rt.header.Get("x-job-status") != "processing") || rt.header.Get("x-has-new-data") == "" {
		t.Fatalf("real-time headers = %v", rt.header)
	}
	again := e.must(200, "GET", "/v2/accounts/"+good, nil, e.key("x-realtime", "true")...)
	if again.header.Get("x-job-id") != jobID {
		t.Fatal("a second real-time call inside 5 minutes started a new job")
	}
	golden(t, "v2_job", e.must(200, "GET", "/v2/accounts/"+good+"/jobs/"+jobID, nil, e.key()...).body)

	// sandbox controls: fire any event; reset_login makes the next sync need re-auth
	golden(t, "v2_sandbox_fire", e.must(200, "POST", "/v2/sandbox/accounts/"+good+"/webhooks/fire", map[string]string{"event": "mono.events.sync_failed"}, e.key()...).body)
	third := linkUser(t, e, gt, "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, third) == "AVAILABLE" })
	e.must(200, "POST", "/v2/sandbox/accounts/"+third+"/reset_login", nil, e.key()...)
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]float64{"hours": 1}, e.key()...)
	if r := e.must(200, "POST", "/accounts/"+third+"/sync", nil, e.key()...); r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("after reset_login: %s", r.body)
	}

	// unlink
	golden(t, "v1_unlink", e.must(200, "POST", "/accounts/"+id+"/unlink", nil, e.key()...).body)
	e.must(404, "GET", "/accounts/"+id, nil, e.key()...)
	waitUntil(t, "account_unlinked", 10*time.Second, func() bool {
		return strings.HasSuffix(strings.Join(hooks.types(id), ","), "account_unlinked")
	})
	if hooks.bad > 0 {
		t.Fatalf("%d webhooks failed signature checks", hooks.bad)
	}
	// the delivery log and the pull feed agree with what arrived
	log := e.must(200, "GET", "/v1/apps/"+e.app["id"].(string)+"/webhooks/deliveries?limit=500", nil, "Authorization", e.auth).m(t)
	if n := len(log["data"].([]any)); n < len(hooks.types("")) {
		t.Fatalf("delivery log has %d entries, receiver got %d", n, len(hooks.types("")))
	}
	time.Sleep(1100 * time.Millisecond) // the feed holds back the last second
	feed := e.must(200, "GET", "/v1/apps/"+e.app["id"].(string)+"/events?limit=1000", nil, "Authorization", e.auth).m(t)
	if n := len(feed["data"].([]any)); n < len(hooks.types("")) {
		t.Fatalf("feed has %d events, receiver got %d", n, len(hooks.types("")))
	}
}
