package widget

import "testing"

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
