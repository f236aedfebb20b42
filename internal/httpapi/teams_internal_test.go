package httpapi

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryBearerRouteHasAPermission: a Partner API route added without a
// line in routePerms would be refused at run time; this finds it first (in
// every file of the package), and finds table lines for routes that no
// longer exist.
func TestEveryBearerRouteHasAPermission(t *testing.T) {
	re := regexp.MustCompile(`m\.Handle\("([A-Z]+ [^"]+)", s\.partner\(s\.bearer\(`)
	seen := map[string]bool{}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = true
			if _, ok := routePerms[m[1]]; !ok {
				t.Errorf("route %q has no permission in routePerms", m[1])
			}
		}
	}
	if len(seen) < 20 {
		t.Fatalf("found only %d bearer routes; has the route table's shape changed?", len(seen))
	}
	for p := range routePerms {
		if !seen[p] {
			t.Errorf("routePerms names %q, which is not a bearer route", p)
		}
	}
}
