package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/kobo-oss/kobo/internal/statementimport"
)

// benchStatements parses a 100,000-row CSV export with the statement
// reader and runs the authenticity checks on it (median of a few runs),
// against encoding/csv splitting the same bytes into records in the same
// run: the ratio is what reading amounts, dates and headers costs over
// splitting lines.
func benchStatements(ctx context.Context, o benchOpts) ([]benchResult, error) {
	out, err := benchStatementsCSV(ctx, o)
	if err != nil {
		return nil, err
	}
	// the PDF targets, so this suite holds every statement figure
	pdfs, err := benchPDFImport(ctx, o)
	if err != nil {
		return nil, err
	}
	for _, r := range pdfs {
		r.Suite = "statements"
		out = append(out, r)
	}
	uploads, err := benchStatementUploads(ctx, o)
	if err != nil {
		return nil, err
	}
	return append(out, uploads...), nil
}

func benchStatementsCSV(ctx context.Context, o benchOpts) ([]benchResult, error) {
	const rows = 100_000
	data := statementimport.SampleCSV(rows)
	runs := 5
	if o.quick {
		runs = 3
	}
	rd := statementimport.Reader{Parsers: statementimport.Structured()}
	var parse, split []time.Duration
	for range runs {
		t0 := time.Now()
		st, err := rd.Read(ctx, bytes.NewReader(data), int64(len(data)), "bench.csv", statementimport.Options{})
		if err != nil {
			return nil, err
		}
		if _, verdict, _ := statementimport.Verify(st); len(st.Rows) != rows || verdict != statementimport.Consistent {
			return nil, fmt.Errorf("the sample parsed to %d rows, %s", len(st.Rows), verdict)
		}
		parse = append(parse, time.Since(t0))
		t0 = time.Now()
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord, cr.ReuseRecord = -1, true
		for {
			if _, err := cr.Read(); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
		}
		split = append(split, time.Since(t0))
	}
	slices.Sort(parse)
	slices.Sort(split)
	p, sp := parse[len(parse)/2].Seconds(), split[len(split)/2].Seconds()
	return []benchResult{{Suite: "statements", Name: fmt.Sprintf("parse and check a %d-row CSV export (%.1f MB)", rows, float64(len(data))/(1<<20)),
		Value: p * 1000, Unit: "ms", Baseline: sp * 1000, BaseName: "ms encoding/csv alone", Ratio: p / sp, Target: "< 1000 ms", Pass: p < 1,
		Note: fmt.Sprintf("median of %d runs; %.0f rows/s", runs, rows/p)}}, nil
}
