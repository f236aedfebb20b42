package berlingroup_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
)

// TestValidatorCatchesNonConformingResponses proves the measurement can
// fail: bodies that break the spec are counted as failures, conforming
// ones are not.
func TestValidatorCatchesNonConformingResponses(t *testing.T) {
	spec := conformance.Require(t, berlingroup.SpecFile)
	bodies := map[string]string{
		"/v1/consents/good/status": `{"consentStatus":"valid"}`,
		"/v1/consents/bad/status":  `{"consentStatus":"happy"}`,
		"/v1/accounts":             `{"accounts":[{"resourceId":"a","bban":"0123456789"}]}`, // no currency
		"/v1/accounts/a/balances":  `{"balances":[{"balanceAmount":{"currency":"NGN","amount":12.5},"balanceType":"closingBooked"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(bodies[r.URL.Path]))
	}))
	defer srv.Close()
	v, err := berlingroup.NewValidator(spec, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: v.Transport(http.DefaultTransport)}
	for _, p := range []string{"/v1/consents/good/status", "/v1/consents/bad/status", "/v1/accounts", "/v1/accounts/a/balances"} {
		req, _ := http.NewRequest("GET", srv.URL+p, nil)
		req.Header.Set("Consent-ID", "x")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	checked, failed := v.Counts()
	if checked != 4 || failed != 3 {
		t.Fatalf("checked %d, failed %d; want 4 and 3: %+v", checked, failed, v.Failures())
	}
	for _, f := range v.Failures() {
		if strings.Contains(f.Path, "good") {
			t.Errorf("a conforming response failed: %+v", f)
		}
	}
}
