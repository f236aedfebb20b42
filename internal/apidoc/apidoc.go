// Package apidoc owns kobo's published API contract: the OpenAPI 3.1
// document (openapi.yaml, written by hand), its examples (examples.json,
// generated from the golden files of the API tests so they cannot drift),
// and the /docs page that renders the document without any CDN.
//
// The tests check the document against the routes internal/httpapi
// registers (both ways), every golden file of internal/{httpapi,cli,webhook}
// against the route and status it is filed under, and live answers.
//
// Adding a route: describe it under paths in openapi.yaml (copy a
// neighbour; mark kobo's own with x-kobo-extension: true, Mono's with
// x-mono-docs), file the golden files of its tests as examples under the
// status they answer ({$ref: '#/components/examples/<dir>.<golden name>'}),
// then
//
//	go test ./internal/apidoc -run TestExamplesAreTheGoldens -update
//	go test ./internal/apidoc ./internal/httpapi -run 'OpenAPI|Golden|Document|Markings'
package apidoc

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml examples.json docs
var files embed.FS

// Doc is the document, built on first use: every httpapi.Server has one,
// and most (tests, replicas that never serve /docs) never read it.
type Doc struct {
	once  sync.Once
	json  []byte
	etag  string
	err   error
	start time.Time
}

// Load returns the embedded document; nothing is parsed until it is used.
func Load() *Doc { return &Doc{start: time.Now()} }

// JSON is the document as served at /openapi.json: the YAML with the
// golden examples merged into components.examples, encoded once.
func (d *Doc) JSON() ([]byte, error) {
	d.once.Do(func() {
		d.json, d.err = build()
		if d.err == nil {
			sum := sha256.Sum256(d.json)
			d.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
		}
	})
	return d.json, d.err
}

func build() ([]byte, error) {
	src, err := files.ReadFile("openapi.yaml")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	ex, err := files.ReadFile("examples.json")
	if err != nil {
		return nil, err
	}
	var examples map[string]any
	if err := json.Unmarshal(ex, &examples); err != nil {
		return nil, fmt.Errorf("examples.json: %w", err)
	}
	comps, _ := doc["components"].(map[string]any)
	if comps == nil {
		comps = map[string]any{}
		doc["components"] = comps
	}
	merged, _ := comps["examples"].(map[string]any)
	if merged == nil {
		merged = map[string]any{}
	}
	for k, v := range examples {
		if _, dup := merged[k]; dup {
			return nil, fmt.Errorf("example %q is both in openapi.yaml and examples.json", k)
		}
		merged[k] = v
	}
	comps["examples"] = merged
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonable(doc)); err != nil {
		return nil, fmt.Errorf("openapi.yaml as JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// jsonable turns YAML's non-string map keys (status codes such as 200)
// into strings, which is what they are in OpenAPI.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
	}
	return v
}

// ServeJSON answers GET /openapi.json. Tools fetch it cross-origin
// (editors, generators), so it allows any origin; it carries no secrets.
func (d *Doc) ServeJSON(w http.ResponseWriter, r *http.Request) {
	body, err := d.JSON()
	if err != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"the embedded OpenAPI document does not load: ` + jsonEscape(err.Error()) + `"}`))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", d.etag)
	http.ServeContent(w, r, "openapi.json", d.start, bytes.NewReader(body))
}

// ServeDocs answers GET /docs and GET /docs/{file}: a page of our own that
// fetches /openapi.json and renders it. Everything comes from this
// origin; the CSP says so.
func (d *Doc) ServeDocs(w http.ResponseWriter, r *http.Request) {
	name := "index.html"
	if f := r.PathValue("file"); f != "" {
		name = path.Base(f)
	}
	b, err := files.ReadFile("docs/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	h := w.Header()
	h.Set("Content-Type", types[path.Ext(name)])
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")
	http.ServeContent(w, r, name, d.start, bytes.NewReader(b))
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
