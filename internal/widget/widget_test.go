package widget

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestShippedSize: the widget stays small. What a browser downloads to
// show it (page, script, styles and the partner's loader, gzip as served)
// is at most 25 KB, the budget; uncompressed the page, script and
// styles stay under 100 KB, which bounds what the browser parses.
func TestShippedSize(t *testing.T) {
	w := New()
	raw, wire := 0, 0
	for _, name := range []string{"index.html", "widget.js", "widget.css", "connect.js"} {
		f, ok := w.files[name]
		if !ok || len(f.body) == 0 {
			t.Fatalf("asset %s is missing", name)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		w.serve(name, false).ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s is not sent gzipped to a browser that takes gzip", name)
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, f.body) {
			t.Fatalf("%s: the gzip does not inflate to the file (%v)", name, err)
		}
		wire += len(f.gz)
		if name != "connect.js" {
			raw += len(f.body)
		}
	}
	if wire > 25<<10 {
		t.Errorf("the widget ships %d bytes gzipped, want ≤ 25 KB", wire)
	}
	if raw >= 100<<10 {
		t.Errorf("the widget is %d bytes uncompressed, want < 100 KB", raw)
	}
	t.Logf("widget ships %d bytes gzipped (HTML+JS+CSS+connect.js); HTML+JS+CSS are %d bytes uncompressed", wire, raw)
}

// TestPlainWithoutGzip: a client that does not take gzip (or refuses it
// with q=0) gets the file as is, under another validator.
func TestPlainWithoutGzip(t *testing.T) {
	w := New()
	for _, ae := range []string{"", "identity", "gzip;q=0", "br"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/connect/widget.js", nil)
		req.Header.Set("Accept-Encoding", ae)
		w.serve("widget.js", false).ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "" || !bytes.Equal(rec.Body.Bytes(), w.files["widget.js"].body) {
			t.Errorf("Accept-Encoding %q: encoded %q, %d bytes", ae, rec.Header().Get("Content-Encoding"), rec.Body.Len())
		}
		if rec.Header().Get("Vary") != "Accept-Encoding" || strings.HasSuffix(rec.Header().Get("ETag"), `-gz"`) {
			t.Errorf("Accept-Encoding %q: Vary %q ETag %q", ae, rec.Header().Get("Vary"), rec.Header().Get("ETag"))
		}
	}
}

// TestEmbeddedProviderOrigins: the page's Content-Security-Policy allows
// the origins of embedded provider widgets (scheme and host only, junk
// dropped) and nothing else from elsewhere.
func TestEmbeddedProviderOrigins(t *testing.T) {
	plain := New().csp
	if strings.Contains(plain, "https:") || !strings.Contains(plain, "script-src 'self';") || !strings.Contains(plain, "frame-src 'none'") {
		t.Errorf("CSP without providers = %q", plain)
	}
	csp := New("https://connect.withmono.com/path?x=1", "javascript:alert(1)", "https://evil.example; script-src *").csp
	if !strings.Contains(csp, "script-src 'self' https://connect.withmono.com;") || !strings.Contains(csp, "frame-src https://connect.withmono.com;") {
		t.Errorf("CSP = %q", csp)
	}
	if strings.Contains(csp, "evil") || strings.Contains(csp, "javascript") || strings.Contains(csp, "*;") {
		t.Errorf("CSP took a bad origin: %q", csp)
	}
	rec := httptest.NewRecorder()
	New("https://connect.withmono.com").Routes()["GET /connect/{$}"].ServeHTTP(rec, httptest.NewRequest("GET", "/connect/", nil))
	if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "https://connect.withmono.com") {
		t.Errorf("served CSP = %q", got)
	}
}
