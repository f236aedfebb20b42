package apidoc

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

var update = flag.Bool("update", false, "rewrite examples.json from the golden files")

// goldenDirs are the golden files that are API bodies; an example is
// named <dir>.<file without .golden.json>. (statementimport's goldens are
// parser output, not API bodies.)
var goldenDirs = []string{"httpapi", "cli", "webhook"}

// partGoldens are golden files of a part of a body (not a whole response
// or webhook), by the component schema they must match.
var partGoldens = map[string]string{
	"cli.shape_webhook_account_income": "IncomeReport", // the data of mono.events.account_income
}

// placeholders are the golden files' stand-ins for values that change
// between runs and that are not strings; the examples carry a value of
// the right type so they validate (the strings, <id> and the like, stay).
var placeholders = map[string]any{
	"<number>":   0,
	"<kobo>":     1520000,
	"<epoch_ms>": 1769547638856,
	"<bool>":     false,
}

func typed(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = typed(e)
		}
	case []any:
		for i, e := range x {
			x[i] = typed(e)
		}
	case string:
		if p, ok := placeholders[x]; ok {
			return p
		}
	}
	return v
}

// goldenExamples reads every golden file into an OpenAPI Example Object.
func goldenExamples(t *testing.T) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, dir := range goldenDirs {
		paths, err := filepath.Glob(filepath.Join("..", dir, "testdata", "*.golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) == 0 {
			t.Fatalf("no golden files in internal/%s/testdata", dir)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			base := strings.TrimSuffix(filepath.Base(p), ".golden.json")
			name := dir + "." + base
			desc := "From the golden file internal/" + dir + "/testdata/" + filepath.Base(p) + "."
			if strings.HasPrefix(base, "shape_") {
				desc += " A shape: every string is \"<string>\" and every number 0."
			}
			out[name] = map[string]any{"summary": base, "description": desc, "value": typed(v)}
		}
	}
	return out
}

func encodeExamples(t *testing.T, ex map[string]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ex); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExamplesAreTheGoldens keeps examples.json equal to the golden files
// (a golden file changed by `go test -update` elsewhere fails here until
// examples.json is regenerated with -update).
func TestExamplesAreTheGoldens(t *testing.T) {
	got := encodeExamples(t, goldenExamples(t))
	if *update {
		if err := os.WriteFile("examples.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("examples.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("examples.json differs from the golden files; run go test ./internal/apidoc -run TestExamplesAreTheGoldens -update")
	}
}

// load parses the served document with kin-openapi.
func load(t *testing.T) *openapi3.T {
	t.Helper()
	b, err := Load().JSON()
	if err != nil {
		t.Fatal(err)
	}
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(b)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return doc
}

func TestDocumentValidates(t *testing.T) {
	doc := load(t)
	if !doc.IsOpenAPI31OrLater() || doc.IsOpenAPI32OrLater() {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	// Validate checks the document's structure, every $ref, and every
	// example against its schema (JSON Schema 2020-12 for 3.1).
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
}

// exampleRefs are the examples each response and webhook body refers to.
type use struct {
	where  string // "GET /accounts/{id} 200" or "webhook mono.events.x"
	method string
	path   string
	status int
	media  string
	name   string
}

func uses(t *testing.T, doc *openapi3.T) []use {
	t.Helper()
	var out []use
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			for code, rr := range op.Responses.Map() {
				var status int
				fmt.Sscan(code, &status)
				for media, mt := range rr.Value.Content {
					for _, ex := range mt.Examples {
						if ex.Ref == "" {
							continue
						}
						out = append(out, use{where: method + " " + p + " " + code, method: method, path: p, status: status, media: media,
							name: strings.TrimPrefix(ex.Ref, "#/components/examples/")})
					}
				}
			}
		}
	}
	for name, item := range doc.Webhooks {
		for _, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			for media, mt := range op.RequestBody.Value.Content {
				for _, ex := range mt.Examples {
					if ex.Ref != "" {
						out = append(out, use{where: "webhook " + name, media: media, name: strings.TrimPrefix(ex.Ref, "#/components/examples/")})
					}
				}
			}
		}
	}
	return out
}

var param = regexp.MustCompile(`\{[^}]+\}`)

// TestGoldenResponsesValidate runs every golden response through
// openapi3filter.ValidateResponse as the response of the route and status
// it is documented under, and every golden webhook through its body
// schema.
func TestGoldenResponsesValidate(t *testing.T) {
	doc := load(t)
	ctx := context.Background()
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	n := 0
	for _, u := range uses(t, doc) {
		ex := doc.Components.Examples[u.name]
		if ex == nil || ex.Value == nil {
			t.Errorf("%s: example %s does not exist", u.where, u.name)
			continue
		}
		body, err := json.Marshal(ex.Value.Value)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if u.method == "" {
			mt := doc.Webhooks[strings.TrimPrefix(u.where, "webhook ")].Post.RequestBody.Value.Content.Get(u.media)
			if err := mt.Schema.Value.VisitJSON(ex.Value.Value, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("%s: golden %s does not match the body schema: %v", u.where, u.name, err)
			}
			continue
		}
		item := doc.Paths.Value(u.path)
		concrete := param.ReplaceAllString(u.path, "x")
		req, _ := http.NewRequest(u.method, "http://kobo.test"+concrete, nil)
		pp := map[string]string{}
		for _, m := range param.FindAllString(u.path, -1) {
			pp[strings.Trim(m, "{}")] = "x"
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: pp,
				Route: &routers.Route{Spec: doc, Path: u.path, PathItem: item, Method: u.method, Operation: item.GetOperation(u.method)}, Options: opts},
			Status:  u.status,
			Header:  http.Header{"Content-Type": {u.media}},
			Options: opts,
		}
		in.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
			t.Errorf("%s: golden %s does not validate: %v", u.where, u.name, err)
		}
	}
	if n < 60 {
		t.Fatalf("only %d golden bodies were checked", n)
	}
	for name, schema := range partGoldens {
		ex, sr := doc.Components.Examples[name], doc.Components.Schemas[schema]
		if ex == nil || sr == nil {
			t.Fatalf("partGoldens: example %s or schema %s does not exist", name, schema)
		}
		if err := sr.Value.VisitJSON(ex.Value.Value, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("golden %s does not match #/components/schemas/%s: %v", name, schema, err)
		}
	}
}

// TestEveryGoldenIsAnExample: a golden file nobody placed under a route is
// a response the document does not describe.
func TestEveryGoldenIsAnExample(t *testing.T) {
	doc := load(t)
	used := map[string]bool{}
	for _, u := range uses(t, doc) {
		used[u.name] = true
	}
	var missing []string
	for name := range goldenExamples(t) {
		if !used[name] && partGoldens[name] == "" {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		t.Errorf("golden %s is not an example of any response in internal/apidoc/openapi.yaml: add `%s: {$ref: '#/components/examples/%s'}` under the examples of the route and status that answers it",
			name, name[strings.Index(name, ".")+1:], name)
	}
	for name := range partGoldens {
		if used[name] {
			t.Errorf("%s is listed in partGoldens but used as an example", name)
		}
	}
}

// TestServed checks the two routes' headers and that /docs loads nothing
// from elsewhere.
func TestServed(t *testing.T) {
	d := Load()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", d.ServeJSON)
	mux.HandleFunc("GET /docs", d.ServeDocs)
	mux.HandleFunc("GET /docs/{file}", d.ServeDocs)
	get := func(p string) *recorder {
		r := &recorder{h: http.Header{}}
		req, _ := http.NewRequest("GET", p, nil)
		mux.ServeHTTP(r, req)
		return r
	}
	r := get("/openapi.json")
	if r.code != 200 || !strings.HasPrefix(r.h.Get("Content-Type"), "application/json") || r.h.Get("ETag") == "" {
		t.Fatalf("/openapi.json: %d %v", r.code, r.h)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body.Bytes(), &m); err != nil || m["openapi"] != "3.1.0" {
		t.Fatalf("/openapi.json is not the document: %v", err)
	}
	page := get("/docs")
	if page.code != 200 || !strings.Contains(page.h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("/docs: %d %v", page.code, page.h)
	}
	for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page.body.String(), -1) {
		u, err := url.Parse(ref[1])
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Errorf("/docs loads %q from elsewhere", ref[1])
			continue
		}
		if a := get(u.Path); a.code != 200 {
			t.Errorf("/docs refers to %s, which answers %d", u.Path, a.code)
		}
	}
	if get("/docs/nope.js").code != 404 {
		t.Error("an unknown /docs file is not a 404")
	}
}

type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(c int) { r.code = c }

// kobosOwn are the tags whose operations Mono does not have: the first tag
// of an operation decides.
var kobosOwn = map[string]bool{"Partner API": true, "Webhooks and events": true, "Sandbox": true, "Statement uploads": true,
	"Operations": true, "Documentation": true}

// TestMarkings: every operation says what it is, kobo's own operations
// are marked as extensions, and every Mono link is to Mono's docs.
func TestMarkings(t *testing.T) {
	doc := load(t)
	for _, p := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(p).Operations() {
			where := method + " " + p
			if op.Summary == "" || len(op.Tags) == 0 || strings.Contains(op.Summary, "TODO") || slices.Contains(op.Tags, "TODO") {
				t.Errorf("%s has no summary or no tag (or a TODO left from the stub)", where)
				continue
			}
			ext, _ := op.Extensions["x-kobo-extension"].(bool)
			if kobosOwn[op.Tags[0]] && !ext {
				t.Errorf("%s is tagged %q, kobo's own, but is not marked x-kobo-extension: true", where, op.Tags[0])
			}
			if u, ok := op.Extensions["x-mono-docs"].(string); ok {
				if ext {
					t.Errorf("%s is a kobo extension with a Mono docs link", where)
				}
				if !strings.HasPrefix(u, "https://docs.mono.co/") {
					t.Errorf("%s: x-mono-docs %q is not a docs.mono.co page", where, u)
				}
			}
		}
	}
}

// FuzzServeDocs: whatever the file name, /docs/{file} answers one of its
// own three files or a 404, never the document's sources or anything else.
func FuzzServeDocs(f *testing.F) {
	for _, s := range []string{"docs.js", "docs.css", "index.html", "../openapi.yaml", "..", "", "docs/../../apidoc.go", "%2e%2e", "openapi.yaml"} {
		f.Add(s)
	}
	d := Load()
	own := map[string]bool{}
	for _, n := range []string{"index.html", "docs.js", "docs.css"} {
		b, err := files.ReadFile("docs/" + n)
		if err != nil {
			f.Fatal(err)
		}
		own[string(b)] = true
	}
	f.Fuzz(func(t *testing.T, name string) {
		req, err := http.NewRequest("GET", "/docs/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetPathValue("file", name)
		r := &recorder{h: http.Header{}}
		d.ServeDocs(r, req)
		if r.code == 0 {
			r.code = 200
		}
		switch {
		case r.code == 404:
		case r.code == 200 && own[r.body.String()]:
		default:
			t.Fatalf("/docs/%q answered %d with %d bytes that are not one of its files", name, r.code, r.body.Len())
		}
	})
}
