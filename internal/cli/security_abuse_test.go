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
	st, h, body := d.post(acct+"/reauth", url.Values{}, "evil.example")
	if st != 200 || strings.Contains(body, "evil.example") || !strings.Contains(body, e.url+"/connect/?link=") || strings.Contains(h.Get("Location"), "link=") {
		t.Fatalf("re-auth link with Host: evil.example: %d Location %q, link on the page: %v\n%s", st, h.Get("Location"), strings.Contains(body, e.url+"/connect/?link="), body)
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
