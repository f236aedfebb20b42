// Package conformance owns checking a banksim standard face's answers
// against the standard's official OpenAPI file: locating the file
// (KOBO_SPECS_DIR, the shared reference copy, or the parents of a
// folder), loading it with kin-openapi, and a client transport that
// validates every response passing through and counts the ones that
// fail. The faces' tests, the connectors' tests and `kobo bench` use it;
// the quirks of each standard's file are options its caller passes. The
// files are read where they are, never copied into kobo.
package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SharedSpecs is the workstation's reference copy of the specs.
const SharedSpecs = "/work/shared/reference/specs"

// ErrNotFound is Find finding no copy of the file.
var ErrNotFound = errors.New("the official OpenAPI file was not found (set KOBO_SPECS_DIR to the specs folder)")

// Find locates file (a path under the specs folder, such as
// "obie/account-info-openapi-v3.1.11.yaml"): under $KOBO_SPECS_DIR, then
// SharedSpecs, then shared/reference/specs in from and each of its
// parents (a checkout with shared/ beside it, as CI lays it out).
func Find(from, file string) (string, error) {
	var cands []string
	if d := os.Getenv("KOBO_SPECS_DIR"); d != "" {
		cands = append(cands, filepath.Join(d, file))
	}
	cands = append(cands, filepath.Join(SharedSpecs, file))
	if from != "" {
		for d := from; ; d = filepath.Dir(d) {
			cands = append(cands, filepath.Join(d, "shared", "reference", "specs", file))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s: %w", file, ErrNotFound)
}

// TB is the part of testing.TB that Require uses (so this package, which
// `kobo bench` links, does not import testing).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Require is Find for a test run from its package folder: a missing file
// fails the test under CI (CI must measure against the official file)
// and skips it elsewhere, saying why.
func Require(t TB, file string) string {
	t.Helper()
	wd, _ := os.Getwd()
	p, err := Find(wd, file)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v: CI must validate against the official specs", err)
		}
		t.Skipf("%v; skipping the spec validation", err)
	}
	return p
}

// Options are a standard's adjustments to its file and to what is
// checked.
type Options struct {
	// Base replaces the spec's servers, for a face that is not at the
	// spec's example host; "" keeps them (a spec whose server is a bare
	// path matches that path on any host).
	Base string
	// Under: only requests whose path starts with it are checked, the
	// rest (login pages, the authorization server) are not in the spec
	// and not counted. "" is the path of the spec's first server.
	Under string
	// DisableSchemaPatternValidation and DisableExamplesValidation are
	// passed to the document's own validation, for files whose patterns
	// Go's regexp cannot compile or whose examples do not validate.
	DisableSchemaPatternValidation, DisableExamplesValidation bool
	// Adjust changes the loaded document before routing (for a flaw in
	// the file; the file itself is never changed).
	Adjust func(*openapi3.T)
}

// Failure is one response that does not conform.
type Failure struct {
	Method, Path string
	Status       int
	Err          string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s %s → %d: %s", f.Method, f.Path, f.Status, f.Err)
}

// Validator validates responses against one spec file.
type Validator struct {
	router routers.Router
	under  string
	opts   *openapi3filter.Options

	mu       sync.Mutex
	checked  int
	failures []Failure
}

// New loads the spec at path.
func New(path string, o Options) (*Validator, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	var vo []openapi3.ValidationOption
	if o.DisableSchemaPatternValidation {
		vo = append(vo, openapi3.DisableSchemaPatternValidation())
	}
	if o.DisableExamplesValidation {
		vo = append(vo, openapi3.DisableExamplesValidation())
	}
	if err := doc.Validate(l.Context, vo...); err != nil {
		return nil, fmt.Errorf("spec %s does not validate: %w", path, err)
	}
	if o.Adjust != nil {
		o.Adjust(doc)
	}
	under := o.Under
	if under == "" && len(doc.Servers) > 0 {
		if u, err := url.Parse(doc.Servers[0].URL); err == nil {
			under = u.Path
		}
	}
	if o.Base != "" {
		doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(o.Base, "/")}}
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing %s: %w", path, err)
	}
	return &Validator{router: r, under: under, opts: &openapi3filter.Options{IncludeResponseStatus: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}, nil
}

// Check validates one response to req (with its body) and records the
// result; requests outside Options.Under are neither checked nor counted.
func (v *Validator) Check(ctx context.Context, req *http.Request, status int, header http.Header, body []byte) error {
	if !strings.HasPrefix(req.URL.Path, v.under) {
		return nil
	}
	err := v.check(ctx, req, status, header, body)
	v.mu.Lock()
	v.checked++
	if err != nil {
		v.failures = append(v.failures, Failure{Method: req.Method, Path: req.URL.Path, Status: status, Err: err.Error()})
	}
	v.mu.Unlock()
	return err
}

func (v *Validator) check(ctx context.Context, req *http.Request, status int, header http.Header, body []byte) error {
	// routed on a copy without the user info and fragment the router does
	// not expect; the request itself is left as it was sent
	u := *req.URL
	r2 := req.Clone(ctx)
	r2.URL = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawQuery: u.RawQuery}
	route, params, err := v.router.FindRoute(r2)
	if err != nil {
		return fmt.Errorf("no such operation in the spec: %w", err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route, Options: v.opts},
		Status:                 status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Options: v.opts,
	}
	return openapi3filter.ValidateResponse(ctx, in)
}

// Counts is how many responses were checked and how many failed.
func (v *Validator) Counts() (checked, failed int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.checked, len(v.failures)
}

// Failures lists the responses that failed.
func (v *Validator) Failures() []Failure {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Failure(nil), v.failures...)
}

// Transport wraps rt so every response through it is checked. The body
// is read whole and handed back unchanged; a failure is recorded, not
// returned, so the caller sees the bank's answer as sent.
func (v *Validator) Transport(rt http.RoundTripper) http.RoundTripper {
	return transport{v: v, rt: rt}
}

type transport struct {
	v  *Validator
	rt http.RoundTripper
}

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	_ = t.v.Check(req.Context(), req, resp.StatusCode, resp.Header, b)
	return resp, nil
}
