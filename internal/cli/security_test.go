package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink many goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// accountRoutes is every route that reads or acts on one linked account.
var accountRoutes = []struct{ method, path string }{
	{"GET", "/accounts/{id}"}, {"GET", "/v2/accounts/{id}"},
	{"GET", "/accounts/{id}/transactions"}, {"GET", "/v2/accounts/{id}/transactions"}, {"GET", "/v2/accounts/{id}/transactions/sync"},
	{"GET", "/accounts/{id}/credits"}, {"GET", "/accounts/{id}/debits"}, {"GET", "/v2/accounts/{id}/balance"},
	{"GET", "/accounts/{id}/identity"}, {"GET", "/v2/accounts/{id}/identity"},
	{"GET", "/accounts/{id}/statement?period=last1months"}, {"GET", "/v2/accounts/{id}/statement?period=last1months"},
	{"GET", "/accounts/{id}/statement?period=last1months&output=pdf"},
	{"GET", "/accounts/{id}/income"}, {"GET", "/v2/accounts/{id}/income"}, {"GET", "/v2/accounts/{id}/income/records"},
	{"POST", "/accounts/{id}/sync"}, {"POST", "/accounts/{id}/reauthorise"}, {"GET", "/v2/accounts/{id}/jobs/job1"},
	{"GET", "/v2/accounts/jobs/{job}"}, // the job tracker: a real job of the account, by id alone
	{"POST", "/v2/sandbox/accounts/{id}/webhooks/fire"}, {"POST", "/v2/sandbox/accounts/{id}/reset_login"},
	{"POST", "/accounts/{id}/unlink"}, {"POST", "/v2/accounts/{id}/unlink"},
}

// TestTenantIsolation calls every account route for one app's account with
// another app's secret key (another partner's, and the same partner's
// other app), the app's own public key, its live key on sandbox data, a
// made-up key and no key: 401 or 404 everywhere, and never the account's
// data. Partner API routes get the same treatment with another partner's
// token, an expired token and none.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	// Tokens live an hour of the stack's clock, which the check below
	// moves past that: the owner's first token is then expired, while the
	// stranger's, taken after the move, is live (so it fails for being
	// another partner's, not for its age).
	clk := &shiftClock{}
	e := startE2E(t, e2eOpts{tokenTTL: time.Hour, clock: clk})
	e.signupApp("")
	owner := *e
	id := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
	number := acct["accountNumber"].(string)
	idt := e.must(200, "GET", "/accounts/"+id+"/identity", nil, e.key()...).m(t)
	name := idt["fullName"].(string)
	job := e.must(200, "GET", "/v2/accounts/"+id, nil, e.key("x-realtime", "true")...).header.Get("x-job-id")
	if job == "" {
		t.Fatal("a real-time call named no job")
	}
	e.must(200, "GET", "/v2/accounts/jobs/"+job, nil, e.key()...)

	// The same partner's second app, and its live keys.
	e.relogin()
	second := e.must(201, "POST", "/v1/apps", map[string]any{"name": "second"}, "Authorization", e.auth).m(t)
	live := e.must(200, "PATCH", "/v1/apps/"+e.app["id"].(string), map[string]any{"live": true}, "Authorization", e.auth).m(t)
	liveKey, _ := live["secret_key"].(string)
	if !strings.HasPrefix(liveKey, "live_sk_") {
		t.Fatalf("going live gave no live secret key: %v", live)
	}
	// Another partner.
	stranger := &e2e{t: t, url: e.url}
	stranger.signupApp("")

	callers := map[string][]string{
		"another partner's secret key": {"mono-sec-key", stranger.sk},
		"the partner's other app":      {"mono-sec-key", second["secret_key"].(string)},
		"the app's public key":         {"mono-sec-key", owner.pk},
		"the app's live key":           {"mono-sec-key", liveKey},
		"a made-up key":                {"mono-sec-key", "test_sk_" + strings.Repeat("x", 32)},
		"no key":                       {},
	}
	for who, h := range callers {
		for _, rt := range accountRoutes {
			path := strings.NewReplacer("{id}", id, "{job}", job).Replace(rt.path)
			r := e.do(rt.method, path, map[string]any{}, h...)
			if r.status != 401 && r.status != 404 {
				t.Errorf("%s %s with %s: %d %s", rt.method, path, who, r.status, r.body)
			}
			if bytes.Contains(r.body, []byte(number)) || bytes.Contains(r.body, []byte(name)) {
				t.Errorf("%s %s with %s leaked the account: %s", rt.method, path, who, r.body)
			}
		}
	}
	// The owner still sees it: nothing above unlinked it.
	e.must(200, "GET", "/accounts/"+id, nil, e.key()...)

	appPaths := []struct{ method, path string }{{"GET", "/v1/apps/{app}"}, {"PATCH", "/v1/apps/{app}"}, {"DELETE", "/v1/apps/{app}"},
		{"POST", "/v1/apps/{app}/keys/rotate"}, {"POST", "/v1/apps/{app}/webhook/rotate"}, {"GET", "/v1/apps/{app}/webhooks/deliveries"},
		{"POST", "/v1/apps/{app}/webhooks/test"}, {"POST", "/v1/apps/{app}/webhooks/replay"}, {"GET", "/v1/apps/{app}/events"}}
	clk.advance(time.Hour + time.Minute) // the owner's first partner token has expired
	stranger.relogin()
	for who, h := range map[string][]string{"another partner": {"Authorization", stranger.auth}, "an expired token": {"Authorization", owner.auth}, "no token": {}} {
		for _, rt := range appPaths {
			path := strings.ReplaceAll(rt.path, "{app}", owner.app["id"].(string))
			r := e.do(rt.method, path, map[string]any{}, h...)
			if r.status != 401 && r.status != 404 {
				t.Errorf("%s %s with %s: %d %s", rt.method, path, who, r.status, r.body)
			}
		}
	}
	e.must(200, "GET", "/accounts/"+id, nil, e.key()...)
}

// TestNoSecretsInLogsOrDatabase links accounts (password, OTP, security
// answer), reads identity, re-authorises, and rotates keys with debug
// logging on, then scans every log line for any secret key, partner
// password, bank credential, OTP or answer, full BVN or full account
// number; and scans the SQLite files byte by byte for bank credentials in
// plain text.
func TestNoSecretsInLogsOrDatabase(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	hooks := newHookReceiver(t)
	e := startE2E(t, e2eOpts{logs: logs})
	e.signupApp(hooks.srv.URL)
	secrets := []string{e.sk, "a long passphrase", e.app["webhook_secret"].(string)}
	gt := e.institution("GTBank")
	var ids []string
	for _, u := range []struct {
		user string
		mfa  map[string]string
	}{{"user_otp", map[string]string{"otp": "123456"}}, {"user_question", map[string]string{"answer": "adebayo"}}, {"user_reauth", map[string]string{"otp": "123456"}}} {
		id := linkUser(t, e, gt, u.user, u.mfa)
		waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
		ids = append(ids, id)
		idt := e.must(200, "GET", "/accounts/"+id+"/identity", nil, e.key()...).m(t)
		a := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
		secrets = append(secrets, idt["bvn"].(string), a["accountNumber"].(string))
	}
	// the first fetch's job must be finished, or the sync joins it
	waitUntil(t, "account_updated", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(ids[2]), ","), "account_updated") })
	time.Sleep(200 * time.Millisecond)
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, e.key()...)
	syncRes := e.must(200, "POST", "/accounts/"+ids[2]+"/sync", nil, e.key()...)
	var tok string
	if !bytes.Contains(syncRes.body, []byte("REAUTHORISATION_REQUIRED")) {
		t.Fatalf("sync of user_reauth a month later: %s", syncRes.body)
	}
	waitUntil(t, "re-authorisation needed", 20*time.Second, func() bool {
		r := e.do("POST", "/accounts/"+ids[2]+"/reauthorise", nil, e.key()...)
		if r.status == 200 {
			tok = r.m(t)["token"].(string)
		}
		return tok != ""
	})
	secrets = append(secrets, tok)
	rot := e.must(200, "POST", "/v1/apps/"+e.app["id"].(string)+"/keys/rotate", nil, "Authorization", e.auth).m(t)
	secrets = append(secrets, rot["secret_key"].(string), strings.TrimPrefix(e.auth, "Bearer "))
	e.stop() // flush everything

	out := logs.String()
	if !strings.Contains(out, `"msg":"http request"`) {
		t.Fatalf("debug logging did not capture requests:\n%.2000s", out)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("a secret (%.6s…) is in the logs", s)
		}
	}
	// bank credentials and second factors, in any field
	cred := regexp.MustCompile(`(?i)"(password|otp|answer|pin|token|passcode)"\s*:\s*"(123456|adebayo|1234|246810)"|user_(otp|question|reauth)`)
	if m := cred.FindString(out); m != "" {
		t.Errorf("a bank credential is in the logs: %s", m)
	}

	// The database: bank usernames, passwords and answers must not be
	// stored in the clear anywhere (live tables, free pages or WAL).
	files, _ := filepath.Glob(filepath.Join(e.dir, "kobo.db*"))
	if len(files) == 0 {
		t.Fatalf("no database files in %s", e.dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"user_otp", "user_question", "user_reauth", `"123456"`, "adebayo", "a long passphrase", e.sk} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in plain text", filepath.Base(f), s)
			}
		}
	}
}
