package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/banksim/berlingroup"
)

// bgBank serves banksim's Berlin Group face over mTLS on loopback and
// writes the banks file of three banks behind it: one linking by the
// embedded approach (internet banking) or decoupled (mobile banking), one
// by redirect and one by OAuth (a face of its own). The certificates are PEM files, as an operator's are.
type bgBank struct {
	banksFile string
	url       string // the faces' base URLs (the customer's pages are under them)
	oauthURL  string
	browser   *http.Client      // the customer's browser: trusts the bank, no client certificate
	server    *x509.Certificate // the bank's TLS certificate, for a Chromium to trust
}

func startBerlinGroupBank(t *testing.T, clk *shiftClock) bgBank {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test eIDAS CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(n int64, u x509.ExtKeyUsage, ips []net.IP) (tls.Certificate, []byte, []byte) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tm := &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: "leaf"}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{u}, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tm, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(k)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k},
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	server, _, _ := leaf(2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	_, certPEM, keyPEM := leaf(3, x509.ExtKeyUsageClientAuth, nil)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	certFile, keyFile := write("qwac.pem", certPEM), write("qwac.key", keyPEM)

	sim := banksim.New(banksim.Config{Seed: 5, Clock: clk})
	face, err := berlingroup.New(berlingroup.Config{Sim: sim, RequireClientCert: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(face.Handler())
	srv.TLS = berlingroup.TLSConfig(server, pool)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// an ASPSP picks REDIRECT or OAUTH itself, so the OAuth bank is a face
	// of its own that offers OAuth (the same simulated customers)
	oauthFace, err := berlingroup.New(berlingroup.Config{Sim: sim, Approaches: []string{berlingroup.OAuth}, RequireClientCert: true})
	if err != nil {
		t.Fatal(err)
	}
	oauthSrv := httptest.NewUnstartedServer(oauthFace.Handler())
	oauthSrv.TLS = berlingroup.TLSConfig(server, pool)
	oauthSrv.StartTLS()
	t.Cleanup(oauthSrv.Close)
	entry := func(id, name string, approaches ...string) map[string]any {
		base := srv.URL
		if approaches[0] == "oauth" {
			base = oauthSrv.URL
		}
		return map[string]any{"id": id, "name": name, "country": "ng", "base_url": base, "tpp_id": "kobo-test-tpp",
			"cert_file": certFile, "key_file": keyFile, "ca_file": caFile, "sca_approaches": approaches, "frequency_per_day": 4}
	}
	b, _ := json.Marshal(map[string]any{"berlingroup": []any{entry("xs2a-embedded", "XS2A Embedded Bank", "embedded", "decoupled"),
		entry("xs2a-redirect", "XS2A Redirect Bank", "redirect"), entry("xs2a-oauth", "XS2A OAuth Bank", "oauth")}})
	serverCert, err := x509.ParseCertificate(server.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return bgBank{banksFile: write("banks.json", b), url: srv.URL, oauthURL: oauthSrv.URL, server: serverCert,
		browser: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// TestBerlinGroupLinkEveryApproach links banksim users through the
// headless Connect API against the Berlin Group face over mTLS, with each
// SCA approach, reads the accounts and transactions through the
// Mono-shaped API, and lets a consent expire: the sync asks for
// re-authorisation, and re-consenting keeps the kobo account id.
func TestBerlinGroupLinkEveryApproach(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	bank := startBerlinGroupBank(t, clk)
	e := startE2E(t, e2eOpts{clock: clk, banksFile: bank.banksFile})
	e.signupApp("")
	embedded, redirect := e.institution("XS2A Embedded Bank"), e.institution("XS2A Redirect Bank")

	exchange := func(r res) string {
		t.Helper()
		if r.m(t)["responseCode"] != float64(99) {
			t.Fatalf("not linked: %s", r.body)
		}
		code := r.m(t)["data"].(map[string]any)["code"].(string)
		id := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
		waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
		return id
	}

	// embedded: the PSU's user id and password in kobo's form, the OTP as a 102
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": embedded, "auth_method": "internet_banking"}, e.key()...).m(t)["id"].(string)
	r := e.must(200, "POST", "/v1/connect/login", map[string]string{"psu_id": "user_good", "password": "123456"}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(102) {
		t.Fatalf("embedded login: %s", r.body)
	}
	e.must(400, "POST", "/v1/connect/commit", map[string]string{"otp": "000000"}, e.key("x-session-id", s)...)
	id := exchange(e.must(200, "POST", "/v1/connect/commit", map[string]string{"otp": banksim.TestOTP}, e.key("x-session-id", s)...))
	acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
	if acct["currency"] != "NGN" || acct["name"] != "ADAEZE NNEKA OKAFOR" || len(acct["accountNumber"].(string)) != 10 {
		t.Fatalf("account: %v", acct)
	}
	var txns struct {
		Data []map[string]any `json:"data"`
	}
	json.Unmarshal(e.must(200, "GET", "/accounts/"+id+"/transactions?paginate=false", nil, e.key()...).body, &txns)
	if len(txns.Data) < 100 {
		t.Fatalf("%d transactions", len(txns.Data))
	}

	// decoupled: the PSU approves in their app; kobo polls (104) until then
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": embedded, "auth_method": "mobile_banking"}, e.key()...).m(t)["id"].(string)
	r = e.must(200, "POST", "/v1/connect/login", map[string]string{"psu_id": "user_multi"}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(104) {
		t.Fatalf("decoupled login: %s", r.body)
	}
	clk.advance(3 * time.Second) // the simulated user approves after 2 s
	r = e.must(200, "POST", "/v1/connect/commit", map[string]string{}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(101) {
		t.Fatalf("decoupled after approval: %s", r.body)
	}
	exchange(e.must(200, "POST", "/v1/connect/commit", map[string]any{"account": 1}, e.key("x-session-id", s)...))

	// redirect: 103 with the bank's login page; the browser comes back to kobo's callback
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": redirect, "auth_method": "internet_banking"}, e.key()...).m(t)["id"].(string)
	r = e.must(200, "POST", "/v1/connect/login", map[string]string{}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(103) {
		t.Fatalf("redirect login: %s", r.body)
	}
	page := r.m(t)["data"].(map[string]any)["url"].(string)
	pr, err := bank.browser.Get(page)
	if err != nil || pr.StatusCode != 200 {
		t.Fatalf("bank login page: %v %v", pr, err)
	}
	io.Copy(io.Discard, pr.Body)
	pr.Body.Close()
	pr, err = bank.browser.PostForm(page, url.Values{"psu_id": {"user_good"}, "password": {"123456"}, "otp": {banksim.TestOTP}})
	if err != nil || pr.StatusCode != 302 {
		t.Fatalf("bank login: %v %v", pr, err)
	}
	pr.Body.Close()
	back := pr.Header.Get("Location")
	if !strings.HasPrefix(back, e.url+"/connect/callback/berlingroup?") {
		t.Fatalf("the bank sent the customer to %q", back)
	}
	cb, err := http.Get(back)
	if err != nil || cb.StatusCode != 200 {
		t.Fatalf("callback: %v %v", cb, err)
	}
	cb.Body.Close()
	exchange(e.must(200, "POST", "/v1/connect/commit", map[string]string{}, e.key("x-session-id", s)...))

	// the embedded consent's 90 days pass: the sync needs the customer,
	// who re-consents; the account keeps its id
	clk.advance(91 * 24 * time.Hour)
	r = e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...)
	if r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("sync after the consent expired: %s", r.body)
	}
	rs := e.must(200, "POST", "/v2/connect/reauth/session", map[string]string{"account": id}, e.key()...).m(t)["data"].(map[string]any)["session_id"].(string)
	r = e.must(200, "POST", "/v2/connect/reauth/login", map[string]string{"psu_id": "user_good", "password": "123456"}, e.key("x-session-id", rs)...)
	if r.m(t)["data"].(map[string]any)["responseCode"] != float64(102) {
		t.Fatalf("reauth login: %s", r.body)
	}
	r = e.must(200, "POST", "/v2/connect/commit", map[string]string{"otp": banksim.TestOTP}, e.key("x-session-id", rs)...)
	if !strings.Contains(string(r.body), "code_") {
		t.Fatalf("reauth commit: %s", r.body)
	}
	waitUntil(t, "available again", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	if r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...); r.m(t)["code"] != "SYNC_SUCCESSFUL" {
		t.Fatalf("sync after re-consent: %s", r.body)
	}
}
