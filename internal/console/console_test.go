package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPIBody: whatever body a script sends, the JSON API answers 200
// with the strings it parsed or 400/413 with a message, never a 5xx, and
// the action sees only a JSON object of strings.
func FuzzAPIBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"note":"ok"}`, `{"reason":1}`, `[]`, `null`, ``, `{"a":"b"}{}`, strings.Repeat("x", 20<<10)} {
		f.Add(s)
	}
	c := New(Config{})
	h := c.api(func(r *http.Request, in map[string]string) (any, error) { return in, nil })
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/v1/admin/apps/x/suspend", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h(w, req)
		if w.Code != 200 && w.Code != 400 && w.Code != 413 {
			t.Fatalf("body %q: %d %s", body, w.Code, w.Body)
		}
		if w.Code != 200 && !strings.Contains(w.Body.String(), `"message"`) {
			t.Fatalf("body %q: %d without a message: %s", body, w.Code, w.Body)
		}
	})
}

// TestAPIRefusesTrailingData: one object, not two, and not null.
func TestAPIRefusesTrailingData(t *testing.T) {
	h := New(Config{}).api(func(*http.Request, map[string]string) (any, error) { return nil, nil })
	for _, body := range []string{`{"a":"b"}{}`, `null`, `{"a":"b"} x`} {
		req := httptest.NewRequest("POST", "/v1/admin/apps/x/suspend", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h(w, req)
		if w.Code != 400 {
			t.Errorf("body %q: %d, want 400", body, w.Code)
		}
	}
}

// TestAPINeedsJSON: a POST without a JSON content type (what a cross-site
// form sends) is refused before any action runs.
func TestAPINeedsJSON(t *testing.T) {
	ran := false
	h := New(Config{}).api(func(*http.Request, map[string]string) (any, error) { ran = true; return nil, nil })
	req := httptest.NewRequest("POST", "/v1/admin/apps/x/suspend", strings.NewReader("reason=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h(w, req)
	if w.Code != 400 || ran {
		t.Fatalf("form POST to the JSON API: %d, ran=%v", w.Code, ran)
	}
}

// TestSameOrigin: console forms are accepted from the console's own
// pages only.
func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		site, origin string
		want         bool
	}{
		{"same-origin", "", true},
		{"cross-site", "http://127.0.0.1:9090", false},
		{"same-site", "", false},
		{"", "http://127.0.0.1:9090", true},
		{"", "http://evil.example", false},
		{"", "", false},
	} {
		req := httptest.NewRequest("POST", "http://127.0.0.1:9090/console/apps/x/suspend", nil)
		if c.site != "" {
			req.Header.Set("Sec-Fetch-Site", c.site)
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if got := sameOrigin(req); got != c.want {
			t.Errorf("Sec-Fetch-Site %q Origin %q: %v, want %v", c.site, c.origin, got, c.want)
		}
	}
}
