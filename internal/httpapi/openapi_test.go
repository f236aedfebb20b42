package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
				t.Errorf("route %s is registered but missing from internal/apidoc/openapi.yaml: add paths.%q.%s (summary, parameters, responses with the golden files of its tests as examples). A start:\n%s",
					key, p, strings.ToLower(method), stub(method, p, doc.Paths.Value(p) != nil))
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

// stub is a starting point for a missing operation, in openapi.yaml's
// style: the error body of the path's flavour, its path parameters.
func stub(method, path string, pathKnown bool) string {
	errs, auth := "V1Error", ""
	switch {
	case strings.HasPrefix(path, "/v2/") || strings.HasPrefix(path, "/v3/"):
		errs = "V2Error"
	case strings.HasPrefix(path, "/v1/apps") || strings.HasPrefix(path, "/v1/auth") || strings.HasPrefix(path, "/v1/team") || strings.HasPrefix(path, "/v1/audit"):
		errs, auth = "PartnerError", "      security: [{partnerToken: []}]\n"
	}
	var b strings.Builder
	if !pathKnown {
		fmt.Fprintf(&b, "  %s:\n", path)
		var params []string
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
			params = append(params, fmt.Sprintf("{name: %s, in: path, required: true, schema: {type: string}}", m[1]))
		}
		if len(params) > 0 {
			fmt.Fprintf(&b, "    parameters:\n")
			for _, p := range params {
				fmt.Fprintf(&b, "      - %s\n", p)
			}
		}
	} else {
		fmt.Fprintf(&b, "  %s:  # (the path is there; add the method)\n", path)
	}
	fmt.Fprintf(&b, "    %s:\n      tags: [TODO]\n      summary: TODO\n      x-kobo-extension: true  # or x-mono-docs: https://docs.mono.co/... for a Mono route\n%s", strings.ToLower(method), auth)
	fmt.Fprintf(&b, "      responses:\n        '200':\n          description: TODO\n          content:\n            application/json:\n              schema: {type: object}\n")
	fmt.Fprintf(&b, "              examples:\n                TODO: {$ref: '#/components/examples/cli.TODO_golden_name'}\n")
	fmt.Fprintf(&b, "        '400': {$ref: '#/components/responses/%s'}\n        '401': {$ref: '#/components/responses/%s'}\n", errs, errs)
	return b.String()
}

// TestOpenAPILiveResponses: requests to a real server and its answers
// validate against the document, each under the route and status it came
// with.
func TestOpenAPILiveResponses(t *testing.T) {
	doc := openAPI(t)
	// /docs is HTML; kin-openapi decodes only JSON and forms by default.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	b := setup(t)
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	// live sends a request to the real server and checks both the request
	// (so the document's request schemas are what the server takes) and
	// the answer against the operation at route, a documented path.
	live := func(method, route, path string, body any, headers ...string) resp {
		t.Helper()
		item := doc.Paths.Value(route)
		if item == nil || item.GetOperation(method) == nil {
			t.Fatalf("%s %s is not in the document", method, route)
		}
		r := b.do(t, method, path, body, headers...)
		var raw []byte
		if body != nil {
			raw, _ = json.Marshal(body)
		}
		req, _ := http.NewRequest(method, b.srv.URL+path, bytes.NewReader(raw))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		params := map[string]string{}
		rs, ps := strings.Split(route, "/"), strings.Split(strings.SplitN(path, "?", 2)[0], "/")
		for i := range rs {
			if strings.HasPrefix(rs[i], "{") && i < len(ps) {
				params[strings.Trim(rs[i], "{}")] = ps[i]
			}
		}
		rin := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Options: opts,
			Route: &routers.Route{Spec: doc, Path: route, PathItem: item, Method: method, Operation: item.GetOperation(method)}}
		if err := openapi3filter.ValidateRequest(context.Background(), rin); err != nil {
			t.Errorf("the request %s %s does not match the document: %v", method, path, err)
		}
		in := &openapi3filter.ResponseValidationInput{RequestValidationInput: rin, Status: r.Status, Header: r.Header, Options: opts}
		in.SetBodyBytes(r.Body)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s %s answered %d, which does not match the document: %v\n%s", method, path, r.Status, err, r.Body)
		}
		return r
	}
	live("GET", "/healthz", "/healthz", nil)
	live("GET", "/readyz", "/readyz", nil)
	live("GET", "/openapi.json", "/openapi.json", nil)
	live("GET", "/docs", "/docs", nil)

	live("POST", "/v1/auth/signup", "/v1/auth/signup", map[string]string{"name": "Acme", "email": "doc@acme.ng", "password": "a long passphrase"})
	r := live("POST", "/v1/auth/login", "/v1/auth/login", map[string]string{"email": "doc@acme.ng", "password": "a long passphrase"})
	auth := "Bearer " + r.json(t)["token"].(string)
	live("POST", "/v1/auth/login", "/v1/auth/login", map[string]string{"email": "doc@acme.ng", "password": "wrong"})
	live("GET", "/v1/auth/me", "/v1/auth/me", nil, "Authorization", auth)
	r = live("POST", "/v1/apps", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", auth)
	id, sk := r.json(t)["id"].(string), r.json(t)["secret_key"].(string)
	live("GET", "/v1/apps/{id}", "/v1/apps/"+id, nil, "Authorization", auth)
	live("GET", "/v1/apps", "/v1/apps", nil, "Authorization", auth)
	live("GET", "/v1/apps", "/v1/apps", nil)
	live("GET", "/v1/apps/{id}/events", "/v1/apps/"+id+"/events", nil, "Authorization", auth)
	live("GET", "/v1/apps/{id}/webhooks/deliveries", "/v1/apps/"+id+"/webhooks/deliveries", nil, "Authorization", auth)

	r = live("GET", "/v1/institutions", "/v1/institutions", nil)
	var insts []map[string]any
	if err := json.Unmarshal(r.Body, &insts); err != nil || len(insts) == 0 {
		t.Fatalf("institutions: %v %s", err, r.Body)
	}
	inst := insts[0]["_id"].(string)
	live("GET", "/coverage", "/coverage", nil)
	live("GET", "/v3/institutions", "/v3/institutions", nil, "mono-sec-key", sk)
	live("GET", "/v3/institutions", "/v3/institutions", nil)
	live("POST", "/v1/connect/session", "/v1/connect/session", map[string]string{"institution": inst})
	live("POST", "/v1/connect/session", "/v1/connect/session", map[string]string{"institution": inst}, "mono-sec-key", sk)
	live("POST", "/v2/connect/session", "/v2/connect/session", map[string]any{"institution": inst, "customer": map[string]string{"name": "Ada Obi", "email": "ada@obi.ng"}}, "mono-sec-key", sk)
	live("GET", "/v2/sandbox/clock", "/v2/sandbox/clock", nil, "mono-sec-key", sk)
	live("GET", "/accounts/{id}", "/accounts/000000000000000000000000", nil, "mono-sec-key", sk)
	live("GET", "/v2/accounts/{id}", "/v2/accounts/000000000000000000000000", nil, "mono-sec-key", sk)
}
