package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/httpapi"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

var update = flag.Bool("update", false, "rewrite golden files")

type bundle struct {
	srv *httptest.Server
	svc *app.Service
	st  kobo.Store
}

func setup(t testing.TB) *bundle { t.Helper(); return setupWith(t, app.Config{}) }

// setupWith is setup with app settings (rate limits).
func setupWith(t testing.TB, base app.Config) *bundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	base.Store, base.PasswordParams = st, app.PasswordParams{Memory: 64, Time: 1, Threads: 1}
	svc := app.New(base)
	if err := svc.SeedInstitutions(ctx, banksim.Catalog()); err != nil {
		t.Fatal(err)
	}
	b := &bundle{svc: svc, st: st}
	b.srv = httptest.NewUnstartedServer(nil)
	api := httpapi.New(httpapi.Config{App: svc, PublicURL: "https://kobo.test", BodyLimit: 64 << 10, Ready: st.Ping})
	b.srv.Config.Handler = api.Handler()
	b.srv.Start()
	t.Cleanup(func() { b.srv.Close(); st.Close() })
	return b
}

// resp is a decoded response.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// do sends a request; body may be nil, a string (sent raw) or a value
// (JSON-encoded). headers alternate name, value.
func (b *bundle) do(t testing.TB, method, path string, body any, headers ...string) resp {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		buf, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: out}
}

func (r resp) want(t testing.TB, status int) resp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	return r
}

// volatile matches values that change between runs; golden files hold
// placeholders instead.
var volatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`), "<timestamp>"},
	{regexp.MustCompile(`^(test|live)_sk_[a-z0-9]+$`), "<${1}_sk>"},
	{regexp.MustCompile(`^(test|live)_pk_[a-z0-9]+$`), "<${1}_pk>"},
	{regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]+$`), "<whsec>"},
	{regexp.MustCompile(`^kobo_pat_[a-z0-9]+$`), "<token>"},
	{regexp.MustCompile(`^[0-9a-f]{24}$`), "<id>"},
	{regexp.MustCompile(`\(request id req_[a-z0-9]+\)`), "(request id <request_id>)"},
}

func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case string:
		for _, p := range volatile {
			if p.re.MatchString(x) {
				return p.re.ReplaceAllString(x, p.repl)
			}
		}
	}
	return v
}

// golden compares a response body (normalised) with testdata/name.golden.json.
func golden(t testing.TB, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", name, err, body)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(normalize(v)); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test -update to create it)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: response differs from golden file %s\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// partner signs a partner up and logs in, returning the bearer header.
func (b *bundle) partner(t testing.TB, email string) (auth string) {
	t.Helper()
	b.do(t, "POST", "/v1/auth/signup", map[string]string{"name": "Acme Lending", "email": email, "password": "a long passphrase"}).want(t, 201)
	r := b.do(t, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).want(t, 200)
	return "Bearer " + r.json(t)["token"].(string)
}

// newApp creates an app and returns its id and test secret key.
func (b *bundle) newApp(t testing.TB, auth string) (id, sk string) {
	t.Helper()
	m := b.do(t, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", auth).want(t, 201).json(t)
	return m["id"].(string), m["secret_key"].(string)
}
