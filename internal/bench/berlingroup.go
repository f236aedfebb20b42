package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	bgface "github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
)

// benchBerlinGroup measures the Berlin Group connector against banksim's
// Berlin Group face over mTLS on loopback: the first fetch of a linked
// account's 3,000-odd transactions (accounts, balances, then the pages of
// transactions), and, in a second run of the same flow through a
// conformance check, how many of the face's responses fail validation
// against the official NextGenPSD2 1.3.11 OpenAPI file.
func benchBerlinGroup(ctx context.Context, o benchOpts) ([]benchResult, error) {
	sim := banksim.New(banksim.Config{Seed: 1})
	face, err := bgface.New(bgface.Config{Sim: sim, RequireClientCert: true})
	if err != nil {
		return nil, err
	}
	pki, err := loopbackpki.New("tpp")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: face.Handler(), TLSConfig: bgface.TLSConfig(pki.Server, pki.Roots()), ReadHeaderTimeout: 10 * time.Second}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()
	base := "https://" + ln.Addr().String()
	banks, err := berlingroup.ParseBanks([]byte(`[{"id":"bench","name":"Bench Bank","country":"ng","base_url":"` + base + `","sca_approaches":["embedded"],"frequency_per_day":24}]`))
	if err != nil {
		return nil, err
	}
	now, _ := sim.Now(ctx, "")
	from := now.AddDate(0, 0, -21) // user_business: about 150 a day
	run := func(wrap func(http.RoundTripper) http.RoundTripper) (int, time.Duration, error) {
		p, err := berlingroup.New(berlingroup.Config{Banks: banks, WrapTransport: wrap,
			TLS: map[string]*tls.Config{"bench": {RootCAs: pki.Roots(), Certificates: []tls.Certificate{pki.Client}}}})
		if err != nil {
			return 0, 0, err
		}
		in := berlingroup.Catalog(banks)[0]
		step, err := p.Login(ctx, kobo.LoginRequest{Institution: in, AuthMethod: kobo.InternetBanking, Interactive: true,
			Fields: map[string]kobo.Secret{berlingroup.FieldPSUID: "user_business", berlingroup.FieldPassword: "123456"}})
		if err != nil || step.Challenge == nil {
			return 0, 0, fmt.Errorf("berlingroup bench: link: %v", err)
		}
		if step, err = p.Answer(ctx, *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP}); err != nil || step.Session == nil {
			return 0, 0, fmt.Errorf("berlingroup bench: OTP: %v", err)
		}
		t0 := time.Now()
		accts, err := p.Accounts(ctx, *step.Session)
		if err != nil || len(accts) == 0 {
			return 0, 0, fmt.Errorf("berlingroup bench: accounts: %v", err)
		}
		n := 0
		err = p.Transactions(ctx, *step.Session, accts[0].Ref, kobo.TxnQuery{From: from}, func(page []kobo.BankTransaction) error {
			n += len(page)
			return nil
		})
		return n, time.Since(t0), err
	}
	n, took, err := run(nil)
	if err != nil {
		return nil, err
	}
	out := []benchResult{{Suite: "berlingroup", Name: fmt.Sprintf("first fetch of %d transactions through the Berlin Group face (mTLS, loopback)", n),
		Value: float64(took.Milliseconds()), Unit: "ms", Target: "< 2000 ms for ≥ 3000 rows", Pass: n >= 3000 && took < 2*time.Second}}
	wd, _ := os.Getwd()
	spec, err := conformance.Find(wd, bgface.SpecFile)
	if err != nil {
		return append(out, benchResult{Suite: "berlingroup", Name: "face responses failing spec validation", Target: "0", Skipped: true,
			Note: "not measured: " + err.Error()}), nil
	}
	val, err := bgface.NewValidator(spec, base)
	if err != nil {
		return nil, err
	}
	if _, _, err := run(val.Transport); err != nil {
		return nil, err
	}
	checked, failed := val.Counts()
	note := fmt.Sprintf("%d responses checked", checked)
	if fs := val.Failures(); len(fs) > 0 {
		note += fmt.Sprintf("; first: %.200s", fs[0])
	}
	return append(out, benchResult{Suite: "berlingroup", Name: "face responses failing spec validation (NextGenPSD2 1.3.11)", Value: float64(failed), Unit: "responses",
		Target: "0", Pass: checked > 0 && failed == 0, Note: note}), nil
}
