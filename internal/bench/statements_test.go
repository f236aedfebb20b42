package bench

import (
	"context"
	"testing"
)

// TestBenchStatementsRuns: the statements bench suite measures its figure
// (the target is the bench's to report, not this test's).
func TestBenchStatementsRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: parses 100,000 rows several times")
	}
	rs, err := benchStatements(context.Background(), benchOpts{quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Value <= 0 || rs[0].Baseline <= 0 || rs[0].Ratio <= 0 {
		t.Fatalf("results: %+v", rs)
	}
}
