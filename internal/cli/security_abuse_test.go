package cli

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// dashClient is a browser without JavaScript: a cookie jar, the CSRF token
// from the forms, and no redirects followed (so tests see them).
type dashClient struct {
	t    *testing.T
	e    *e2e
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newDashClient(t *testing.T, e *e2e) *dashClient {
	jar, _ := cookiejar.New(nil)
	d := &dashClient{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, _, body := d.get("/dashboard/login", "")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the login page: %.300s", body)
	}
	d.csrf = m[1]
	return d
}

func (d *dashClient) send(req *http.Request, host string) (int, http.Header, string) {
	d.t.Helper()
	if host != "" {
		// the client picks cookies by the Host it sends; send the jar's
		// for kobo's own URL by hand
		req.Host = host
		for _, c := range d.c.Jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
	}
	res, err := d.c.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// get fetches path; host, when set, is sent as the Host header.
func (d *dashClient) get(path, host string) (int, http.Header, string) {
	d.t.Helper()
	req, _ := http.NewRequest("GET", d.e.url+path, nil)
	return d.send(req, host)
}

func (d *dashClient) post(path string, form url.Values, host string) (int, http.Header, string) {
	d.t.Helper()
	form.Set("csrf", d.csrf)
	req, _ := http.NewRequest("POST", d.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return d.send(req, host)
}

// TestDashboardSignupAllOrNothing (audit finding 9): a dashboard signup
// either creates the partner and logs them in, or writes nothing. Failed
// logins for the address (someone probing it before it existed) no longer
// leave a created account behind a 429; and a signup refused by the
// signup throttle leaves no partner.
func TestDashboardSignupAllOrNothing(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	email := kobo.RandomToken(8) + "@acme.ng"
	for range 6 {
		e.do("POST", "/v1/auth/login", map[string]string{"email": email, "password": "not the password"})
	}
	d := newDashClient(t, e)
	st, h, body := d.post("/dashboard/signup", url.Values{"name": {"Acme"}, "email": {email}, "password": {"a long passphrase"}}, "")
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/dashboard/") {
		t.Fatalf("dashboard signup after failed logins for the address: %d %s %.300s", st, h.Get("Location"), body)
	}
	if st, _, body := d.get("/dashboard/", ""); st != 200 || !strings.Contains(body, "Acme") {
		t.Fatalf("the new partner is not logged in: %d %.300s", st, body)
	}

	// Spend the address's signups through the API, then try the dashboard.
	limited := false
	for i := 0; i < 30 && !limited; i++ {
		r := e.do("POST", "/v1/auth/signup", map[string]string{"name": "Spam", "email": kobo.RandomToken(8) + "@spam.ng", "password": "a long passphrase"})
		limited = r.status == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("30 signups from one address were never throttled")
	}
	late := kobo.RandomToken(8) + "@acme.ng"
	st, h, body = newDashClient(t, e).post("/dashboard/signup", url.Values{"name": {"Late"}, "email": {late}, "password": {"a long passphrase"}}, "")
	if st != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("throttled dashboard signup: %d Retry-After %q %.300s", st, h.Get("Retry-After"), body)
	}
	if r := e.do("POST", "/v1/auth/login", map[string]string{"email": late, "password": "a long passphrase"}); r.status != http.StatusUnauthorized {
		t.Fatalf("the throttled signup left a partner behind: login %d %s", r.status, r.body)
	}
}

// TestDashboardShowsNoAttackerText (audit finding 9): nothing in a URL
// puts words or links on a dashboard page: ?flash= shows only kobo's own
// messages, ?reauth_url= is ignored, and links are built on the
// configured public URL whatever Host header the request carries.
func TestDashboardShowsNoAttackerText(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	e.auth = "Bearer " + e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	e.app = e.must(201, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", e.auth).m(t)
	e.sk = e.app["secret_key"].(string)
	appID := e.app["id"].(string)
	id := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })

	d := newDashClient(t, e)
	lie := "Your keys leaked: rotate them at evil.example"
	if _, _, body := d.get("/dashboard/login?flash="+url.QueryEscape(lie), ""); strings.Contains(body, "evil.example") {
		t.Fatal("the login page shows a flash message from its URL")
	}
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("dashboard login: %d %.300s", st, body)
	}
	acct := "/dashboard/apps/" + appID + "/accounts/" + id
	if _, _, body := d.get(acct+"?reauth_url="+url.QueryEscape("https://evil.example/phish"), ""); strings.Contains(body, "evil.example") {
		t.Fatal("the account page shows a re-auth link from its URL")
	}
	// the link rides a one-time server-side flash through the redirect,
	// never the URL
	st, h, body := d.post(acct+"/reauth", url.Values{}, "evil.example")
	if st != http.StatusSeeOther || strings.Contains(h.Get("Location"), "link") || strings.Contains(h.Get("Location"), "evil.example") {
		t.Fatalf("re-auth link with Host: evil.example: %d Location %q\n%.300s", st, h.Get("Location"), body)
	}
	_, _, body = d.get(h.Get("Location"), "evil.example")
	if strings.Contains(body, "evil.example") || !strings.Contains(body, e.url+"/connect/?link=") {
		t.Fatalf("after the redirect, link on the page: %v\n%s", strings.Contains(body, e.url+"/connect/?link="), body)
	}
	if _, _, body = d.get(h.Get("Location"), ""); strings.Contains(body, "/connect/?link=") {
		t.Fatal("a refresh shows the re-auth link again")
	}
	if _, _, body := d.get("/dashboard/apps/"+appID+"/sandbox", "evil.example"); strings.Contains(body, "evil.example") {
		t.Fatal("the sandbox page builds links on the Host header")
	}
}

// TestHealthzPublishesNoVersion (audit finding 9): the public /healthz
// says ok and nothing about the build: the Go version tells an attacker
// which advisories to try.
func TestHealthzPublishesNoVersion(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	r := e.must(200, "GET", "/healthz", nil)
	if strings.Contains(string(r.body), "go1.") || strings.Contains(string(r.body), "version") {
		t.Fatalf("public /healthz: %s", r.body)
	}
}

// TestWidgetReauthNeedsToken (audit finding 3): the public key alone
// cannot make kobo log in to a customer's bank with the stored
// credentials. Re-authorisation from the widget needs a token from
// POST /accounts/{id}/reauthorise (or a Connect Link of scope reauth), for
// an account that needs it, and is throttled per account.
func TestWidgetReauthNeedsToken(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	gt := e.institution("GTBank")
	id := linkUser(t, e, gt, "user_reauth", map[string]string{"otp": "123456"})
	other := linkUser(t, e, gt, "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" && status(t, e, other) == "AVAILABLE" })
	widget := func(body map[string]any) res {
		t.Helper()
		return e.do("POST", "/connect/api/session", body, "x-public-key", e.pk)
	}
	// an account that does not need re-authorisation
	if r := widget(map[string]any{"scope": "reauth", "account": id}); r.status < 400 || r.status == 429 {
		t.Fatalf("public key + account id: %d %s", r.status, r.body)
	}
	// one that does
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, e.key()...)
	if r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...); r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("sync: %s", r.body)
	}
	for range 5 {
		if r := widget(map[string]any{"scope": "reauth", "account": id}); r.status < 400 || r.status == 429 {
			t.Fatalf("public key + account id of an account needing re-auth: %d %s", r.status, r.body)
		}
	}
	if r := widget(map[string]any{"scope": "reauth", "account": id}); !strings.Contains(string(r.body), "/reauthorise") {
		t.Fatalf("the refusal does not say how to re-authorise: %s", r.body)
	}
	token := e.must(200, "POST", "/accounts/"+id+"/reauthorise", nil, e.key()...).m(t)["token"].(string)
	// a token names its account: it does not open another
	if r := widget(map[string]any{"scope": "reauth", "reauth_token": token, "account": other}); r.status < 400 {
		t.Fatalf("token for one account, id of another: %d %s", r.status, r.body)
	}
	// connect.js ≤2.0 sends reauth_token; Mono's 2.1+ sends what
	// reauthorise() was given as data.account
	for _, body := range []map[string]any{{"reauth_token": token}, {"scope": "reauth", "account": token}} {
		r := widget(body)
		if r.status != 200 || r.m(t)["reauth"] != true {
			t.Fatalf("widget re-auth with %v: %d %s", body, r.status, r.body)
		}
	}
	// a token is no licence to hammer the bank
	limited := false
	for i := 0; i < 30 && !limited; i++ {
		limited = widget(map[string]any{"reauth_token": token}).status == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("30 re-authorisation starts with one token were never throttled")
	}
}

// TestConnectLinksDieWithModeAndKeys (audit finding 6): a Connect Link is
// bound to the mode and the keys it was made with: switching the app back
// to sandbox kills its live links, rotating keys kills that mode's links,
// and link requests spend the per-key rate limit like widget requests.
func TestConnectLinksDieWithModeAndKeys(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	appID := e.app["id"].(string)
	live := e.must(200, "PATCH", "/v1/apps/"+appID, map[string]any{"live": true}, "Authorization", e.auth).m(t)
	liveSK := live["secret_key"].(string)
	link := func(sk string) string {
		t.Helper()
		r := e.must(200, "POST", "/v2/accounts/initiate", map[string]any{"customer": map[string]string{"name": "Ada Obi", "email": "ada@example.ng"}}, "mono-sec-key", sk)
		u, _ := url.Parse(r.m(t)["data"].(map[string]any)["mono_url"].(string))
		return u.Query().Get("link")
	}
	open := func(tok string) res {
		t.Helper()
		return e.do("GET", "/connect/api/config", nil, "x-link-token", tok)
	}
	liveLink, testLink := link(liveSK), link(e.sk)
	if r := open(liveLink); r.status != 200 || r.m(t)["app"].(map[string]any)["live"] != true {
		t.Fatalf("live link: %d %s", r.status, r.body)
	}
	e.must(200, "PATCH", "/v1/apps/"+appID, map[string]any{"live": false}, "Authorization", e.auth)
	if r := open(liveLink); r.status != 401 && r.status != 410 {
		t.Fatalf("a live link after the app went back to sandbox: %d %s", r.status, r.body)
	}
	if r := open(testLink); r.status != 200 {
		t.Fatalf("a sandbox link after leaving live: %d %s", r.status, r.body)
	}
	e.must(200, "POST", "/v1/apps/"+appID+"/keys/rotate?mode=test", nil, "Authorization", e.auth)
	if r := open(testLink); r.status != 401 && r.status != 410 {
		t.Fatalf("a sandbox link after the sandbox keys were rotated: %d %s", r.status, r.body)
	}
}

// TestConnectLinksRateLimited (audit finding 6): requests made with a
// Connect Link spend the app's per-key budget like the widget's public
// key does.
func TestConnectLinksRateLimited(t *testing.T) {
	t.Parallel()
	// Time stands still, so the per-key bucket (burst 200) cannot refill
	// while a loaded machine serves the requests: 1,000 must run it dry.
	t0 := time.Now().UTC()
	e := startE2E(t, e2eOpts{limits: true, clock: kobo.ClockFunc(func() time.Time { return t0 })})
	e.signupApp("")
	r := e.must(200, "POST", "/v2/accounts/initiate", map[string]any{"customer": map[string]string{"name": "Ada Obi", "email": "ada@example.ng"}}, e.key()...)
	u, _ := url.Parse(r.m(t)["data"].(map[string]any)["mono_url"].(string))
	tok := u.Query().Get("link")
	n := 0
	for ; n < 1000; n++ {
		if e.do("GET", "/connect/api/config", nil, "x-link-token", tok).status == http.StatusTooManyRequests {
			break
		}
	}
	if n == 1000 {
		t.Fatal("1000 requests with one Connect Link were never rate limited")
	}
}
