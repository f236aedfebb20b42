package obie_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
	"github.com/kobo-oss/kobo/internal/banksim/obie"
)

const redirectURI = "https://tpp.example/callback"

type bundle struct {
	sim    *banksim.Sim
	face   *obie.Face
	srv    *httptest.Server
	client *http.Client // mTLS, validating, no redirects
	bare   *http.Client // TLS without a client certificate
	val    *conformance.Validator
	prof   obie.Profile
}

func setup(t *testing.T, prof obie.Profile, mod func(*obie.Config)) *bundle {
	t.Helper()
	val, err := obie.NewValidator(conformance.Require(t, obie.SpecFile(prof.Version)))
	if err != nil {
		t.Fatal(err)
	}
	pki, err := obie.NewPKI("tpp-test")
	if err != nil {
		t.Fatal(err)
	}
	sim := banksim.New(banksim.Config{Seed: 7})
	srv := httptest.NewUnstartedServer(nil)
	srv.TLS = pki.ServerTLS()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg := obie.Config{Sim: sim, Profile: prof, Issuer: srv.URL, Clients: map[string][]string{"tpp-1": {redirectURI}}, RequireClientCert: true, PageSize: 200}
	if mod != nil {
		mod(&cfg)
	}
	face, err := obie.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = face.Handler()
	ctls := pki.ClientTLS()
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client := &http.Client{Transport: val.Transport(&http.Transport{TLSClientConfig: ctls}), CheckRedirect: noRedirect, Timeout: 30 * time.Second}
	bareTLS := ctls.Clone()
	bareTLS.Certificates = nil
	bare := &http.Client{Transport: val.Transport(&http.Transport{TLSClientConfig: bareTLS}), CheckRedirect: noRedirect, Timeout: 30 * time.Second}
	b := &bundle{sim: sim, face: face, srv: srv, client: client, bare: bare, val: val, prof: prof}
	t.Cleanup(func() {
		checked, _ := val.Counts()
		failures := val.Failures()
		for _, f := range failures {
			t.Errorf("response fails the %s spec: %s", prof.Version, f)
		}
		t.Logf("%d responses validated against the %s spec, %d failed", checked, prof.Version, len(failures))
	})
	return b
}

func (b *bundle) do(t *testing.T, c *http.Client, method, path, token string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "https://") {
		u = b.srv.URL + path
	}
	req, _ := http.NewRequest(method, u, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method == http.MethodPost && strings.Contains(path, "account-access-consents") {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-fapi-interaction-id") == "" && resp.Request.URL.Path != "/authorize" {
		t.Errorf("%s %s: no x-fapi-interaction-id", method, path)
	}
	return resp, out
}

func (b *bundle) tokenCall(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (b *bundle) ccToken(t *testing.T) string {
	t.Helper()
	st, m := b.tokenCall(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"tpp-1"}, "scope": {"accounts"}})
	if st != 200 {
		t.Fatalf("client credentials: %d %v", st, m)
	}
	return m["access_token"].(string)
}

var allPerms = []string{"ReadAccountsDetail", "ReadBalances", "ReadTransactionsCredits", "ReadTransactionsDebits", "ReadTransactionsDetail", "ReadParty", "ReadPartyPSU"}

func (b *bundle) consent(t *testing.T, cc string, perms []string, extra string) string {
	t.Helper()
	pj, _ := json.Marshal(perms)
	resp, body := b.do(t, b.client, http.MethodPost, b.face.BasePath()+"/account-access-consents", cc,
		strings.NewReader(`{"Data":{"Permissions":`+string(pj)+extra+`},"Risk":{}}`))
	if resp.StatusCode != 201 {
		t.Fatalf("consent: %d %s", resp.StatusCode, body)
	}
	var m struct {
		Data struct{ ConsentId, Status string }
	}
	_ = json.Unmarshal(body, &m)
	if want := b.prof.Consent["AwaitingAuthorisation"]; m.Data.Status != want {
		t.Fatalf("new consent status %q, want %q", m.Data.Status, want)
	}
	return m.Data.ConsentId
}

var flowRe = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// authorize drives the login page as a browser would and returns the
// redirect back to the TPP.
func (b *bundle) authorize(t *testing.T, consentID, verifier, user, password string, answers ...string) *url.URL {
	t.Helper()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {"tpp-1"}, "redirect_uri": {redirectURI}, "scope": {"openid accounts"}, "state": {"st-1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}, "openbanking_intent_id": {consentID}}
	resp, body := b.do(t, b.bare, http.MethodGet, "/authorize?"+q.Encode(), "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("authorize page: %d %s", resp.StatusCode, body)
	}
	form := url.Values{"username": {user}, "password": {password}, "action": {"allow"}}
	for i := 0; ; i++ {
		// the form's answer is a 302 to the TPP, which a browser checks
		// against form-action: the TPP's origin must be in it
		ru, _ := url.Parse(redirectURI)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+ru.Scheme+"://"+ru.Host) {
			t.Fatalf("the login page's CSP %q would stop the redirect back to %s", csp, redirectURI)
		}
		m := flowRe.FindSubmatch(body)
		if m == nil {
			t.Fatalf("no flow in the page: %s", body)
		}
		form.Set("flow", string(m[1]))
		resp, body = b.do(t, b.bare, http.MethodPost, "/authorize", "", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
		if resp.StatusCode == http.StatusFound {
			u, _ := url.Parse(resp.Header.Get("Location"))
			return u
		}
		if i >= len(answers) {
			t.Fatalf("login did not finish: %d %s", resp.StatusCode, body)
		}
		name := regexp.MustCompile(`id="f" name="([a-z]+)"`).FindSubmatch(body)
		if name == nil {
			t.Fatalf("no factor field: %s", body)
		}
		form = url.Values{string(name[1]): {answers[i]}, "action": {"allow"}}
	}
}

// link runs the whole consent and returns the tokens.
func (b *bundle) link(t *testing.T, user string, perms []string, answers ...string) (access, refresh, consentID string) {
	t.Helper()
	consentID = b.consent(t, b.ccToken(t), perms, "")
	verifier := strings.Repeat("v", 50)
	back := b.authorize(t, consentID, verifier, user, "123456", answers...)
	if back.Query().Get("state") != "st-1" || back.Query().Get("code") == "" {
		t.Fatalf("redirect back: %s", back)
	}
	st, m := b.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {"tpp-1"}, "code": {back.Query().Get("code")},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}})
	if st != 200 {
		t.Fatalf("code exchange: %d %v", st, m)
	}
	return m["access_token"].(string), m["refresh_token"].(string), consentID
}

func TestFaceFlowValidates(t *testing.T) {
	t.Parallel()
	for _, prof := range []obie.Profile{obie.V31(), obie.V40()} {
		t.Run(prof.Version, func(t *testing.T) {
			t.Parallel()
			b := setup(t, prof, nil)
			base := b.face.BasePath()
			at, _, consentID := b.link(t, "user_multi", allPerms)
			resp, body := b.do(t, b.client, http.MethodGet, base+"/accounts", at, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("accounts: %d %s", resp.StatusCode, body)
			}
			var accts struct {
				Data struct {
					Account []struct {
						AccountId string
						Account   []struct{ SchemeName, Identification string }
					}
				}
			}
			_ = json.Unmarshal(body, &accts)
			std, err := b.sim.StdAccounts(context.Background(), "", banksim.Catalog()[0].ID, "user_multi")
			if err != nil || len(accts.Data.Account) != len(std) || len(std) != 3 {
				t.Fatalf("accounts: %d listed, simulator has %d (%v)", len(accts.Data.Account), len(std), err)
			}
			for i, a := range accts.Data.Account {
				if a.AccountId != std[i].ID || len(a.Account) != 2 || a.Account[1].Identification != std[i].Number {
					t.Errorf("account %d: %+v, simulator %+v", i, a, std[i])
				}
			}
			id := std[0].ID
			resp, body = b.do(t, b.client, http.MethodGet, base+"/accounts/"+id+"/balances", at, nil)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"`+prof.Balance["InterimAvailable"]+`"`) {
				t.Fatalf("balances: %d %s", resp.StatusCode, body)
			}
			// every page, following Links.Next, against the simulator's own list
			now, _ := b.sim.Now(context.Background(), "")
			from := now.AddDate(0, -3, 0).Format(time.RFC3339)
			next := base + "/accounts/" + id + "/transactions?fromBookingDateTime=" + url.QueryEscape(from)
			var got []string
			pages := 0
			for next != "" {
				resp, body = b.do(t, b.client, http.MethodGet, next, at, nil)
				if resp.StatusCode != 200 {
					t.Fatalf("transactions: %d %s", resp.StatusCode, body)
				}
				var page struct {
					Data struct {
						Transaction []struct{ TransactionId, Status string }
					}
					Links struct{ Next string }
				}
				if err := json.Unmarshal(body, &page); err != nil {
					t.Fatal(err)
				}
				for _, x := range page.Data.Transaction {
					got = append(got, x.TransactionId)
				}
				next, pages = page.Links.Next, pages+1
			}
			ft, _ := obie.ParseDateTime(from)
			var want []string
			cur := ""
			for {
				txns, nc, err := b.sim.StdTransactions(context.Background(), "", banksim.Catalog()[0].ID, "user_multi", id, ft, now, cur, 1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range txns {
					want = append(want, x.Ref)
				}
				if cur = nc; cur == "" {
					break
				}
			}
			if len(got) != len(want) || len(want) < 200 || pages < 2 {
				t.Fatalf("paged %d rows over %d pages, simulator has %d", len(got), pages, len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d: %s, simulator %s", i, got[i], want[i])
				}
			}
			for _, p := range []string{base + "/accounts/" + id + "/party", base + "/accounts/" + id + "/parties", base + "/party", base + "/accounts/" + id,
				base + "/account-access-consents/" + consentID} {
				tok := at
				if strings.Contains(p, "consents") {
					tok = b.ccToken(t)
				}
				resp, body = b.do(t, b.client, http.MethodGet, p, tok, nil)
				if resp.StatusCode != 200 {
					t.Errorf("%s: %d %s", p, resp.StatusCode, body)
				}
			}
			if !strings.Contains(string(body), `"`+prof.Consent["Authorised"]+`"`) {
				t.Errorf("consent after authorisation: %s", body)
			}
			// unknown account, bad dates, bad page: 400 with the error body
			for _, p := range []string{base + "/accounts/nope/balances", base + "/accounts/" + id + "/transactions?fromBookingDateTime=yesterday",
				base + "/accounts/" + id + "/transactions?page=zz"} {
				if resp, body := b.do(t, b.client, http.MethodGet, p, at, nil); resp.StatusCode != 400 || !strings.Contains(string(body), `"Errors"`) {
					t.Errorf("%s: %d %s", p, resp.StatusCode, body)
				}
			}
			checked, _ := b.val.Counts()
			if checked < pages+10 {
				t.Errorf("only %d responses were validated", checked)
			}
		})
	}
}

func TestFaceSecondFactorAndDenial(t *testing.T) {
	t.Parallel()
	b := setup(t, obie.V31(), nil)
	at, _, _ := b.link(t, "user_chained", allPerms, banksim.TestOTP, banksim.TestAnswer)
	if resp, body := b.do(t, b.client, http.MethodGet, b.face.BasePath()+"/accounts", at, nil); resp.StatusCode != 200 {
		t.Fatalf("accounts after two factors: %d %s", resp.StatusCode, body)
	}
	// a wrong password shows the page again; Cancel rejects the consent
	id := b.consent(t, b.ccToken(t), allPerms, "")
	sum := sha256.Sum256([]byte(strings.Repeat("w", 50)))
	q := url.Values{"response_type": {"code"}, "client_id": {"tpp-1"}, "redirect_uri": {redirectURI}, "state": {"s"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}, "openbanking_intent_id": {id}}
	_, body := b.do(t, b.bare, http.MethodGet, "/authorize?"+q.Encode(), "", nil)
	flow := string(flowRe.FindSubmatch(body)[1])
	resp, body := b.do(t, b.bare, http.MethodPost, "/authorize", "", strings.NewReader(url.Values{"flow": {flow}, "username": {"user_good"}, "password": {"nope"}, "action": {"allow"}}.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "wrong") {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, body)
	}
	resp, _ = b.do(t, b.bare, http.MethodPost, "/authorize", "", strings.NewReader(url.Values{"flow": {flow}, "action": {"deny"}}.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || !strings.Contains(loc, "error=access_denied") {
		t.Fatalf("deny: %d %s", resp.StatusCode, loc)
	}
	resp, body = b.do(t, b.client, http.MethodGet, b.face.BasePath()+"/account-access-consents/"+id, b.ccToken(t), nil)
	if !strings.Contains(string(body), `"Rejected"`) {
		t.Fatalf("denied consent: %d %s", resp.StatusCode, body)
	}
}

func TestFaceFaults(t *testing.T) {
	t.Parallel()
	for _, prof := range []obie.Profile{obie.V31(), obie.V40()} {
		t.Run(prof.Version, func(t *testing.T) {
			t.Parallel()
			b := setup(t, prof, func(c *obie.Config) { c.ConsentTTL = 48 * time.Hour })
			base := b.face.BasePath()
			at, rt, consentID := b.link(t, "user_good", allPerms)
			// no client certificate: refused with the error body
			if resp, _ := b.do(t, b.bare, http.MethodGet, base+"/accounts", at, nil); resp.StatusCode != 401 {
				t.Errorf("without a client certificate: %d", resp.StatusCode)
			}
			resp, body := b.do(t, b.client, http.MethodGet, base+"/accounts", at, nil, "X-Banksim-Fault", "ratelimit")
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"Errors"`) {
				t.Errorf("ratelimit: %d %s", resp.StatusCode, body)
			}
			resp, body = b.do(t, b.client, http.MethodGet, base+"/accounts", at, nil, "X-Banksim-Fault", "error")
			if resp.StatusCode != 500 || !strings.Contains(string(body), `"Errors"`) {
				t.Errorf("error fault: %d %s", resp.StatusCode, body)
			}
			// a code is single use; a wrong verifier is refused
			if st, _ := b.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {"tpp-1"}, "refresh_token": {rt}}); st != 200 {
				t.Errorf("refresh: %d", st)
			}
			// the consent expires: data calls 403, refresh invalid_grant
			if _, err := b.sim.Advance(context.Background(), "", 49*time.Hour); err != nil {
				t.Fatal(err)
			}
			st, m := b.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {"tpp-1"}, "refresh_token": {rt}})
			if st != 400 || m["error"] != "invalid_grant" {
				t.Errorf("refresh after expiry: %d %v", st, m)
			}
			resp, body = b.do(t, b.client, http.MethodGet, base+"/account-access-consents/"+consentID, b.ccToken(t), nil)
			if want := map[string]string{"v3.1": "Authorised", "v4.0": "EXPD"}[prof.Version]; !strings.Contains(string(body), `"`+want+`"`) {
				t.Errorf("expired consent reads %s, want %s", body, want)
			}
			// revoked at the bank: a fresh link, then revoke
			at2, rt2, id2 := b.link(t, "user_good", allPerms)
			if err := b.face.Revoke(context.Background(), id2); err != nil {
				t.Fatal(err)
			}
			if resp, _ := b.do(t, b.client, http.MethodGet, base+"/accounts", at2, nil); resp.StatusCode != 403 {
				t.Errorf("revoked consent: %d", resp.StatusCode)
			}
			if st, _ := b.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {"tpp-1"}, "refresh_token": {rt2}}); st != 400 {
				t.Errorf("refresh of a revoked consent: %d", st)
			}
			// the TPP deletes a consent
			_, _, id3 := b.link(t, "user_good", allPerms)
			if resp, _ := b.do(t, b.client, http.MethodDelete, base+"/account-access-consents/"+id3, b.ccToken(t), nil); resp.StatusCode != 204 {
				t.Errorf("delete consent: %d", resp.StatusCode)
			}
		})
	}
}

func TestFaceCodeRules(t *testing.T) {
	t.Parallel()
	b := setup(t, obie.V31(), nil)
	id := b.consent(t, b.ccToken(t), allPerms, "")
	verifier := strings.Repeat("x", 50)
	back := b.authorize(t, id, verifier, "user_good", "123456")
	code := back.Query().Get("code")
	exch := func(v string) int {
		st, _ := b.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {"tpp-1"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {v}})
		return st
	}
	if st := exch("wrong-verifier-wrong-verifier-wrong-verifier-1"); st != 400 {
		t.Errorf("wrong PKCE verifier: %d", st)
	}
	if st := exch(verifier); st != 200 {
		t.Errorf("exchange: %d", st)
	}
	if st := exch(verifier); st != 400 {
		t.Errorf("second use of a code: %d", st)
	}
	// Basic permissions hide the details
	b2 := setup(t, obie.V40(), nil)
	at, _, _ := b2.link(t, "user_good", []string{"ReadAccountsBasic", "ReadTransactionsBasic", "ReadTransactionsDebits"})
	std, _ := b2.sim.StdAccounts(context.Background(), "", banksim.Catalog()[0].ID, "user_good")
	_, body := b2.do(t, b2.client, http.MethodGet, b2.face.BasePath()+"/accounts/"+std[0].ID+"/transactions", at, nil)
	if strings.Contains(string(body), "TransactionInformation") || strings.Contains(string(body), `"Credit"`) {
		t.Errorf("basic debits-only consent shows details or credits: %.300s", body)
	}
	if resp, _ := b2.do(t, b2.client, http.MethodGet, b2.face.BasePath()+"/accounts/"+std[0].ID+"/balances", at, nil); resp.StatusCode != 403 {
		t.Errorf("balances without ReadBalances: %d", resp.StatusCode)
	}
}

func TestFaceSignedRequestObject(t *testing.T) {
	t.Parallel()
	pki, err := obie.NewPKI("x")
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, obie.V31(), func(c *obie.Config) { c.RequestObjectKey = pki.SigningPub })
	id := b.consent(t, b.ccToken(t), allPerms, "")
	q := url.Values{"response_type": {"code"}, "client_id": {"tpp-1"}, "redirect_uri": {redirectURI}, "openbanking_intent_id": {id},
		"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
	resp, body := b.do(t, b.bare, http.MethodGet, "/authorize?"+q.Encode(), "", nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "signed request object") {
		t.Fatalf("unsigned authorize at a bank requiring one: %d %s", resp.StatusCode, body)
	}
	claims := map[string]any{"client_id": "tpp-1", "redirect_uri": redirectURI, "response_type": "code", "code_challenge": strings.Repeat("a", 43),
		"code_challenge_method": "S256", "claims": map[string]any{"id_token": map[string]any{"openbanking_intent_id": map[string]any{"value": id}}}}
	jws, err := obie.SignRequestObject(claims, pki.SigningKey, "kid-1")
	if err != nil {
		t.Fatal(err)
	}
	resp, body = b.do(t, b.bare, http.MethodGet, "/authorize?"+url.Values{"request": {jws}, "client_id": {"tpp-1"}}.Encode(), "", nil)
	if resp.StatusCode != 200 || !flowRe.Match(body) {
		t.Fatalf("signed authorize: %d %s", resp.StatusCode, body)
	}
	tampered := jws[:len(jws)-4] + "AAAA"
	if resp, _ := b.do(t, b.bare, http.MethodGet, "/authorize?"+url.Values{"request": {tampered}}.Encode(), "", nil); resp.StatusCode != 400 {
		t.Fatalf("tampered request object: %d", resp.StatusCode)
	}
	_ = fmt.Sprint()
}

// TestValidatorCatches proves the validation can fail: bodies that break
// the spec in the ways a face could (a number for an amount, a v3 code in
// a v4 answer, a missing required field) are caught.
func TestValidatorCatches(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ version, path, body string }{
		{"v3.1", "/open-banking/v3.1/aisp/accounts/a1/balances", `{"Data":{"Balance":[{"AccountId":"a1","Amount":{"Amount":12.5,"Currency":"GBP"},"CreditDebitIndicator":"Credit","Type":"InterimAvailable","DateTime":"2026-01-01T00:00:00Z"}]},"Links":{"Self":"https://x/y"}}`},
		{"v4.0", "/open-banking/v4.0/aisp/accounts/a1/balances", `{"Data":{"Balance":[{"AccountId":"a1","Amount":{"Amount":"12.50","Currency":"GBP"},"CreditDebitIndicator":"Credit","Type":"InterimAvailable","DateTime":"2026-01-01T00:00:00Z"}]},"Links":{"Self":"https://x/y"}}`},
		{"v3.1", "/open-banking/v3.1/aisp/accounts/a1/transactions", `{"Data":{"Transaction":[{"AccountId":"a1","Amount":{"Amount":"1.00","Currency":"GBP"},"CreditDebitIndicator":"Credit","BookingDateTime":"2026-01-01T00:00:00Z"}]},"Links":{"Self":"https://x/y"}}`},
	} {
		v, err := obie.NewValidator(conformance.Require(t, obie.SpecFile(c.version)))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "https://bank.test"+c.path, nil)
		h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Fapi-Interaction-Id": {"1"}}
		if err := v.Check(context.Background(), req, 200, h, []byte(c.body)); err == nil {
			t.Errorf("%s %s: a broken body validated", c.version, c.path)
		}
	}
}
