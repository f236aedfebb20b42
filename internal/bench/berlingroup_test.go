package bench

import (
	"os"
	"strings"
	"testing"
)

// TestBenchBerlinGroup runs the suite in process: it must fetch at least
// 3,000 rows and measure conformance (0 failing responses) when the spec
// is present. The timing is reported, not asserted.
func TestBenchBerlinGroup(t *testing.T) {
	res, err := benchBerlinGroup(t.Context(), benchOpts{quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !strings.Contains(res[0].Name, "transactions") {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		t.Logf("%s: %v %s (%s) %s", r.Name, r.Value, r.Unit, r.Target, r.Note)
	}
	switch v := res[1]; {
	case v.Skipped && os.Getenv("CI") != "":
		t.Fatalf("conformance not measured in CI: %s", v.Note)
	case !v.Skipped && (!v.Pass || v.Value != 0):
		t.Fatalf("non-conforming responses: %+v", v)
	}
}
