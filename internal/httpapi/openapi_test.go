package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/kobo-oss/kobo/internal/apidoc"
	"github.com/kobo-oss/kobo/internal/httpapi"
)

// openAPI loads the embedded document as /openapi.json serves it.
func openAPI(t *testing.T) *openapi3.T {
	t.Helper()
	b, err := apidoc.Load().JSON()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// docPath turns a ServeMux pattern's path into an OpenAPI path:
// "{rest...}" is "{rest}", a trailing "{$}" is dropped.
func docPath(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return regexp.MustCompile(`\{(\w+)\.\.\.\}`).ReplaceAllString(p, "{$1}")
}

// TestOpenAPIRoutes: every route the server registers is in the
// document with its method, and every documented operation is a route.
// A failure names the route (the subtest is named after it) and what to
// add or remove.
func TestOpenAPIRoutes(t *testing.T) {
	doc := openAPI(t)
	documented := map[string]bool{}
	for _, p := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(p).Operations() {
			documented[method+" "+p] = true
		}
	}
	registered := map[string]bool{}
	routes := httpapi.New(httpapi.Config{}).Routes()
	if len(routes) < 50 {
		t.Fatalf("the server reports only %d routes", len(routes))
	}
	for _, pattern := range routes {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || strings.HasPrefix(method, "/") {
			t.Errorf("route %q has no method: register one pattern per method so each can be documented", pattern)
			continue
		}
		if strings.Contains(method, "/") || strings.HasSuffix(path, "/") {
			t.Errorf("route %q matches a host or a subtree; the document cannot describe it", pattern)
			continue
		}
		key := method + " " + docPath(path)
		registered[key] = true
		t.Run(key, func(t *testing.T) {
			if !documented[key] {
				p := docPath(path)
				t.Errorf("route %s is registered but missing from internal/apidoc/openapi.yaml: add paths.%q.%s (summary, parameters, responses with the golden files of its tests as examples)",
					key, p, strings.ToLower(method))
			}
		})
	}
	var extra []string
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		t.Errorf("internal/apidoc/openapi.yaml documents %s, which the server does not register", k)
	}
}

// TestOpenAPILiveResponses: answers of a real server validate against the
// document, each under the route and status it came with.
func TestOpenAPILiveResponses(t *testing.T) {
	doc := openAPI(t)
	// /docs is HTML; kin-openapi decodes only JSON and forms by default.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	b := setup(t)
	check := func(method, path string, r resp) {
		t.Helper()
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Fatalf("%s %s is not in the document", method, path)
		}
		req, _ := http.NewRequest(method, b.srv.URL+path, nil)
		opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Options: opts,
				Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)}},
			Status: r.Status, Header: r.Header, Options: opts,
		}
		in.SetBodyBytes(r.Body)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s %s answered %d, which does not match the document: %v\n%s", method, path, r.Status, err, r.Body)
		}
	}
	check("GET", "/healthz", b.do(t, "GET", "/healthz", nil))
	check("GET", "/readyz", b.do(t, "GET", "/readyz", nil))
	check("GET", "/openapi.json", b.do(t, "GET", "/openapi.json", nil))
	check("GET", "/docs", b.do(t, "GET", "/docs", nil))

	r := b.do(t, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": "doc@acme.ng", "password": "a long passphrase"})
	check("POST", "/v1/auth/signup", r)
	r = b.do(t, "POST", "/v1/auth/login", map[string]string{"email": "doc@acme.ng", "password": "a long passphrase"})
	check("POST", "/v1/auth/login", r)
	auth := "Bearer " + r.json(t)["token"].(string)
	check("POST", "/v1/auth/login", b.do(t, "POST", "/v1/auth/login", map[string]string{"email": "doc@acme.ng", "password": "wrong"}))
	check("GET", "/v1/auth/me", b.do(t, "GET", "/v1/auth/me", nil, "Authorization", auth))
	r = b.do(t, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", auth)
	check("POST", "/v1/apps", r)
	id, sk := r.json(t)["id"].(string), r.json(t)["secret_key"].(string)
	check("GET", "/v1/apps/{id}", b.do(t, "GET", "/v1/apps/"+id, nil, "Authorization", auth))
	check("GET", "/v1/apps", b.do(t, "GET", "/v1/apps", nil, "Authorization", auth))
	check("GET", "/v1/apps", b.do(t, "GET", "/v1/apps", nil))
	check("GET", "/v1/apps/{id}/events", b.do(t, "GET", "/v1/apps/"+id+"/events", nil, "Authorization", auth))
	check("GET", "/v1/apps/{id}/webhooks/deliveries", b.do(t, "GET", "/v1/apps/"+id+"/webhooks/deliveries", nil, "Authorization", auth))

	r = b.do(t, "GET", "/v1/institutions", nil)
	check("GET", "/v1/institutions", r)
	var insts []map[string]any
	if err := json.Unmarshal(r.Body, &insts); err != nil || len(insts) == 0 {
		t.Fatalf("institutions: %v %s", err, r.Body)
	}
	inst := insts[0]["_id"].(string)
	check("GET", "/coverage", b.do(t, "GET", "/coverage", nil))
	check("GET", "/v3/institutions", b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", sk))
	check("GET", "/v3/institutions", b.do(t, "GET", "/v3/institutions", nil))
	check("POST", "/v1/connect/session", b.do(t, "POST", "/v1/connect/session", map[string]string{"institution": inst}))
	check("POST", "/v1/connect/session", b.do(t, "POST", "/v1/connect/session", map[string]string{"institution": inst}, "mono-sec-key", sk))
	check("POST", "/v2/connect/session", b.do(t, "POST", "/v2/connect/session", map[string]any{"institution": inst, "customer": map[string]string{"name": "Ada Obi", "email": "ada@obi.ng"}}, "mono-sec-key", sk))
	check("GET", "/v2/sandbox/clock", b.do(t, "GET", "/v2/sandbox/clock", nil, "mono-sec-key", sk))
	check("GET", "/accounts/{id}", b.do(t, "GET", "/accounts/000000000000000000000000", nil, "mono-sec-key", sk))
	check("GET", "/v2/accounts/{id}", b.do(t, "GET", "/v2/accounts/000000000000000000000000", nil, "mono-sec-key", sk))
}
