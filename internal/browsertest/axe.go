package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// axe-core (Deque's accessibility engine, MPL-2.0) is not vendored: .ci/run
// installs it from npm into AxeDir, and a developer runs the same line.
// KOBO_AXE_JS names another copy of axe.min.js.
const axeInstall = "npm install --no-save --prefix ~/.cache/kobo-axe axe-core@4.11.0"

// AxeDir is where .ci/run installs axe-core.
func AxeDir() string {
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kobo-axe")
}

// Violation is one axe rule a page breaks, with up to five of the
// elements that break it.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "; "))
}

// Axe runs axe-core on the current page and returns its serious and
// critical violations (what the issue counts: "zero serious"). Without
// axe-core the test skips, saying how to install it; in CI (CI=true) it
// fails instead, so a missing install cannot pass as clean.
func (b *Browser) Axe(what string) []Violation {
	b.t.Helper()
	path := os.Getenv("KOBO_AXE_JS")
	if path == "" {
		path = filepath.Join(AxeDir(), "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.t.Fatalf("axe-core is missing in CI (%v); .ci/run should have run: %s", err, axeInstall)
		}
		b.t.Skipf("axe-core is not installed (%v): run %s, or set KOBO_AXE_JS", err, axeInstall)
	}
	// DevTools evaluation is not bound by the page's CSP (script-src
	// 'self'), so axe runs as it would from the browser extension.
	// Frames are left out: the widget's frame is checked on its own page.
	script := `(function(){ if (typeof window.axe === "undefined") {` + string(src) + `}
  return axe.run(document, {iframes: false, resultTypes: ["violations"]}).then(function (r) {
    return r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(function (n) { return n.target.join(" "); })};
    });
  });
})()`
	var out []Violation
	b.Run("axe "+what, chromedp.Evaluate(script, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	return out
}
