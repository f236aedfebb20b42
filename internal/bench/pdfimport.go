package bench

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/statement"
	"github.com/kobo-oss/kobo/internal/statementimport"
)

// benchPDFImport: reading an uploaded PDF statement back into rows, for a
// 6-month 500-row and a 12-month 3,000-row statement (kobo's own layout,
// rendered here). The baseline is rendering the same statement in the same
// run, so the ratio says what reading costs next to writing on this
// machine; the targets are absolute (under 300 ms and 1 s).
func benchPDFImport(ctx context.Context, o benchOpts) ([]benchResult, error) {
	var out []benchResult
	for _, c := range []struct {
		rows, months int
		target       time.Duration
	}{{500, 6, 300 * time.Millisecond}, {3000, 12, time.Second}} {
		doc := benchStatementDoc(c.rows, c.months)
		var buf bytes.Buffer
		t0 := time.Now()
		if err := statement.Render(&buf, doc); err != nil {
			return nil, err
		}
		render := time.Since(t0)
		data := buf.Bytes()
		p := statementimport.NewPDFParser()
		runs := 3
		if o.quick {
			runs = 1
		}
		best := time.Duration(1<<63 - 1)
		for i := 0; i < runs; i++ {
			t0 = time.Now()
			st, err := p.Parse(ctx, bytes.NewReader(data), int64(len(data)), statementimport.Options{})
			took := time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("parsing the %d-row statement: %w", c.rows, err)
			}
			if len(st.Rows) != c.rows {
				return nil, fmt.Errorf("the %d-row statement read back as %d rows", c.rows, len(st.Rows))
			}
			best = min(best, took)
		}
		out = append(out, benchResult{Suite: "pdfimport", Name: fmt.Sprintf("read a %d-month %d-row PDF statement (%d KB)", c.months, c.rows, len(data)>>10),
			Value: ms(best), Unit: "ms", Baseline: ms(render), BaseName: "rendering it", Ratio: float64(best) / float64(max(render, 1)),
			Target: fmt.Sprintf("< %d ms", c.target.Milliseconds()), Pass: best < c.target})
	}
	return out, nil
}

// benchStatementDoc is a statement of n transactions over months months.
func benchStatementDoc(n, months int) statement.Document {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, months, 0).Add(-time.Second)
	step := to.Sub(from) / time.Duration(n)
	bal := int64(50_000_000)
	txns := make([]kobo.Transaction, n)
	for i := range txns {
		x := kobo.Transaction{Date: from.Add(time.Duration(i) * step), Amount: int64(1000 + (i*7919)%2_000_000), Narration: fmt.Sprintf("NIP TRANSFER %06d TO MERCHANT", i), Currency: "NGN"}
		if i%3 == 0 {
			x.Type, bal = kobo.Credit, bal+x.Amount
		} else {
			x.Type, bal = kobo.Debit, bal-x.Amount
		}
		b := bal
		x.Balance = &b
		txns[i] = x
	}
	return statement.Document{Brand: "bench", GeneratedAt: to, From: from, To: to, HolderName: "BENCH HOLDER", Institution: "GTBank", BankCode: "058",
		AccountNumber: "0123456789", AccountType: "SAVINGS", Currency: "NGN", Transactions: txns}
}
