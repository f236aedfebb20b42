package bench

import (
	"context"
	"os"
	"testing"
)

// TestBenchOBIE runs the obie suite in process: every figure is measured
// (the spec count is skipped only without the specs, and never in CI),
// the fetch reads at least 3,000 rows, and no answer fails the spec. The
// time target is reported by the bench, not asserted.
func TestBenchOBIE(t *testing.T) {
	t.Parallel()
	res, err := benchOBIE(context.Background(), benchOpts{quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results: %+v", len(res), res)
	}
	for _, r := range res {
		switch {
		case r.Skipped && os.Getenv("CI") != "":
			t.Errorf("CI skipped %s: %s", r.Name, r.Note)
		case r.Skipped:
			t.Logf("skipped %s: %s", r.Name, r.Note)
		case r.Unit == "responses" && (r.Value != 0 || !r.Pass):
			t.Errorf("%s: %v (%s)", r.Name, r.Value, r.Note)
		case r.Unit == "s" && r.Value <= 0:
			t.Errorf("%s: %v", r.Name, r.Value)
		}
		t.Logf("%s: %v %s (%s)", r.Name, r.Value, r.Unit, r.Note)
	}
}
