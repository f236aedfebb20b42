package obie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// specFile is a profile version's spec in the specs directory.
func specFile(version string) (string, bool) {
	switch version {
	case "v3.1":
		return "obie/account-info-openapi-v3.1.11.yaml", true
	case "v4.0":
		return "obie/account-info-openapi-v4.0.0.yaml", true
	}
	return "", false
}

// ErrNoSpecs is FindSpecs finding no specs directory.
var ErrNoSpecs = errors.New("obie: the OBIE OpenAPI files were not found (set KOBO_SPECS_DIR to the specs directory)")

// FindSpecs returns the reference specs directory: KOBO_SPECS_DIR, then
// the shared reference copy beside the repository, then the workstation
// path. The files are read, never copied into kobo.
func FindSpecs(from string) (string, error) {
	cands := []string{os.Getenv("KOBO_SPECS_DIR")}
	if from != "" {
		cands = append(cands, filepath.Join(from, "../../../../shared/reference/specs"), filepath.Join(from, "../../../shared/reference/specs"),
			filepath.Join(from, "../../shared/reference/specs"))
	}
	cands = append(cands, "/work/shared/reference/specs")
	for _, d := range cands {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "obie/account-info-openapi-v3.1.11.yaml")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoSpecs
}

// Validator checks responses against one version's official OpenAPI
// file with kin-openapi, counting what it checked and what failed.
type Validator struct {
	doc    *openapi3.T
	base   string
	routes []specRoute

	mu       sync.Mutex
	Checked  int
	Failures []string
}

type specRoute struct {
	re   *regexp.Regexp
	path string
	item *openapi3.PathItem
}

// NewValidator loads the version's spec from dir. The spec's
// x-idempotency-key pattern uses a lookahead Go's regexp lacks, so the
// document is validated without compiling patterns (as the specs' README
// says); responses are still checked against every other pattern.
func NewValidator(dir, version string) (*Validator, error) {
	file, ok := specFile(version)
	if !ok {
		return nil, fmt.Errorf("obie: no spec for profile %q", version)
	}
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("obie spec: %w", err)
	}
	if err := doc.Validate(l.Context, openapi3.DisableSchemaPatternValidation()); err != nil {
		return nil, fmt.Errorf("obie spec does not validate: %w", err)
	}
	v := &Validator{doc: doc, base: doc.Servers[0].URL}
	// QuoteMeta escapes the template's braces, so the parameters are
	// found in their escaped form
	param := regexp.MustCompile(`\\\{[^}]+\\\}`)
	for path, item := range doc.Paths.Map() {
		re := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$")
		v.routes = append(v.routes, specRoute{re: re, path: path, item: item})
	}
	return v, nil
}

// Check validates one response (the request it answered and its body).
// Responses outside the spec's paths (the authorization server's) are
// not counted.
func (v *Validator) Check(ctx context.Context, req *http.Request, status int, h http.Header, body []byte) error {
	p, ok := strings.CutPrefix(req.URL.Path, v.base)
	if !ok {
		return nil
	}
	var rt *specRoute
	for i := range v.routes {
		if v.routes[i].re.MatchString(p) && v.routes[i].item.GetOperation(req.Method) != nil {
			rt = &v.routes[i]
			break
		}
	}
	v.mu.Lock()
	v.Checked++
	v.mu.Unlock()
	fail := func(err error) error {
		v.mu.Lock()
		defer v.mu.Unlock()
		msg := fmt.Sprintf("%s %s → %d: %v", req.Method, req.URL.Path, status, err)
		v.Failures = append(v.Failures, msg)
		return errors.New(msg)
	}
	if rt == nil {
		return fail(errors.New("no such operation in the spec"))
	}
	pp := map[string]string{}
	names := regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(rt.path, -1)
	segs, tsegs := strings.Split(p, "/"), strings.Split(rt.path, "/")
	for i, s := range tsegs {
		for _, n := range names {
			if s == "{"+n[1]+"}" && i < len(segs) {
				pp[n[1]] = segs[i]
			}
		}
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: pp,
			Route: &routers.Route{Spec: v.doc, Path: rt.path, PathItem: rt.item, Method: req.Method, Operation: rt.item.GetOperation(req.Method)}, Options: opts},
		Status: status, Header: h, Options: opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fail(err)
	}
	return nil
}

// Transport validates every response passing through base. A failure is
// recorded, not returned, so the caller sees the bank's answer as sent.
func (v *Validator) Transport(base http.RoundTripper) http.RoundTripper {
	return validating{v: v, base: base}
}

type validating struct {
	v    *Validator
	base http.RoundTripper
}

func (t validating) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	_ = t.v.Check(r.Context(), r, resp.StatusCode, resp.Header, body)
	return resp, nil
}

// Report is the validator's tally.
func (v *Validator) Report() (checked int, failures []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.Checked, append([]string(nil), v.Failures...)
}
