package berlingroup_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	bgface "github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
)

type fixture struct {
	sim     *banksim.Sim
	prov    *berlingroup.Provider
	inst    kobo.Institution
	browser *http.Client
	base    string
}

// newFixture serves banksim's Berlin Group face over mTLS on loopback and
// points a provider at it through a bank entry.
// A wrap, given the face's base URL, wraps the provider's transport (the
// spec's validator, a bank answering differently).
func newFixture(t *testing.T, approaches []string, faceApproaches []string, wrap ...func(base string) func(http.RoundTripper) http.RoundTripper) *fixture {
	t.Helper()
	return newFixtureAt(t, "", approaches, faceApproaches, wrap...)
}

// newFixtureAt is newFixture for a bank that serves its XS2A API under a
// base path (https://host/psd2/v1/…) and gives its links with it, as many
// ASPSPs do; the bank entry's base_url carries the path.
func newFixtureAt(t *testing.T, prefix string, approaches []string, faceApproaches []string, wrap ...func(base string) func(http.RoundTripper) http.RoundTripper) *fixture {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(n int64, u x509.ExtKeyUsage, ips []net.IP) tls.Certificate {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tm := &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: "x"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{u}, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tm, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	sim := banksim.New(banksim.Config{Seed: 11})
	face, err := bgface.New(bgface.Config{Sim: sim, Approaches: faceApproaches, DecoupledDelay: 20 * time.Second, RequireClientCert: true})
	if err != nil {
		t.Fatal(err)
	}
	h := face.Handler()
	if prefix != "" {
		h = underPrefix(prefix, h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = bgface.TLSConfig(leaf(2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)}), pool)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	entry := `[{"id":"simbank","name":"Sim Bank","country":"NG","base_url":"` + srv.URL + prefix + `","tpp_id":"kobo-tpp","sca_approaches":["` +
		strings.Join(approaches, `","`) + `"],"frequency_per_day":4}]`
	banks, err := berlingroup.ParseBanks([]byte(entry))
	if err != nil {
		t.Fatal(err)
	}
	var wt func(http.RoundTripper) http.RoundTripper
	for _, w := range wrap {
		inner, outer := wt, w(srv.URL)
		wt = func(rt http.RoundTripper) http.RoundTripper {
			if inner != nil {
				rt = inner(rt)
			}
			return outer(rt)
		}
	}
	prov, err := berlingroup.New(berlingroup.Config{Banks: banks, Clock: simClock{sim}, WrapTransport: wt,
		TLS: map[string]*tls.Config{"simbank": {RootCAs: pool, Certificates: []tls.Certificate{leaf(3, x509.ExtKeyUsageClientAuth, nil)}}}})
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &fixture{sim: sim, prov: prov, inst: berlingroup.Catalog(banks)[0], browser: browser, base: srv.URL}
}

// underPrefix serves h's XS2A API (/v1/…) only under prefix and writes
// prefix into the links of its answers; the bank's login and OAuth pages
// stay where they are.
func underPrefix(prefix string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			http.NotFound(w, r)
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, prefix); ok && strings.HasPrefix(rest, "/v1/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = rest, ""
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r2)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			body := bytes.ReplaceAll(rec.Body.Bytes(), []byte(`"href":"/v1/`), []byte(`"href":"`+prefix+`/v1/`))
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// A bank under a base path that writes it into its links: kobo follows
// the links (the decoupled status, the embedded authorisation, the next
// page) rather than the standard's bare paths.
func TestBankUnderABasePath(t *testing.T) {
	f := newFixtureAt(t, "/psd2", []string{"embedded", "decoupled"}, nil)
	step, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: f.inst.AuthMethods[0].Type, Interactive: true,
		Fields: map[string]kobo.Secret{"psu_id": "user_good", "password": "123456"}})
	if err != nil || step.Challenge == nil {
		t.Fatalf("embedded login: %v %+v", err, step)
	}
	st, err := f.prov.Answer(t.Context(), *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP})
	if err != nil || st.Session == nil {
		t.Fatalf("embedded OTP: %v %+v", err, st)
	}
	if _, txns := f.read(t, st.Session); len(txns) == 0 {
		t.Error("embedded: no transactions read")
	}

	step, err = f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: f.inst.AuthMethods[1].Type, Interactive: true,
		Fields: map[string]kobo.Secret{"psu_id": "user_good"}})
	if err != nil || step.Decoupled == nil {
		t.Fatalf("decoupled login: %v %+v", err, step)
	}
	f.sim.Advance(t.Context(), "", 21*time.Second)
	st, err = f.prov.Poll(t.Context(), *step.Decoupled, nil)
	if err != nil || st.Session == nil {
		t.Fatalf("decoupled poll after approval: %v %+v", err, st)
	}
	f.read(t, st.Session)
}

// simClock is the simulator's shared clock, so consent dates agree.
type simClock struct{ s *banksim.Sim }

func (c simClock) Now() time.Time { t, _ := c.s.Now(context.Background(), ""); return t }

func (f *fixture) read(t *testing.T, s *kobo.BankSession) ([]kobo.BankAccount, []kobo.BankTransaction) {
	t.Helper()
	accts, err := f.prov.Accounts(t.Context(), *s)
	if err != nil {
		t.Fatal(err)
	}
	var txns []kobo.BankTransaction
	err = f.prov.Transactions(t.Context(), *s, accts[0].Ref, kobo.TxnQuery{From: simClock{f.sim}.Now().AddDate(0, -2, 0)}, func(p []kobo.BankTransaction) error {
		txns = append(txns, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return accts, txns
}

func TestEmbeddedLinkAsCredentialsAndOTP(t *testing.T) {
	f := newFixture(t, []string{"embedded"}, nil)
	m := f.inst.AuthMethods[0]
	if m.Consent != kobo.ConsentCredentials || len(m.UI.Form) != 2 {
		t.Fatalf("auth method %+v", m)
	}
	step, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: m.Type, Interactive: true,
		Fields: map[string]kobo.Secret{"psu_id": "user_good", "password": "nope"}})
	if kobo.BankErrorKindOf(err) != kobo.BankBadCredentials {
		t.Fatalf("wrong password: %v %+v", err, step)
	}
	step, err = f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: m.Type, Interactive: true,
		Fields: map[string]kobo.Secret{"psu_id": "user_good", "password": "123456"}})
	if err != nil || step.Challenge == nil || step.Challenge.Kind != "otp" {
		t.Fatalf("login: %v %+v", err, step)
	}
	if _, err := f.prov.Answer(t.Context(), *step.Challenge, map[string]kobo.Secret{"otp": "000000"}); kobo.BankErrorKindOf(err) != kobo.BankBadCredentials {
		t.Fatalf("wrong OTP: %v", err)
	}
	step, err = f.prov.Answer(t.Context(), *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP})
	if err != nil || step.Session == nil || step.Session.ConsentExpiresAt == nil {
		t.Fatalf("answer: %v %+v", err, step)
	}
	accts, txns := f.read(t, step.Session)
	if len(accts) != 1 || accts[0].Currency != "NGN" || accts[0].Name != "ADAEZE NNEKA OKAFOR" || accts[0].Balance <= 0 || len(accts[0].Number) != 10 {
		t.Fatalf("accounts %+v", accts)
	}
	if len(txns) < 50 {
		t.Fatalf("%d transactions", len(txns))
	}
	parties := 0
	for _, x := range txns {
		if x.Ref == "" || !x.ProviderID || x.Amount <= 0 || x.Currency != "NGN" || x.Narration == "" || (x.Balance == nil) != x.Pending {
			t.Fatalf("transaction %+v", x)
		}
		// what the face sends beside Mono's fields arrives in Meta
		if x.Meta[kobo.MetaEntryReference] == "" || x.Meta[kobo.MetaEndToEndID] == "" || x.Meta[kobo.MetaProprietaryCode] == "" ||
			x.Meta[kobo.MetaValueDate] == "" || x.Meta[kobo.MetaCounterpartyName] != bgface.Counterparty(x.Narration) {
			t.Fatalf("transaction %s: meta %v", x.Narration, x.Meta)
		}
		if x.Meta[kobo.MetaCounterpartyName] != "" {
			parties++
		}
	}
	if parties == 0 {
		t.Error("no transaction named a counterparty: the meta check saw none")
	}
	bal, err := f.prov.Balance(t.Context(), *step.Session, accts[0].Ref)
	if err != nil || bal.Balance != accts[0].Balance || bal.Available < 0 {
		t.Fatalf("balance %+v %v (account says %d)", bal, err, accts[0].Balance)
	}

	// the consent's validUntil passes: a background login asks for the
	// customer, an interactive one re-consents, and the account keeps its ref
	f.sim.Advance(t.Context(), "", 91*24*time.Hour)
	if _, err := f.prov.Accounts(t.Context(), *step.Session); kobo.BankErrorKindOf(err) != kobo.BankMFARequired {
		t.Fatalf("expired consent: %v", err)
	}
	if _, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: m.Type, Persist: step.Session.Persist}); kobo.BankErrorKindOf(err) != kobo.BankMFARequired {
		t.Fatalf("background login on an expired consent: %v", err)
	}
	again, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: m.Type, Interactive: true, Persist: step.Session.Persist,
		Fields: map[string]kobo.Secret{"psu_id": "user_good", "password": "123456"}})
	if err != nil {
		t.Fatal(err)
	}
	again, err = f.prov.Answer(t.Context(), *again.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP})
	if err != nil {
		t.Fatal(err)
	}
	accts2, _ := f.read(t, again.Session)
	if accts2[0].Ref != accts[0].Ref {
		t.Fatalf("re-consent changed the account ref: %s → %s", accts[0].Ref, accts2[0].Ref)
	}
}

func TestDecoupledLinkIsPolled(t *testing.T) {
	f := newFixture(t, []string{"redirect", "decoupled"}, nil)
	m := f.inst.AuthMethods[1]
	if m.Consent != kobo.ConsentDecoupled || m.Type != kobo.MobileBanking {
		t.Fatalf("auth method %+v", m)
	}
	step, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: m.Type, Interactive: true, Fields: map[string]kobo.Secret{"psu_id": "user_good"}})
	if err != nil || step.Decoupled == nil {
		t.Fatalf("login: %v %+v", err, step)
	}
	st, err := f.prov.Poll(t.Context(), *step.Decoupled, nil)
	if err != nil || st.Decoupled == nil {
		t.Fatalf("poll before approval: %v %+v", err, st)
	}
	f.sim.Advance(t.Context(), "", 21*time.Second)
	st, err = f.prov.Poll(t.Context(), *step.Decoupled, nil)
	if err != nil || st.Session == nil {
		t.Fatalf("poll after approval: %v %+v", err, st)
	}
	f.read(t, st.Session)
}

// follow plays the customer's browser through the bank's login page and
// returns where the bank sent it back.
func (f *fixture) follow(t *testing.T, link string) *url.URL {
	t.Helper()
	resp, err := f.browser.Get(link)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login page: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	u, _ := url.Parse(link)
	action := u.Path
	v := url.Values{"psu_id": {"user_multi"}, "password": {"123456"}, "otp": {banksim.TestOTP}}
	if u.Path == "/oauth/authorize" {
		action = "/sca/oauth"
		for k, vs := range u.Query() {
			v[k] = vs
		}
	}
	resp, err = f.browser.PostForm(f.base+action, v)
	if err != nil || resp.StatusCode != 302 {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	return back
}

func params(u *url.URL) map[string]string {
	out := map[string]string{}
	for k, v := range u.Query() {
		out[k] = v[0]
	}
	return out
}

// The entry's approach is kobo's preference; the bank picks REDIRECT or
// its OAuth flavour and kobo follows the link it returns (scaRedirect or
// scaOAuth), every answer checked against the Berlin Group spec.
func TestRedirectAndOAuthLinks(t *testing.T) {
	spec := conformance.Require(t, bgface.SpecFile)
	for _, c := range []struct{ entry, bank string }{
		{"redirect", bgface.Redirect}, {"oauth", bgface.OAuth},
		{"oauth", bgface.Redirect}, // an OAuth entry at a bank answering scaRedirect
		{"redirect", bgface.OAuth}, // and the other way round
	} {
		t.Run(c.entry+"-entry-"+c.bank+"-bank", func(t *testing.T) {
			var val *conformance.Validator
			f := newFixture(t, []string{c.entry}, []string{c.bank, bgface.Embedded}, func(base string) func(http.RoundTripper) http.RoundTripper {
				var err error
				if val, err = bgface.NewValidator(spec, base); err != nil {
					t.Fatal(err)
				}
				return val.Transport
			})
			verifier := "verifier-verifier-verifier-verifier-verifier-1"
			sum := sha256.Sum256([]byte(verifier))
			rp := &kobo.RedirectParams{State: "signed-state", CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CallbackURL: "https://kobo.example/connect/callback/berlingroup"}
			step, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: kobo.InternetBanking, Interactive: true, Redirect: rp})
			if err != nil || step.Redirect == nil {
				t.Fatalf("login: %v %+v", err, step)
			}
			link, _ := url.Parse(step.Redirect.URL)
			if wantOAuth := c.bank == bgface.OAuth; (link.Path == "/oauth/authorize") != wantOAuth || link.Host != strings.TrimPrefix(f.base, "https://") {
				t.Fatalf("the bank answered %s but kobo sent the customer to %s", c.bank, link)
			}
			back := f.follow(t, step.Redirect.URL)
			if back.Host != "kobo.example" || back.Query().Get("state") != "signed-state" {
				t.Fatalf("sent back to %v", back)
			}
			s, err := f.prov.Callback(t.Context(), kobo.CallbackRequest{Ref: step.Redirect.Ref, Params: params(back), CodeVerifier: kobo.Secret(verifier), Institution: f.inst})
			if err != nil || s.Session == nil {
				t.Fatalf("callback: %v %+v", err, s)
			}
			accts, _ := f.read(t, s.Session)
			if len(accts) != 3 {
				t.Fatalf("%d accounts", len(accts))
			}
			// a background login keeps the consent (and refreshes an OAuth token)
			f.sim.Advance(t.Context(), "", 20*time.Minute)
			re, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: kobo.InternetBanking, Persist: s.Session.Persist})
			if err != nil || re.Session == nil {
				t.Fatalf("background login: %v", err)
			}
			f.read(t, re.Session)
			if checked, failed := val.Counts(); checked == 0 || failed != 0 {
				t.Errorf("spec check: %d answers checked, %d failed: %+v", checked, failed, val.Failures())
			}
		})
	}
}

// stripLinks drops the named _links from the bank's consent answers, as a
// bank that returns neither SCA link would (both are optional in the spec).
type stripLinks struct {
	rt    http.RoundTripper
	names []string
}

func (s stripLinks) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.rt.RoundTrip(req)
	if err != nil || req.Method != "POST" || req.URL.Path != "/v1/consents" {
		return resp, err
	}
	var body map[string]any
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	links, _ := body["_links"].(map[string]any)
	for _, n := range s.names {
		delete(links, n)
	}
	b, _ := json.Marshal(body)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// A bank whose consent answer carries no link kobo can follow fails the
// login with a message naming what it did return, not with a request to
// an empty URL.
func TestConsentWithoutSCALinkNamesWhatTheBankReturned(t *testing.T) {
	spec := conformance.Require(t, bgface.SpecFile)
	var val *conformance.Validator
	f := newFixture(t, []string{"oauth"}, []string{bgface.Redirect, bgface.Embedded}, func(string) func(http.RoundTripper) http.RoundTripper {
		return func(rt http.RoundTripper) http.RoundTripper {
			return stripLinks{rt: rt, names: []string{"scaRedirect"}}
		}
	}, func(base string) func(http.RoundTripper) http.RoundTripper {
		var err error
		if val, err = bgface.NewValidator(spec, base); err != nil {
			t.Fatal(err)
		}
		return val.Transport // sees the stripped answer: still the standard's shape
	})
	rp := &kobo.RedirectParams{State: "s", CodeChallenge: "c", CallbackURL: "https://kobo.example/connect/callback/berlingroup"}
	step, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: kobo.InternetBanking, Interactive: true, Redirect: rp})
	var be *kobo.BankError
	if !asBankError(err, &be) || be.Kind != kobo.BankInvalidData || step.Redirect != nil {
		t.Fatalf("login: %v %+v", err, step)
	}
	for _, want := range []string{"scaRedirect or scaOAuth", "scaStatus", "self", "status"} {
		if !strings.Contains(be.Message, want) {
			t.Errorf("message %q does not name %q", be.Message, want)
		}
	}
	if checked, failed := val.Counts(); checked != 1 || failed != 0 {
		t.Errorf("spec check: %d answers checked, %d failed: %+v", checked, failed, val.Failures())
	}
}

func TestBankFaultsAreClassified(t *testing.T) {
	f := newFixture(t, []string{"embedded"}, nil)
	step, _ := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: kobo.InternetBanking, Interactive: true,
		Fields: map[string]kobo.Secret{"psu_id": "user_partial", "password": "123456"}})
	step, err := f.prov.Answer(t.Context(), *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP})
	if err != nil {
		t.Fatal(err)
	}
	accts, err := f.prov.Accounts(t.Context(), *step.Session)
	if err != nil {
		t.Fatal(err)
	}
	err = f.prov.Transactions(t.Context(), *step.Session, accts[0].Ref, kobo.TxnQuery{}, func([]kobo.BankTransaction) error { return nil })
	if kobo.BankErrorKindOf(err) != kobo.BankUnavailable {
		t.Fatalf("5xx: %v", err)
	}
	// frequencyPerDay 4: the accounts list brought the balances along, so
	// four unattended balance reads, then the bank says ACCESS_EXCEEDED
	for i := 0; i < 4; i++ {
		if _, err := f.prov.Balance(t.Context(), *step.Session, accts[0].Ref); err != nil {
			t.Fatal(i, err)
		}
	}
	_, err = f.prov.Balance(t.Context(), *step.Session, accts[0].Ref)
	var be *kobo.BankError
	if kobo.BankErrorKindOf(err) != kobo.BankRateLimited || !asBankError(err, &be) || be.RetryAfter == 0 {
		t.Fatalf("429: %v", err)
	}
}

func asBankError(err error, be **kobo.BankError) bool {
	e, ok := err.(*kobo.BankError)
	*be = e
	return ok
}

// movedToken is a bank whose OAuth server names a token_endpoint of its
// own (as /as/token.oauth2 at many ASPSPs) rather than /oauth/token.
type movedToken struct{ rt http.RoundTripper }

func (m movedToken) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.URL.Path {
	case "/oauth/token":
		return &http.Response{StatusCode: 404, Status: "404 Not Found", Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	case "/as/token.oauth2":
		r := req.Clone(req.Context())
		r.URL.Path = "/oauth/token"
		return m.rt.RoundTrip(r)
	}
	resp, err := m.rt.RoundTrip(req)
	if err != nil || req.URL.Path != "/.well-known/oauth-authorization-server" {
		return resp, err
	}
	var meta map[string]any
	err = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	meta["token_endpoint"] = "https://" + req.URL.Host + "/as/token.oauth2"
	b, _ := json.Marshal(meta)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// kobo exchanges the code and refreshes the token at the token_endpoint
// the bank's OAuth metadata names.
func TestOAuthTokenEndpointFromMetadata(t *testing.T) {
	f := newFixture(t, []string{"oauth"}, []string{bgface.OAuth}, func(string) func(http.RoundTripper) http.RoundTripper {
		return func(rt http.RoundTripper) http.RoundTripper { return movedToken{rt} }
	})
	verifier := "verifier-verifier-verifier-verifier-verifier-2"
	sum := sha256.Sum256([]byte(verifier))
	rp := &kobo.RedirectParams{State: "st", CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CallbackURL: "https://kobo.example/connect/callback/berlingroup"}
	step, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: kobo.InternetBanking, Interactive: true, Redirect: rp})
	if err != nil || step.Redirect == nil {
		t.Fatalf("login: %v %+v", err, step)
	}
	back := f.follow(t, step.Redirect.URL)
	s, err := f.prov.Callback(t.Context(), kobo.CallbackRequest{Ref: step.Redirect.Ref, Params: params(back), CodeVerifier: kobo.Secret(verifier), Institution: f.inst})
	if err != nil || s.Session == nil {
		t.Fatalf("callback: %v %+v", err, s)
	}
	f.sim.Advance(t.Context(), "", 20*time.Minute)
	re, err := f.prov.Login(t.Context(), kobo.LoginRequest{Institution: f.inst, AuthMethod: kobo.InternetBanking, Persist: s.Session.Persist})
	if err != nil || re.Session == nil {
		t.Fatalf("background login (token refresh): %v", err)
	}
	f.read(t, re.Session)
}
