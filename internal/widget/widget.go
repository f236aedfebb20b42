// Package widget owns the hosted Connect widget's front end: the page at
// /connect/ that runs inside connect.js's iframe (or top-level for Connect
// Link), its script and styles, and kobo's own loader at /connect.js.
//
// The widget is a static page: everything it knows about the customer's
// journey it gets from the widget API in internal/httpapi (public key plus
// session id in headers, no cookies, so there is no CSRF surface), and it
// speaks connect.js's postMessage protocol to the page that opened it. It
// has no build step: plain files embedded in the binary, so a fresh clone
// serves the same bytes CI tested (gzipped once at start for browsers that
// take it: that is what "the widget ships" counts).
package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

func cmpStr(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

//go:embed assets
var assets embed.FS

// file is an embedded asset with its validator, and its gzip, made once:
// what a browser downloads is the gzip (the "≤ 25 KB shipped").
type file struct {
	body  []byte
	gz    []byte
	ctype string
	etag  string
}

// Widget serves the widget and the loader.
type Widget struct {
	files map[string]file
	start time.Time
	csp   string
}

// New loads the embedded assets. origins are where embedded provider
// widgets load from (kobo.ScriptHost): the page's Content-Security-Policy
// allows their scripts, frames and calls, and nothing else from elsewhere.
func New(origins ...string) *Widget {
	w := &Widget{files: map[string]file{}, start: time.Now()}
	extra := ""
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Scheme != "" && u.Host != "" && !strings.ContainsAny(o, " ;'\"") {
			extra += " " + u.Scheme + "://" + u.Host
		}
	}
	w.csp = "default-src 'none'; script-src 'self'" + extra + "; style-src 'self'" + cmpStr(extra != "", " 'unsafe-inline'") + "; img-src 'self' data:" + extra +
		"; connect-src 'self'" + extra + "; frame-src" + cmpStr(extra == "", " 'none'") + extra + "; form-action 'self'; base-uri 'none'; frame-ancestors *"
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	_ = fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		w.files[path.Base(p)] = file{body: b, gz: gz.Bytes(), ctype: types[path.Ext(p)], etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	return w
}

// Routes are the widget's paths, for the API server's mux.
func (w *Widget) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /connect/{$}":        w.serve("index.html", false),
		"GET /connect/widget.js":  w.serve("widget.js", false),
		"GET /connect/widget.css": w.serve("widget.css", false),
		"GET /connect.js":         w.serve("connect.js", true),
		"GET /connect/connect.js": w.serve("connect.js", true),
	}
}

// serve writes one asset. The widget page may be framed by any site (that
// is its job) but loads nothing from anywhere else; the loader is a
// script partners include cross-origin.
func (w *Widget) serve(name string, crossOrigin bool) http.Handler {
	f := w.files[name]
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cache-Control", "no-cache")
		h.Set("Vary", "Accept-Encoding")
		body, etag := f.body, f.etag
		if acceptsGzip(r) {
			// its own validator: a cache must not answer a plain request
			// with the gzip's bytes
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", etag)
		if name == "index.html" {
			h.Set("Content-Security-Policy", w.csp)
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		}
		if crossOrigin {
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		}
		http.ServeContent(rw, r, name, w.start, bytes.NewReader(body))
	})
}

// acceptsGzip: the request's Accept-Encoding lists gzip without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
