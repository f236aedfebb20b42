package httpapi_test

import (
	"encoding/json"
	"net/url"
	"testing"
)

// FuzzRequestDecoders throws arbitrary bodies at every JSON endpoint of
// the Partner API: whatever arrives, the answer is a JSON 4xx or a success,
// never a 5xx.
func FuzzRequestDecoders(f *testing.F) {
	b := setup(f)
	auth := b.partner(f, "fuzz@acme.ng")
	appID, _ := b.newApp(f, auth)
	for _, s := range []string{
		`{"name":"x","email":"a@b.ng","password":"a long passphrase"}`, `{}`, `[]`, `null`, `"x"`, `{"name":null}`,
		`{"live":1}`, `{"sync_frequency":1e400}`, `{"name":"\u0000"}`, `{"email":"a@b.ng","password":""}`, `{"a":{"b":[`,
		`{"name":"x","displayName":"y","webhookUrl":"http://[::1]:80/x"}`, "\xff\xfe", `{"relink":"reuse","icon":"http://x"}`,
	} {
		for path := range 5 {
			f.Add(s, path)
		}
	}
	paths := []struct{ method, path string }{
		{"POST", "/v1/auth/signup"}, {"POST", "/v1/auth/login"}, {"POST", "/v1/apps"},
		{"PATCH", "/v1/apps/" + appID}, {"POST", "/v1/auth/password"},
	}
	f.Fuzz(func(t *testing.T, body string, which int) {
		p := paths[uint(which)%uint(len(paths))]
		r := b.do(t, p.method, p.path, body, "Authorization", auth)
		if r.Status >= 500 {
			t.Fatalf("%s %s with %q: status %d: %s", p.method, p.path, body, r.Status, r.Body)
		}
		if !json.Valid(r.Body) {
			t.Fatalf("%s %s: response is not JSON: %q", p.method, p.path, r.Body)
		}
	})
}

// FuzzInstitutionQuery fuzzes the institutions query parser.
func FuzzInstitutionQuery(f *testing.F) {
	b := setup(f)
	for _, q := range []string{"country=ng", "scope=financial_data&bank_code=058", "auth_method=%00", "bank_code=0000000", "country=%ZZ", "type=business_banking", "&&&=="} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil || len(q) > 4096 {
			return // not a query string a client could send
		}
		r := b.do(t, "GET", "/v1/institutions?"+vals.Encode(), nil)
		if r.Status != 200 && r.Status != 400 {
			t.Fatalf("?%s: status %d: %s", q, r.Status, r.Body)
		}
	})
}
