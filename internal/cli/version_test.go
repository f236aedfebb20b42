package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// TestVersion: `kobo version` prints the version, the commit and the Go
// version, as text and as JSON; values set at build time win.
// Not parallel: it sets the build-time variables for its duration.
func TestVersion(t *testing.T) {
	oldV, oldC := Version, Commit
	defer func() { Version, Commit = oldV, oldC }()
	Version, Commit = "v1.4.2", "0123456789abcdef0123456789abcdef01234567"
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"kobo v1.4.2\n", "commit    0123456789abcdef0123456789abcdef01234567", "go        " + runtime.Version(), "platform  " + runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := Main(context.Background(), []string{"version", "--json"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var b buildInfo
	if err := json.Unmarshal(out.Bytes(), &b); err != nil || b.Version != "v1.4.2" || b.Commit != Commit || b.GoVersion != runtime.Version() {
		t.Errorf("version --json = %s (%v)", out.String(), err)
	}
	if fv := fullVersion(); !strings.HasPrefix(fv, "v1.4.2 (0123456789ab)") {
		t.Errorf("fullVersion = %q", fv)
	}
}
