package statementimport

import (
	"bytes"
	"context"
	"testing"
)

func parsePDF(t testing.TB, data []byte, opts Options) (*Statement, error) {
	t.Helper()
	return NewPDFParser().Parse(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
}

// checkRows compares a parse with what the fixture drew.
func checkRows(t *testing.T, fx fxStatement, st *Statement) {
	t.Helper()
	if st.Layout != fx.bank.layout {
		t.Errorf("layout %q, want %q", st.Layout, fx.bank.layout)
	}
	if len(st.Rows) != len(fx.rows) {
		t.Fatalf("%d rows, want %d", len(st.Rows), len(fx.rows))
	}
	for i, want := range fx.rows {
		got := st.Rows[i]
		if !got.Date.Equal(want.Date) || !got.ValueDate.Equal(want.ValueDate) || got.Narration != want.Narration || got.Reference != want.Reference ||
			got.Debit != want.Debit || got.Credit != want.Credit || got.Balance == nil || *got.Balance != *want.Balance {
			t.Fatalf("row %d:\n got %+v bal %v\nwant %+v bal %v", i, got, deref(got.Balance), want, deref(want.Balance))
		}
	}
	if st.Opening == nil || *st.Opening != fx.opening {
		t.Errorf("opening %v, want %d", deref(st.Opening), fx.opening)
	}
	if st.AccountNumber != fx.number || st.AccountName != fx.name {
		t.Errorf("account %q %q, want %q %q", st.AccountNumber, st.AccountName, fx.number, fx.name)
	}
	if !st.PeriodStart.Equal(fx.from) || !st.PeriodEnd.Equal(fx.to) {
		t.Errorf("period %v – %v, want %v – %v", st.PeriodStart, st.PeriodEnd, fx.from, fx.to)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestPDFSniff(t *testing.T) {
	p := NewPDFParser()
	for _, c := range []struct {
		head []byte
		name string
		want bool
	}{
		{[]byte("%PDF-1.7\n%\xe2\xe3"), "statement.pdf", true},
		{[]byte("\xef\xbb\xbf  %PDF-1.4\n"), "x.bin", true},
		{[]byte("Date,Narration,Debit\n"), "statement.pdf", false},
		{[]byte("PK\x03\x04"), "statement.xlsx", false},
		{nil, "STATEMENT.PDF", true},
	} {
		if got := p.Sniff(c.head, c.name); got != c.want {
			t.Errorf("Sniff(%q, %q) = %v", c.head, c.name, got)
		}
	}
	if p.Format() != FormatPDF {
		t.Error("format")
	}
}
