package bench

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
	obieface "github.com/kobo-oss/kobo/internal/banksim/obie"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/obie"
)

// benchOBIE measures the UK Open Banking path: kobo's OBIE connector
// reading a customer's first fetch (accounts with balances, about 3,000
// transactions paged with Links.Next, identity) from banksim's OBIE face
// over TLS with a client certificate on loopback, and, in a second run
// through a validating transport, how many of the face's answers fail the
// official OpenAPI file (v3.1.11 and v4.0). The timed run validates
// nothing, so the validator's cost is not in the figure.
func benchOBIE(ctx context.Context, o benchOpts) ([]benchResult, error) {
	var out []benchResult
	wd, _ := os.Getwd()
	for _, prof := range []obieface.Profile{obieface.V31(), obieface.V40()} {
		rows, took, err := obieFirstFetch(ctx, prof, nil)
		if err != nil {
			return nil, fmt.Errorf("obie %s: %w", prof.Version, err)
		}
		out = append(out, benchResult{Suite: "obie", Name: fmt.Sprintf("first fetch of %d transactions through the OBIE %s face, mTLS loopback", rows, prof.Version),
			Value: took.Seconds(), Unit: "s", Target: "< 2 s for ≥ 3000 rows", Pass: rows >= 3000 && took < 2*time.Second})
		spec, specErr := conformance.Find(wd, obieface.SpecFile(prof.Version))
		if specErr != nil {
			out = append(out, benchResult{Suite: "obie", Name: "OBIE " + prof.Version + " face answers failing the spec", Target: "0", Skipped: true,
				Note: "not measured: " + specErr.Error()})
			continue
		}
		v, err := obieface.NewValidator(spec)
		if err != nil {
			return nil, err
		}
		if _, _, err := obieFirstFetch(ctx, prof, v.Transport); err != nil {
			return nil, fmt.Errorf("obie %s validated run: %w", prof.Version, err)
		}
		checked, _ := v.Counts()
		fails := v.Failures()
		note := fmt.Sprintf("%d answers validated", checked)
		if len(fails) > 0 {
			note += "; first: " + fails[0].String()
		}
		out = append(out, benchResult{Suite: "obie", Name: "OBIE " + prof.Version + " face answers failing the spec", Value: float64(len(fails)), Unit: "responses",
			Target: "0", Pass: len(fails) == 0 && checked > 0, Note: note})
	}
	return out, nil
}

var benchFlowRe = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// obieFirstFetch links a fresh customer (about 3,000 transactions) and
// times the reads of their first fetch.
func obieFirstFetch(ctx context.Context, prof obieface.Profile, wrap func(http.RoundTripper) http.RoundTripper) (int, time.Duration, error) {
	sim := banksim.New(banksim.Config{Seed: 5})
	w := httptest.NewRecorder()
	sim.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/admin/users", strings.NewReader(
		`{"username":"custom_bench","accounts":[{"type":"CURRENT ACCOUNT","per_day":4.1,"history_days":365,"opening_kobo":1000000000000}]}`)))
	if w.Code != http.StatusCreated {
		return 0, 0, fmt.Errorf("bench user: %d %s", w.Code, w.Body)
	}
	dir, err := os.MkdirTemp("", "kobo-bench-obie-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	lb, err := obieface.StartLoopback(obieface.Config{Sim: sim, Profile: prof, Clients: map[string][]string{"kobo-bench": nil}}, "127.0.0.1:0", dir)
	if err != nil {
		return 0, 0, err
	}
	defer lb.Close()
	var raw struct {
		OBIE json.RawMessage `json:"obie"`
	}
	_ = json.Unmarshal(lb.BanksFile("simbank", "Sim Bank UK", "kobo-bench"), &raw)
	banks, err := obie.ParseBanks(raw.OBIE)
	if err != nil {
		return 0, 0, err
	}
	p, err := obie.New(obie.Config{Banks: banks, WrapTransport: wrap})
	if err != nil {
		return 0, 0, err
	}
	inst := obie.Catalog(banks)[0]
	verifier := kobo.RandomToken(43)
	sum := sha256.Sum256([]byte(verifier))
	rp := &kobo.RedirectParams{State: "bench", CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CallbackURL: "https://kobo.bench/connect/callback/obie"}
	step, err := p.Login(ctx, kobo.LoginRequest{Institution: inst, Interactive: true, Redirect: rp})
	if err != nil || step.Redirect == nil {
		return 0, 0, fmt.Errorf("login: %v", err)
	}
	code, err := benchAtBank(ctx, lb, step.Redirect.URL, "custom_bench")
	if err != nil {
		return 0, 0, err
	}
	step, err = p.Callback(ctx, kobo.CallbackRequest{Ref: step.Redirect.Ref, Params: map[string]string{"code": code, "state": "bench"}, CodeVerifier: kobo.Secret(verifier)})
	if err != nil || step.Session == nil {
		return 0, 0, fmt.Errorf("callback: %v", err)
	}
	s := *step.Session
	t0 := time.Now()
	accts, err := p.Accounts(ctx, s)
	if err != nil || len(accts) == 0 {
		return 0, 0, fmt.Errorf("accounts: %v", err)
	}
	rows := 0
	if err := p.Transactions(ctx, s, accts[0].Ref, kobo.TxnQuery{}, func(page []kobo.BankTransaction) error { rows += len(page); return nil }); err != nil {
		return 0, 0, err
	}
	if _, err := p.Identity(ctx, s, accts[0].Ref); err != nil {
		return 0, 0, err
	}
	return rows, time.Since(t0), nil
}

// benchAtBank logs the customer in at the face's page and returns the
// authorization code it redirects with.
func benchAtBank(ctx context.Context, lb *obieface.Loopback, authURL, user string) (string, error) {
	pool := x509.NewCertPool()
	pool.AddCert(lb.PKI.CA)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := benchFlowRe.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("bank page: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(lb.URL+"/authorize", url.Values{"flow": {string(m[1])}, "username": {user}, "password": {"123456"}, "action": {"allow"}})
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("bank login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), nil
}
