package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestStatementVerificationPage: a statement PDF links kobo's
// verification page (its URL is in the PDF as a link); the page, with no
// login, names the statement, bank, requester and period, masks the
// account number, and shows the SHA-256 of exactly the PDF that was
// served. A wrong token or an unknown id is the same 404.
func TestStatementVerificationPage(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	e.auth = "Bearer " + e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	e.app = e.must(201, "POST", "/v1/apps", map[string]any{"name": "loans", "display_name": "Acme Loans"}, "Authorization", e.auth).m(t)
	e.sk = e.app["secret_key"].(string)
	id := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
	number := acct["accountNumber"].(string)

	job := e.must(200, "GET", "/accounts/"+id+"/statement?period=last3months&output=pdf", nil, e.key()...).m(t)
	var path string
	waitUntil(t, "statement built", 30*time.Second, func() bool {
		j := e.must(200, "GET", "/accounts/"+id+"/statement/jobs/"+job["id"].(string), nil, e.key()...).m(t)
		path, _ = j["path"].(string)
		return j["status"] == "BUILT"
	})
	u, _ := url.Parse(path)
	pdf := e.must(200, "GET", u.RequestURI(), nil).body
	m := regexp.MustCompile(`/URI \((https?://[^)]+/verify/statements/([0-9A-Za-z]+)\?t=([0-9a-f]{32}))\)`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("the statement PDF links no verification page")
	}
	if string(m[2]) != job["id"].(string) {
		t.Errorf("the PDF verifies statement %s, want %s", m[2], job["id"])
	}
	vu, _ := url.Parse(string(m[1]))
	page := e.must(200, "GET", vu.RequestURI(), nil)
	body := string(page.body)
	sum := sha256.Sum256(pdf)
	for _, want := range []string{"Issued by kobo.", "sandbox", string(m[2]), "GTBank", "Acme Loans", hex.EncodeToString(sum[:]), "••••••" + number[len(number)-4:], `id="verify-file"`} {
		if !strings.Contains(body, want) {
			t.Errorf("verification page lacks %q", want)
		}
	}
	if strings.Contains(body, number) {
		t.Error("the verification page shows the whole account number")
	}
	if page.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", page.header.Get("Referrer-Policy"))
	}
	bad := e.must(404, "GET", strings.Replace(vu.RequestURI(), "?t="+string(m[3][:4]), "?t=0000", 1), nil)
	unknown := e.must(404, "GET", "/verify/statements/000000000000000000000000?t="+string(m[3]), nil)
	for _, b := range [][]byte{bad.body, unknown.body} {
		if !strings.Contains(string(b), "Not verified.") || strings.Contains(string(b), "GTBank") {
			t.Errorf("a bad link's page: %.400s", b)
		}
	}
}
