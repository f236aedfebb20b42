package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	obieface "github.com/kobo-oss/kobo/internal/banksim/obie"
)

var obieFlowRe = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// obieAtBank is the customer at the bank's page: it follows kobo's
// redirect URL, logs in (no second factor for these users) and returns
// the URL the bank sends the browser back to.
func obieAtBank(t *testing.T, lb *obieface.Loopback, authURL, user string) *url.URL {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(lb.PKI.CA)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := obieFlowRe.FindSubmatch(body)
	if m == nil {
		t.Fatalf("bank page: %d %s", resp.StatusCode, body)
	}
	resp, err = c.PostForm(lb.URL+"/authorize", url.Values{"flow": {string(m[1])}, "username": {user}, "password": {"123456"}, "action": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("bank login: %d", resp.StatusCode)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	return u
}

// obieCallback is the browser arriving back at kobo's callback.
func obieCallback(t *testing.T, back *url.URL) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("kobo callback: %d %s", resp.StatusCode, b)
	}
}

// TestOBIELinkSyncReauth links a banksim user through banksim's OBIE face
// over mTLS on loopback, configured only by a banks file: the headless
// Connect API's redirect consent (103), the bank's login page, kobo's
// callback and the commit; then the first fetch (over 10,000
// transactions, paged with Links.Next), identity, a bank answering 429 and
// 5xx, and the consent lapsing: re-authorisation through a new consent
// keeps the same account id and history.
func TestOBIELinkSyncReauth(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); obieLinkSyncReauth(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); obieLinkSyncReauth(t, e2eOpts{postgres: true, dsn: postgresDSN(t)}) })
}

func obieLinkSyncReauth(t *testing.T, o e2eOpts) {
	clk := &shiftClock{}
	sim := banksim.New(banksim.Config{Seed: 3, Clock: clk})
	// a customer with a little over 10,000 transactions in a year
	w := httptest.NewRecorder()
	sim.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/admin/users", strings.NewReader(
		`{"username":"custom_obie","full_name":"AMARA OBI","accounts":[{"type":"CURRENT ACCOUNT","per_day":28,"history_days":500,"opening_kobo":1000000000000}]}`)))
	if w.Code != 201 {
		t.Fatalf("custom user: %d %s", w.Code, w.Body)
	}
	dir := t.TempDir()
	lb, err := obieface.StartLoopback(obieface.Config{Sim: sim, Clients: map[string][]string{"kobo-e2e": nil}, PageSize: 500}, "127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	banks := filepath.Join(dir, "banks.json")
	if err := os.WriteFile(banks, lb.BanksFile("simbank", "Sim Bank UK", "kobo-e2e"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.clock, o.banksFile = clk, banks
	e := startE2E(t, o)
	e.signupApp("")
	inst := e.institution("Sim Bank UK")

	link := func(sessionPath, loginPath, commitPath string, body map[string]string, user string) map[string]any {
		t.Helper()
		s := e.must(200, "POST", sessionPath, body, e.key()...).m(t)
		var sid string
		if d, ok := s["data"].(map[string]any); ok {
			if ss, ok := d["session"].(map[string]any); ok {
				sid = ss["id"].(string)
			} else {
				sid, _ = d["session_id"].(string)
			}
		}
		if sid == "" {
			t.Fatalf("session: %v", s)
		}
		r := e.must(200, "POST", loginPath, map[string]string{}, e.key("x-session-id", sid)...).m(t)
		d, _ := r["data"].(map[string]any)
		if r["responseCode"] != float64(103) && d["responseCode"] != float64(103) { // reauth answers in data
			t.Fatalf("login: %v", r)
		}
		authURL, _ := d["url"].(string)
		if !strings.HasPrefix(authURL, lb.URL+"/authorize?") || !strings.Contains(authURL, "request=") {
			t.Fatalf("redirect URL %s", authURL)
		}
		back := obieAtBank(t, lb, authURL, user)
		if !strings.HasPrefix(back.String(), e.url+"/connect/callback/obie?") {
			t.Fatalf("bank sent the customer to %s", back)
		}
		obieCallback(t, back)
		return e.must(200, "POST", commitPath, map[string]any{}, e.key("x-session-id", sid)...).m(t)
	}
	c := link("/v2/connect/session", "/v2/connect/login", "/v2/connect/commit", map[string]string{"institution": inst}, "custom_obie")
	if c["responseCode"] != float64(99) {
		t.Fatalf("commit: %v", c)
	}
	code := c["data"].(map[string]any)["code"].(string)
	id := e.must(200, "POST", "/v2/accounts/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
	start := time.Now()
	waitUntil(t, "first fetch", 120*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	t.Logf("first fetch through the OBIE face: %v", time.Since(start).Round(time.Millisecond))

	ctx := context.Background()
	std, _ := sim.StdAccounts(ctx, "", banksim.Catalog()[0].ID, "custom_obie")
	acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
	if acct["accountNumber"] != std[0].Number || acct["currency"] != "GBP" || acct["balance"] != float64(std[0].Balance) {
		t.Fatalf("account %v, simulator %+v", acct, std[0])
	}
	count := func() int {
		t.Helper()
		var out struct {
			Paging struct {
				Total float64 `json:"total"`
			} `json:"paging"`
		}
		json.Unmarshal(e.must(200, "GET", "/accounts/"+id+"/transactions?limit=1", nil, e.key()...).body, &out)
		return int(out.Paging.Total)
	}
	rows := count()
	t.Logf("the first fetch stored %d transactions", rows)
	if rows < 10_000 {
		t.Fatalf("first fetch stored %d rows, want over 10,000", rows)
	}
	idt := e.must(200, "GET", "/accounts/"+id+"/identity", nil, e.key()...)
	if !strings.Contains(string(idt.body), "AMARA OBI") {
		t.Fatalf("identity: %s", idt.body)
	}

	faults := func(body string) {
		w := httptest.NewRecorder()
		sim.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/admin/users/custom_obie/faults", strings.NewReader(body)))
		if w.Code != 200 {
			t.Fatalf("faults: %d", w.Code)
		}
	}
	// AVAILABLE comes before the first fetch's job ends, and a sync asked
	// for until then answers with that job's outcome without reading the
	// bank (app.SyncNow; reported, not changed here): sync until one has
	// read the bank, which the face's count of answers shows
	waitUntil(t, "a sync that reads the bank", 120*time.Second, func() bool {
		clk.advance(7 * time.Hour)
		before := lb.Face.Served(200)
		body := e.do("POST", "/accounts/"+id+"/sync", nil, e.key()...).body
		return strings.Contains(string(body), "SYNC_SUCCESSFUL") && lb.Face.Served(200) > before
	})
	waitUntil(t, "the sync's rows", 60*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	rows = count()
	for _, f := range []struct {
		body   string
		status int
	}{{`{"rate_limit":true}`, 429}, {`{"error_rate":1}`, 500}} {
		before := lb.Face.Served(f.status)
		faults(f.body)
		clk.advance(7 * time.Hour)
		r := e.do("POST", "/accounts/"+id+"/sync", nil, e.key()...)
		if strings.Contains(string(r.body), "SYNC_SUCCESSFUL") || strings.Contains(string(r.body), "REAUTHORISATION_REQUIRED") {
			t.Fatalf("sync with the bank answering %s: %d %s", f.body, r.status, r.body)
		}
		if lb.Face.Served(f.status) == before {
			t.Fatalf("the sync never met the bank's %d", f.status)
		}
		if n := count(); n != rows {
			t.Fatalf("a failed sync changed the rows: %d → %d", rows, n)
		}
	}
	faults(`{}`)
	clk.advance(7 * time.Hour)
	if r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...); !strings.Contains(string(r.body), "SYNC_SUCCESSFUL") {
		t.Fatalf("sync after the faults cleared: %s", r.body)
	}

	// the 90-day consent lapses: re-authorisation through a new consent
	clk.advance(91 * 24 * time.Hour)
	r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...)
	if !strings.Contains(string(r.body), "REAUTHORISATION_REQUIRED") {
		t.Fatalf("sync after the consent lapsed: %s", r.body)
	}
	// the second reauth/login continues the session, as commit does
	c = link("/v2/connect/reauth/session", "/v2/connect/reauth/login", "/v2/connect/reauth/login", map[string]string{"account": id}, "custom_obie")
	if b, _ := json.Marshal(c); !strings.Contains(string(b), "code") {
		t.Fatalf("re-authorisation commit: %s", b)
	}
	waitUntil(t, "available after re-authorisation", 120*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	var list struct {
		Data []map[string]any `json:"data"`
	}
	json.Unmarshal(e.must(200, "GET", "/v2/accounts", nil, e.key()...).body, &list)
	if len(list.Data) != 1 || list.Data[0]["id"] != id {
		t.Fatalf("after re-consent the accounts are %v, want the one account %s", list.Data, id)
	}
	if n := count(); n < rows {
		t.Fatalf("after re-consent %d rows, before %d", n, rows)
	}
}
