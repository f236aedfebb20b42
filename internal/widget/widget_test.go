package widget

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestShippedSize: the widget page, script and styles stay small (the
// target is under 100 KB uncompressed for all of them together).
func TestShippedSize(t *testing.T) {
	w := New()
	total := 0
	for _, name := range []string{"index.html", "widget.js", "widget.css"} {
		f, ok := w.files[name]
		if !ok || len(f.body) == 0 {
			t.Fatalf("asset %s is missing", name)
		}
		total += len(f.body)
	}
	if total >= 100<<10 {
		t.Fatalf("the widget ships %d bytes, want < 100 KB", total)
	}
	t.Logf("widget ships %d bytes (HTML+JS+CSS, uncompressed)", total)
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
