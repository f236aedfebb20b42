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
	rs, err := benchStatementsCSV(context.Background(), benchOpts{quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Value <= 0 || rs[0].Baseline <= 0 || rs[0].Ratio <= 0 {
		t.Fatalf("results: %+v", rs)
	}
}

// TestBenchStatementUploadsRuns: the upload figures are measured against
// a kobo serve child (with a 1 MB upload standing in for the 20 MB one):
// a latency, and a peak RSS with the peak before it as its baseline.
func TestBenchStatementUploadsRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs kobo serve as a process")
	}
	bin, err := koboBinary()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := benchStatementUploads(context.Background(), benchOpts{quick: true, exe: bin, bigUpload: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Unit != "ms" || rs[0].Value <= 0 || rs[1].Unit != "MB" || rs[1].Value <= 0 || rs[1].Baseline <= 0 || rs[1].Value < rs[1].Baseline {
		t.Fatalf("results: %+v", rs)
	}
}
