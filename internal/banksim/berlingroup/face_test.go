package berlingroup_test

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
	"github.com/kobo-oss/kobo/internal/kobo"
)

type env struct {
	t      *testing.T
	sim    *banksim.Sim
	base   string
	client *http.Client
	val    *conformance.Validator
	pki    *loopbackpki.PKI
}

// start serves a face over mTLS on loopback, with a client whose every
// response is validated against the spec; the test fails on any response
// that does not conform.
func start(t *testing.T, c berlingroup.Config) *env {
	t.Helper()
	spec := conformance.Require(t, berlingroup.SpecFile)
	if c.Sim == nil {
		c.Sim = banksim.New(banksim.Config{Seed: 7})
	}
	c.RequireClientCert = true
	f, err := berlingroup.New(c)
	if err != nil {
		t.Fatal(err)
	}
	p := newPKI(t)
	srv := httptest.NewUnstartedServer(f.Handler())
	srv.TLS = berlingroup.TLSConfig(p.Server, p.Roots())
	srv.StartTLS()
	t.Cleanup(srv.Close)
	val, err := berlingroup.NewValidator(spec, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: p.ClientTLS()}
	t.Cleanup(tr.CloseIdleConnections)
	e := &env{t: t, sim: c.Sim, base: srv.URL, val: val, pki: p,
		client: &http.Client{Transport: val.Transport(tr), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	t.Cleanup(func() {
		checked, failed := val.Counts()
		for _, fl := range val.Failures() {
			t.Errorf("response not conforming to the spec: %s", fl)
		}
		if checked == 0 && !t.Failed() && !t.Skipped() {
			t.Error("no response was validated")
		}
		t.Logf("%d responses validated against the spec, %d failed", checked, failed)
	})
	return e
}

// do sends a request and decodes a JSON answer into out (when non-nil).
func (e *env) do(method, path string, hdr map[string]string, body string, wantStatus int, out any) http.Header {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.base + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.Header
}

func (e *env) form(path string, v url.Values, wantStatus int) *http.Response {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.base + path
	}
	resp, err := e.client.PostForm(u, v)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != wantStatus {
		e.t.Fatalf("POST %s: status %d, want %d", path, resp.StatusCode, wantStatus)
	}
	return resp
}

type links map[string]struct {
	Href string `json:"href"`
}

type consentResp struct {
	ConsentID     string `json:"consentId"`
	ConsentStatus string `json:"consentStatus"`
	ScaStatus     string `json:"scaStatus"`
	Links         links  `json:"_links"`
}

func validUntil(e *env, days int) string {
	now, _ := e.sim.Now(e.t.Context(), "")
	return now.AddDate(0, 0, days).Format(time.DateOnly)
}

func consentBody(e *env, freq int) string {
	return `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"` + validUntil(e, 90) + `","frequencyPerDay":` + itoa(freq) + `,"combinedServiceIndicator":false}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func (e *env) status(id string) string {
	var s struct {
		ConsentStatus string `json:"consentStatus"`
	}
	e.do("GET", "/v1/consents/"+id+"/status", nil, "", 200, &s)
	return s.ConsentStatus
}

// embedded links a user through the EMBEDDED approach and returns the
// consent id.
func (e *env) embedded(user string, freq int) string {
	e.t.Helper()
	return e.embeddedBody(user, consentBody(e, freq))
}

func (e *env) embeddedBody(user, body string) string {
	e.t.Helper()
	var c consentResp
	h := e.do("POST", "/v1/consents", map[string]string{"PSU-ID": user, "TPP-Redirect-Preferred": "false", "PSU-IP-Address": "192.0.2.1"}, body, 201, &c)
	if h.Get("ASPSP-SCA-Approach") != "EMBEDDED" || c.ConsentStatus != "received" {
		e.t.Fatalf("approach %q, status %q", h.Get("ASPSP-SCA-Approach"), c.ConsentStatus)
	}
	var start struct {
		ScaStatus  string              `json:"scaStatus"`
		ScaMethods []map[string]string `json:"scaMethods"`
		Links      links               `json:"_links"`
	}
	e.do("POST", c.Links["startAuthorisationWithPsuAuthentication"].Href, map[string]string{"PSU-ID": user}, `{"psuData":{"password":"wrong"}}`, 401, nil)
	e.do("POST", c.Links["startAuthorisationWithPsuAuthentication"].Href, map[string]string{"PSU-ID": user}, `{"psuData":{"password":"123456"}}`, 201, &start)
	if start.ScaStatus != "psuAuthenticated" || len(start.ScaMethods) < 2 {
		e.t.Fatalf("start: %+v", start)
	}
	var sel struct {
		ScaStatus     string         `json:"scaStatus"`
		ChallengeData map[string]any `json:"challengeData"`
		Links         links          `json:"_links"`
	}
	e.do("PUT", start.Links["selectAuthenticationMethod"].Href, map[string]string{"PSU-ID": user}, `{"authenticationMethodId":"sms"}`, 200, &sel)
	if sel.ScaStatus != "scaMethodSelected" || sel.ChallengeData["otpMaxLength"] != float64(6) {
		e.t.Fatalf("select: %+v", sel)
	}
	if st := e.status(c.ConsentID); st != "received" {
		e.t.Fatalf("consent is %s before the OTP", st)
	}
	e.do("PUT", sel.Links["authoriseTransaction"].Href, nil, `{"scaAuthenticationData":"000000"}`, 401, nil)
	var fin struct {
		ScaStatus string `json:"scaStatus"`
	}
	e.do("PUT", sel.Links["authoriseTransaction"].Href, nil, `{"scaAuthenticationData":"`+banksim.TestOTP+`"}`, 200, &fin)
	if fin.ScaStatus != "finalised" {
		e.t.Fatalf("scaStatus %s", fin.ScaStatus)
	}
	if st := e.status(c.ConsentID); st != "valid" {
		e.t.Fatalf("consent is %s after SCA", st)
	}
	return c.ConsentID
}

type accountsResp struct {
	Accounts []struct {
		ResourceID string `json:"resourceId"`
		BBAN       string `json:"bban"`
		Currency   string `json:"currency"`
		OwnerName  string `json:"ownerName"`
		Links      links  `json:"_links"`
	} `json:"accounts"`
}

type txnsResp struct {
	Transactions struct {
		Booked  []map[string]any `json:"booked"`
		Pending []map[string]any `json:"pending"`
		Links   links            `json:"_links"`
	} `json:"transactions"`
}

func present(id string) map[string]string {
	return map[string]string{"Consent-ID": id, "PSU-IP-Address": "192.0.2.1"}
}

// allTransactions pages through an account's transactions from dateFrom.
func (e *env) allTransactions(id, acct, dateFrom string, dateTo ...string) (booked, pending []map[string]any, pages int) {
	e.t.Helper()
	next := "/v1/accounts/" + acct + "/transactions?bookingStatus=both&dateFrom=" + dateFrom
	for _, d := range dateTo {
		next += "&dateTo=" + d
	}
	for next != "" {
		var tr txnsResp
		e.do("GET", next, present(id), "", 200, &tr)
		booked = append(booked, tr.Transactions.Booked...)
		pending = append(pending, tr.Transactions.Pending...)
		next = tr.Transactions.Links["next"].Href
		pages++
		if pages > 1000 {
			e.t.Fatal("pagination does not end")
		}
	}
	return booked, pending, pages
}

func TestEmbeddedReadsAccountsBalancesTransactions(t *testing.T) {
	e := start(t, berlingroup.Config{})
	id := e.embedded("user_multi", 4)
	var accts accountsResp
	e.do("GET", "/v1/accounts", present(id), "", 200, &accts)
	if len(accts.Accounts) != 3 || accts.Accounts[0].Currency != "NGN" || accts.Accounts[0].OwnerName != "BABATUNDE OLUWASEUN ADEYEMI" {
		t.Fatalf("accounts: %+v", accts)
	}
	a := accts.Accounts[0]
	var withBal struct {
		Accounts []struct {
			Balances []map[string]any `json:"balances"`
		} `json:"accounts"`
	}
	e.do("GET", "/v1/accounts?withBalance=true", present(id), "", 200, &withBal)
	if len(withBal.Accounts) != 3 || len(withBal.Accounts[0].Balances) != 2 {
		t.Fatalf("accounts withBalance: %+v", withBal)
	}
	var bal struct {
		Balances []struct {
			BalanceType   string `json:"balanceType"`
			BalanceAmount struct{ Currency, Amount string }
		} `json:"balances"`
	}
	e.do("GET", a.Links["balances"].Href, present(id), "", 200, &bal)
	if len(bal.Balances) != 2 || bal.Balances[1].BalanceType != "interimAvailable" {
		t.Fatalf("balances: %+v", bal)
	}
	from := time.Now().AddDate(0, -3, 0).Format(time.DateOnly)
	booked, pending, _ := e.allTransactions(id, a.ResourceID, from)
	if len(booked) < 100 {
		t.Fatalf("%d booked transactions over 3 months", len(booked))
	}
	for _, x := range pending {
		if _, ok := x["bookingDate"]; ok {
			t.Fatalf("a pending transaction has a bookingDate: %v", x)
		}
	}
	// the last booked balance plus the pending movements is the available balance
	last := booked[len(booked)-1]["balanceAfterTransaction"].(map[string]any)["balanceAmount"].(map[string]any)["amount"].(string)
	sum := parseAmount(t, last)
	for _, x := range pending {
		sum += parseAmount(t, x["transactionAmount"].(map[string]any)["amount"].(string))
	}
	if got := parseAmount(t, bal.Balances[1].BalanceAmount.Amount); got != sum {
		t.Errorf("available %d, booked balance and pending add up to %d", got, sum)
	}
	// a consent for one account's balances does not read its transactions
	body := `{"access":{"balances":[{"bban":"` + a.BBAN + `"}]},"recurringIndicator":false,"validUntil":"` + validUntil(e, 1) + `","frequencyPerDay":1}`
	one := e.embeddedBody("user_multi", body)
	var listed accountsResp
	e.do("GET", "/v1/accounts", present(one), "", 200, &listed)
	if len(listed.Accounts) != 1 || listed.Accounts[0].ResourceID != a.ResourceID || listed.Accounts[0].Links["transactions"].Href != "" {
		t.Fatalf("a balances consent for one account lists %+v", listed)
	}
	e.do("GET", a.Links["balances"].Href, present(one), "", 200, nil)
	e.wantCode(a.Links["transactions"].Href+"?bookingStatus=both&dateFrom="+from, present(one), 401, "CONSENT_INVALID")
	e.wantCode("/v1/accounts/"+accts.Accounts[1].ResourceID+"/balances", present(one), 401, "CONSENT_INVALID")
	e.wantCode("/v1/accounts/nope/balances", present(one), 403, "RESOURCE_UNKNOWN")
}

func parseAmount(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var n int64
	for _, r := range whole + (frac + "00")[:2] {
		n = n*10 + int64(r-'0')
	}
	if neg {
		n = -n
	}
	return n
}

func TestRedirectApproach(t *testing.T) {
	e := start(t, berlingroup.Config{})
	var c consentResp
	h := e.do("POST", "/v1/consents", map[string]string{"TPP-Redirect-Preferred": "true", "TPP-Redirect-URI": "https://tpp.example/cb?state=s1",
		"TPP-Nok-Redirect-URI": "https://tpp.example/nok"}, consentBody(e, 4), 201, &c)
	if h.Get("ASPSP-SCA-Approach") != "REDIRECT" || c.Links["scaRedirect"].Href == "" {
		t.Fatalf("%v %+v", h, c)
	}
	page := c.Links["scaRedirect"].Href
	resp, err := e.client.Get(page)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login page: %v %v", resp, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `name="password"`) {
		t.Fatalf("login page has no password field: %s", b)
	}
	e.form(page, url.Values{"psu_id": {"user_good"}, "password": {"nope"}}, 401)
	e.form(page, url.Values{"psu_id": {"user_good"}, "password": {"123456"}}, 200)
	e.form(page, url.Values{"psu_id": {"user_good"}, "password": {"123456"}, "otp": {"111111"}}, 401)
	r := e.form(page, url.Values{"psu_id": {"user_good"}, "password": {"123456"}, "otp": {banksim.TestOTP}}, 302)
	if loc := r.Header.Get("Location"); loc != "https://tpp.example/cb?state=s1" {
		t.Fatalf("redirected to %q", loc)
	}
	var sca struct {
		ScaStatus string `json:"scaStatus"`
	}
	e.do("GET", c.Links["scaStatus"].Href, nil, "", 200, &sca)
	if sca.ScaStatus != "finalised" || e.status(c.ConsentID) != "valid" {
		t.Fatalf("after the redirect: sca %s, consent %s", sca.ScaStatus, e.status(c.ConsentID))
	}
	var accts accountsResp
	e.do("GET", "/v1/accounts", present(c.ConsentID), "", 200, &accts)
	if len(accts.Accounts) != 1 {
		t.Fatalf("accounts: %+v", accts)
	}

	// the PSU denies another consent: it is rejected, back to the nok URI
	var c2 consentResp
	e.do("POST", "/v1/consents", map[string]string{"TPP-Redirect-URI": "https://tpp.example/cb", "TPP-Nok-Redirect-URI": "https://tpp.example/nok"}, consentBody(e, 4), 201, &c2)
	r = e.form(c2.Links["scaRedirect"].Href, url.Values{"deny": {"1"}}, 302)
	if r.Header.Get("Location") != "https://tpp.example/nok" || e.status(c2.ConsentID) != "rejected" {
		t.Fatalf("deny: %q %s", r.Header.Get("Location"), e.status(c2.ConsentID))
	}
	e.do("GET", "/v1/accounts", present(c2.ConsentID), "", 401, nil)
}

func TestOAuthApproachWithPKCE(t *testing.T) {
	e := start(t, berlingroup.Config{Approaches: []string{berlingroup.OAuth, berlingroup.Embedded}})
	var c consentResp
	h := e.do("POST", "/v1/consents", map[string]string{"TPP-Redirect-Preferred": "true", "TPP-Redirect-URI": "https://tpp.example/cb"}, consentBody(e, 4), 201, &c)
	if h.Get("ASPSP-SCA-Approach") != "REDIRECT" || c.Links["scaOAuth"].Href == "" {
		t.Fatalf("%v %+v", h, c)
	}
	var meta struct {
		Authorization string `json:"authorization_endpoint"`
		Token         string `json:"token_endpoint"`
	}
	e.do("GET", c.Links["scaOAuth"].Href, nil, "", 200, &meta)
	verifier := "a-verifier-of-at-least-forty-three-characters-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {"tpp"}, "redirect_uri": {"https://tpp.example/cb"}, "scope": {"AIS:" + c.ConsentID},
		"state": {"st8"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	resp, err := e.client.Get(meta.Authorization + "?" + q.Encode())
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("authorize: %v %v", resp, err)
	}
	resp.Body.Close()
	login := url.Values{"psu_id": {"user_good"}, "password": {"123456"}, "otp": {banksim.TestOTP}}
	for k, v := range q {
		login[k] = v
	}
	r := e.form("/sca/oauth", login, 302)
	loc, _ := url.Parse(r.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "st8" {
		t.Fatalf("redirected to %v", loc)
	}
	tok := func(v url.Values, want int) (out struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}) {
		resp := e.form(meta.Token, v, want)
		_ = resp
		return out
	}
	tok(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {"wrong"}, "redirect_uri": {"https://tpp.example/cb"}}, 400)
	resp, err = e.client.PostForm(meta.Token, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {"https://tpp.example/cb"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %v %v", resp, err)
	}
	var tk struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tk)
	resp.Body.Close()
	tok(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {"https://tpp.example/cb"}}, 400) // used
	e.do("GET", "/v1/accounts", present(c.ConsentID), "", 401, nil)
	hdr := present(c.ConsentID)
	hdr["Authorization"] = "Bearer " + tk.Access
	var accts accountsResp
	e.do("GET", "/v1/accounts", hdr, "", 200, &accts)
	if len(accts.Accounts) != 1 {
		t.Fatalf("accounts: %+v", accts)
	}
	// the token lasts 15 minutes of bank time; a refresh gets another
	e.sim.Advance(t.Context(), "", 16*time.Minute)
	e.do("GET", "/v1/accounts", hdr, "", 401, nil)
	resp, err = e.client.PostForm(meta.Token, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.Refresh}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("refresh: %v %v", resp, err)
	}
	json.NewDecoder(resp.Body).Decode(&tk)
	resp.Body.Close()
	hdr["Authorization"] = "Bearer " + tk.Access
	e.do("GET", "/v1/accounts", hdr, "", 200, nil)
}

func TestDecoupledApprovesAfterTheDelay(t *testing.T) {
	e := start(t, berlingroup.Config{DecoupledDelay: 30 * time.Second})
	var c consentResp
	h := e.do("POST", "/v1/consents", map[string]string{"PSU-ID": "user_good", "TPP-Redirect-Preferred": "false", "TPP-Decoupled-Preferred": "true"}, consentBody(e, 4), 201, &c)
	if h.Get("ASPSP-SCA-Approach") != "DECOUPLED" || c.ScaStatus != "started" {
		t.Fatalf("%v %+v", h, c)
	}
	poll := func() string {
		var s struct {
			ScaStatus string `json:"scaStatus"`
		}
		e.do("GET", c.Links["scaStatus"].Href, nil, "", 200, &s)
		return s.ScaStatus
	}
	if s := poll(); s != "started" || e.status(c.ConsentID) != "received" {
		t.Fatalf("before the delay: %s", s)
	}
	e.do("GET", "/v1/accounts", present(c.ConsentID), "", 401, nil)
	e.sim.Advance(t.Context(), "", 31*time.Second)
	if s := poll(); s != "finalised" || e.status(c.ConsentID) != "valid" {
		t.Fatalf("after the delay: %s", s)
	}
	e.do("GET", "/v1/accounts", present(c.ConsentID), "", 200, nil)
	// an unknown PSU cannot start one
	e.do("POST", "/v1/consents", map[string]string{"PSU-ID": "nobody", "TPP-Decoupled-Preferred": "true", "TPP-Redirect-Preferred": "false"}, consentBody(e, 4), 401, nil)
}

type tppErr struct {
	TppMessages []struct{ Category, Code, Text string } `json:"tppMessages"`
}

func (e *env) wantCode(path string, hdr map[string]string, status int, code string) {
	e.t.Helper()
	var te tppErr
	e.do("GET", path, hdr, "", status, &te)
	if len(te.TppMessages) != 1 || te.TppMessages[0].Code != code || te.TppMessages[0].Category != "ERROR" {
		e.t.Fatalf("%s: %+v, want %s", path, te, code)
	}
}

func TestConsentFaults(t *testing.T) {
	e := start(t, berlingroup.Config{})
	// frequencyPerDay: two unattended reads a day, then ACCESS_EXCEEDED;
	// reads with the PSU present do not count
	id := e.embedded("user_good", 2)
	unattended := map[string]string{"Consent-ID": id}
	e.do("GET", "/v1/accounts", unattended, "", 200, nil)
	e.do("GET", "/v1/accounts", unattended, "", 200, nil)
	e.wantCode("/v1/accounts", unattended, 429, "ACCESS_EXCEEDED")
	e.do("GET", "/v1/accounts", present(id), "", 200, nil)
	e.sim.Advance(t.Context(), "", 24*time.Hour)
	e.do("GET", "/v1/accounts", unattended, "", 200, nil)

	// a fault header's rate limit and outage
	e.wantCode("/v1/accounts", map[string]string{"Consent-ID": id, "X-Banksim-Fault": "ratelimit"}, 429, "ACCESS_EXCEEDED")
	e.do("GET", "/v1/accounts", map[string]string{"Consent-ID": id, "PSU-IP-Address": "192.0.2.1", "X-Banksim-Fault": "error"}, "", 503, nil)

	// validUntil passing expires the consent
	e.sim.Advance(t.Context(), "", 91*24*time.Hour)
	e.wantCode("/v1/accounts", present(id), 401, "CONSENT_EXPIRED")
	if st := e.status(id); st != "expired" {
		t.Fatalf("status %s", st)
	}

	// the PSU revoking at the bank; the TPP terminating
	id2 := e.embedded("user_good", 4)
	e.do("POST", "/admin/consents/"+id2+"/revoke", nil, "", 200, nil)
	e.wantCode("/v1/accounts", present(id2), 401, "CONSENT_INVALID")
	id3 := e.embedded("user_good", 4)
	e.do("DELETE", "/v1/consents/"+id3, nil, "", 204, nil)
	e.wantCode("/v1/accounts", present(id3), 401, "CONSENT_INVALID")
	e.wantCode("/v1/accounts", present("bgcnothing"), 401, "CONSENT_UNKNOWN")
	e.wantCode("/v1/consents/bgcnothing/status", nil, 403, "CONSENT_UNKNOWN")

	// malformed consent requests
	for _, body := range []string{`{`, `{"access":{},"recurringIndicator":true,"validUntil":"2099-01-01","frequencyPerDay":4}`,
		`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2099-01-01","frequencyPerDay":4}`,
		`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2000-01-01","frequencyPerDay":4}`} {
		e.do("POST", "/v1/consents", map[string]string{"PSU-ID": "user_good", "TPP-Redirect-Preferred": "false"}, body, 400, nil)
	}
}

func TestTransactionsPaginateOverTenThousand(t *testing.T) {
	e := start(t, berlingroup.Config{})
	id := e.embedded("user_business", 4)
	var accts accountsResp
	e.do("GET", "/v1/accounts", present(id), "", 200, &accts)
	// the window ends yesterday: the simulator's clock runs, so a window
	// ending now would gain the transactions dated while the pages are
	// read, and the count below could not match
	wat := time.FixedZone("WAT", 3600)
	now, _ := e.sim.Now(t.Context(), "")
	from := now.AddDate(0, 0, -75).Format(time.DateOnly)
	to := now.In(wat).AddDate(0, 0, -1).Format(time.DateOnly)
	booked, pending, pages := e.allTransactions(id, accts.Accounts[0].ResourceID, from, to)
	all := append(booked, pending...)
	if len(all) < 10_000 {
		t.Fatalf("only %d transactions over 75 days", len(all))
	}
	seen := map[string]bool{}
	for _, x := range all {
		id := x["transactionId"].(string)
		if seen[id] {
			t.Fatalf("transaction %s sent twice", id)
		}
		seen[id] = true
	}
	// the same window read straight from the simulator
	var want int
	f, _ := time.ParseInLocation(time.DateOnly, from, wat)
	end, _ := time.ParseInLocation(time.DateOnly, to, wat)
	sa := e.sim.StdAccountsOf(mustInst(t), mustUser(t, e, "user_business"))[0]
	e.sim.EachStdTransaction(sa, f, end.AddDate(0, 0, 1).Add(-time.Nanosecond), func(banksim.Txn) bool { want++; return true })
	if len(all) != want {
		t.Fatalf("paged %d transactions in %d pages, the simulator has %d", len(all), pages, want)
	}
	t.Logf("%d transactions in %d pages", len(all), pages)
}

func mustInst(t *testing.T) kobo.Institution { return banksim.Catalog()[0] }

func mustUser(t *testing.T, e *env, name string) *banksim.Scenario {
	u, err := e.sim.LookupUser(t.Context(), "", name)
	if err != nil || u == nil {
		t.Fatal(name, err)
	}
	return u
}

func TestMTLSRefusesATPPWithoutACertificate(t *testing.T) {
	e := start(t, berlingroup.Config{})
	e.embedded("user_good", 4) // with the certificate
	bare := &http.Client{Transport: e.val.Transport(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.pki.Roots()}})}
	for _, p := range []string{"/v1/accounts", "/v1/consents/x/status"} {
		resp, err := bare.Get(e.base + p)
		if err != nil {
			t.Fatal(err)
		}
		var te tppErr
		json.NewDecoder(resp.Body).Decode(&te)
		resp.Body.Close()
		if resp.StatusCode != 401 || len(te.TppMessages) != 1 || te.TppMessages[0].Code != "CERTIFICATE_MISSING" {
			t.Fatalf("a TPP without a client certificate got %d %+v", resp.StatusCode, te)
		}
	}
	// a certificate no trusted CA signed fails the handshake
	other := newPKI(t)
	forged := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.pki.Roots(), Certificates: []tls.Certificate{other.Client}}}}
	if resp, err := forged.Get(e.base + "/v1/accounts"); err == nil {
		resp.Body.Close()
		t.Fatalf("a TPP with an untrusted certificate got %d", resp.StatusCode)
	}
	// the PSU's browser needs none for the login page
	var c consentResp
	e.do("POST", "/v1/consents", map[string]string{"TPP-Redirect-URI": "https://tpp.example/cb"}, consentBody(e, 4), 201, &c)
	resp, err := bare.Get(c.Links["scaRedirect"].Href)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login page without a certificate: %v %v", resp, err)
	}
	resp.Body.Close()
}

// newPKI is a fresh loopback PKI for one test.
func newPKI(t testing.TB) *loopbackpki.PKI {
	t.Helper()
	p, err := loopbackpki.New("tpp")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
