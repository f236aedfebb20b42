package conformance_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kobo-oss/kobo/internal/banksim/conformance"
)

// a spec small enough to read: one operation under a bare server path
const tinySpec = `openapi: 3.0.3
info: {title: tiny, version: "1"}
servers:
  - url: /api/v1
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: a thing
          content:
            application/json:
              schema:
                type: object
                required: [name]
                properties:
                  name: {type: string, pattern: "^[a-z]+$"}
`

func writeSpec(t *testing.T) (dir, file string) {
	dir = t.TempDir()
	file = "std/tiny.yaml"
	if err := os.MkdirAll(filepath.Join(dir, "std"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(tinySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

func TestFindLooksInKOBOSpecsDirThenParents(t *testing.T) {
	dir, file := writeSpec(t)
	t.Setenv("KOBO_SPECS_DIR", dir)
	if p, err := conformance.Find("", file); err != nil || p != filepath.Join(dir, file) {
		t.Fatalf("from KOBO_SPECS_DIR: %q %v", p, err)
	}
	// a checkout with shared/reference/specs beside it, found from deep inside
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "shared/reference/specs/std"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, "shared/reference/specs", file)
	if err := os.WriteFile(want, []byte(tinySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KOBO_SPECS_DIR", "")
	if p, err := conformance.Find(filepath.Join(root, "repo/internal/x"), file); err != nil || p != want {
		t.Fatalf("from a parent: %q %v", p, err)
	}
	if _, err := conformance.Find(root, "std/none.yaml"); !errors.Is(err, conformance.ErrNotFound) || !strings.Contains(err.Error(), "std/none.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestValidatorCountsWhatItChecks proves a check can fail, that only
// paths under the server's are counted, and that the options reach the
// document (Adjust sees it; Base replaces the servers).
func TestValidatorCountsWhatItChecks(t *testing.T) {
	dir, file := writeSpec(t)
	adjusted := false
	v, err := conformance.New(filepath.Join(dir, file), conformance.Options{Adjust: func(*openapi3.T) { adjusted = true }})
	if err != nil {
		t.Fatal(err)
	}
	if !adjusted {
		t.Error("Adjust was not called")
	}
	bodies := map[string]string{"/api/v1/things/a": `{"name":"ok"}`, "/api/v1/things/b": `{"name":"NOT"}`, "/api/v1/things/c": `{}`,
		"/api/v1/other": `{}`, "/login": `<html>`}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(bodies[r.URL.Path]))
	}))
	defer srv.Close()
	c := &http.Client{Transport: v.Transport(http.DefaultTransport)}
	for _, p := range []string{"/api/v1/things/a", "/api/v1/things/b", "/api/v1/things/c", "/api/v1/other", "/login"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	checked, failed := v.Counts()
	if checked != 4 || failed != 3 {
		t.Fatalf("checked %d, failed %d; want 4 and 3: %v", checked, failed, v.Failures())
	}
	for _, f := range v.Failures() {
		if f.Path == "/api/v1/things/a" {
			t.Errorf("a conforming response failed: %s", f)
		}
		if !strings.HasPrefix(f.String(), "GET "+f.Path+" → 200: ") {
			t.Errorf("failure reads %q", f)
		}
	}

	// Base (which replaces the servers, path and all) and Under: a face at
	// another host, checked only under /api
	v2, err := conformance.New(filepath.Join(dir, file), conformance.Options{Base: "https://bank.test/api/v1/", Under: "/api/"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "https://bank.test/api/v1/things/a", nil)
	if err := v2.Check(context.Background(), req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"name":"ok"}`)); err != nil {
		t.Errorf("conforming answer at Base: %v", err)
	}
	other := httptest.NewRequest(http.MethodGet, "https://elsewhere.test/api/v1/things/a", nil)
	if err := v2.Check(context.Background(), other, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"name":"ok"}`)); err == nil {
		t.Error("an answer from a host other than Base was routed")
	}
	if n, f := v2.Counts(); n != 2 || f != 1 {
		t.Errorf("checked %d, failed %d; want 2 and 1", n, f)
	}
}

func TestNewRefusesABrokenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(p, []byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := conformance.New(p, conformance.Options{}); err == nil {
		t.Fatal("a file that does not validate was loaded")
	}
}
