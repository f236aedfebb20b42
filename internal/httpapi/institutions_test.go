package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

func TestInstitutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	auth := b.partner(t, "inst@acme.ng")
	appID, sk := b.newApp(t, auth)

	r := b.do(t, "GET", "/coverage", nil).want(t, 200)
	golden(t, "coverage", r.Body)

	r = b.do(t, "GET", "/v1/institutions", nil).want(t, 200)
	golden(t, "institutions_v1", r.Body)
	var v1 []map[string]any
	if err := json.Unmarshal(r.Body, &v1); err != nil {
		t.Fatal(err)
	}
	if len(v1) < 12 {
		t.Fatalf("catalog has %d institutions, want ≥ 12", len(v1))
	}
	var personal, business, mobile, internet int
	for _, in := range v1 {
		switch in["type"] {
		case "PERSONAL_BANKING":
			personal++
		case "BUSINESS_BANKING":
			business++
		}
		for _, m := range in["auth_methods"].([]any) {
			switch m.(map[string]any)["type"] {
			case "mobile_banking":
				mobile++
			case "internet_banking":
				internet++
			}
			if len(m.(map[string]any)["ui"].(map[string]any)["form"].([]any)) < 2 {
				t.Errorf("%s has a login form with fewer than two fields", in["name"])
			}
		}
	}
	if personal == 0 || business == 0 || mobile == 0 || internet == 0 {
		t.Errorf("catalog lacks variety: personal=%d business=%d mobile=%d internet=%d", personal, business, mobile, internet)
	}
	// the same with a key, and filtered
	b.do(t, "GET", "/v1/institutions", nil, "mono-sec-key", sk).want(t, 200)
	r = b.do(t, "GET", "/v1/institutions?country=NG&scope=financial_data", nil).want(t, 200)
	if strings.Count(string(r.Body), `"_id"`) == 0 {
		t.Errorf("country/scope filter dropped everything")
	}
	// v1 predates scopes: community code lists banks with scope=payments
	all := b.do(t, "GET", "/v1/institutions", nil).want(t, 200)
	for _, sc := range []string{"payments", "data", "financial_data"} {
		if r = b.do(t, "GET", "/v1/institutions?scope="+sc, nil).want(t, 200); string(r.Body) != string(all.Body) {
			t.Errorf("scope=%s lists other banks than no scope: %.200s", sc, r.Body)
		}
	}
	if r = b.do(t, "GET", "/v1/institutions?country=gh", nil).want(t, 200); string(r.Body) != "[]\n" {
		t.Errorf("country=gh = %s", r.Body)
	}

	// v3 needs a secret key
	b.do(t, "GET", "/v3/institutions", nil).want(t, 401)
	m := b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", "test_sk_nonexistentkey000000000000000").want(t, 401).json(t)
	if m["status"] != "failed" || m["data"] != nil {
		t.Errorf("v2 error envelope = %v", m)
	}
	pk := b.do(t, "GET", "/v1/apps/"+appID, nil, "Authorization", auth).json(t)["public_key"].(string)
	m = b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", pk).want(t, 401).json(t)
	if !strings.Contains(m["message"].(string), "secret key") {
		t.Errorf("public key message = %v", m["message"])
	}
	r = b.do(t, "GET", "/v3/institutions?scope=financial_data&bank_code=058", nil, "mono-sec-key", sk).want(t, 200)
	golden(t, "institutions_v3_gtbank", r.Body)
	data := r.json(t)["data"].([]any)
	if len(data) != 2 {
		t.Fatalf("bank_code=058 gave %d entries, want GTBank personal and business", len(data))
	}
	r = b.do(t, "GET", "/v3/institutions?auth_method=mobile_banking", nil, "mono-sec-key", sk).want(t, 200)
	for _, in := range r.json(t)["data"].([]any) {
		found := false
		for _, am := range in.(map[string]any)["auth_methods"].([]any) {
			found = found || am.(map[string]any)["type"] == "mobile_banking"
		}
		if !found {
			t.Errorf("auth_method filter kept %v", in.(map[string]any)["name"])
		}
	}
	for _, q := range []string{"?scope=loans", "?auth_method=ussd", "?bank_code=abc", "?country=nigeria"} {
		r := b.do(t, "GET", "/v3/institutions"+q, nil, "mono-sec-key", sk).want(t, 400)
		if r.json(t)["status"] != "failed" {
			t.Errorf("%s: %s", q, r.Body)
		}
		b.do(t, "GET", "/v1/institutions"+q, nil).want(t, 400)
	}

	// icons are served locally
	icon := v1[0]["icon"].(string)
	if !strings.HasPrefix(icon, "https://kobo.test/static/institutions/") {
		t.Fatalf("icon = %q, want a kobo-served URL", icon)
	}
	res, err := b.srv.Client().Get(b.srv.URL + strings.TrimPrefix(icon, "https://kobo.test"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("icon: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.do(t, "GET", "/healthz", nil).want(t, 200)
	b.do(t, "GET", "/readyz", nil).want(t, 200)
	b.st.Close()
	if r := b.do(t, "GET", "/readyz", nil); r.Status != 503 {
		t.Fatalf("readyz with a closed database = %d", r.Status)
	}
}

func TestInstitutionsCaching(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// a client that does not ask for gzip gets plain JSON
	req, _ := http.NewRequest("GET", b.srv.URL+"/v1/institutions", nil)
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "" || !json.Valid(plain) {
		t.Fatalf("plain response: encoding %q, valid JSON %v", res.Header.Get("Content-Encoding"), json.Valid(plain))
	}
	etag := res.Header.Get("ETag")
	// gzip when asked, same content
	req.Header.Set("Accept-Encoding", "gzip")
	res, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(unzipped, plain) {
		t.Fatalf("gzip response differs from plain")
	}
	// revalidation
	req.Header.Set("If-None-Match", etag)
	res, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if etag == "" || res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match %q: status %d", etag, res.StatusCode)
	}
}

// simBank is a provider that is not Real (the sandbox bank's place).
type simBank struct{ redirectBank }

func (simBank) Policy() kobo.ProviderPolicy { return kobo.ProviderPolicy{} }

// TestInstitutionsListProviders: /v3/institutions and /v1/institutions
// carry kobo's providers, the connectors this kobo runs that reach each
// institution, the default first (one the catalog names but this kobo
// does not run is left out), after Mono's own fields.
func TestInstitutionsListProviders(t *testing.T) {
	t.Parallel()
	b := setupWith(t, app.Config{Providers: map[string]kobo.Provider{"banksim": simBank{}, "open": redirectBank{}}})
	ctx := context.Background()
	inst := kobo.Institution{ID: "6a2d08be60b92e2888287798", Name: "Two Ways Bank", Type: kobo.PersonalBanking, BankCode: "998", Country: "gb",
		Identifier: "kobo.twoways", Scopes: []string{"financial_data"}, Provider: "banksim", Providers: []string{"banksim", "simplefin", "open"},
		AuthMethods: []kobo.AuthMethod{{ID: "70d071acf73e6468062ae898", Type: kobo.InternetBanking, Name: "Two", UI: kobo.UIForm{Title: "Two Ways", Form: []kobo.FormField{{Type: "elements.input", Name: "username", Hint: "User ID", ContentType: "string"}}}}}}
	if err := b.svc.SeedInstitutions(ctx, []kobo.Institution{inst}); err != nil {
		t.Fatal(err)
	}
	auth := b.partner(t, "twoways@acme.ng")
	_, sk := b.newApp(t, auth)
	r := b.do(t, "GET", "/v3/institutions?bank_code=998", nil, "mono-sec-key", sk).want(t, 200)
	golden(t, "institutions_v3_providers", r.Body)
	v1 := b.do(t, "GET", "/v1/institutions", nil).want(t, 200)
	var list []map[string]any
	if err := json.Unmarshal(v1.Body, &list); err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in["bank_code"] == "998" {
			if got, _ := json.Marshal(in["providers"]); string(got) != `["banksim","open"]` {
				t.Errorf("v1 providers = %s", got)
			}
		}
	}
	// a live caller is offered only the real connector
	live := true
	if got := b.svc.InstitutionConnectors(&inst, &live); len(got) != 1 || got[0] != "open" {
		t.Errorf("live connectors = %v", got)
	}
}
