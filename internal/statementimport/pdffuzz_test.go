package statementimport

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// FuzzPDFParser: any bytes give a statement or an error, never a panic or
// a hang, and a statement always has sane rows.
func FuzzPDFParser(f *testing.F) {
	fx := makeFx(fxBanks()["access"], 4, 1, 2)
	small := fx.render(f, fxOpts{})
	f.Add(small)
	f.Add(lock(f, small, true, 128, "1"))
	f.Add(buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Length 120 >>\nstream\nBT /F1 8 Tf 10 700 Td (Date Description Debit Credit Balance) Tj 0 -10 Td (01/12/2025 POS 1,000.00 5,000.00) Tj ET\nendstream"))
	f.Add([]byte("%PDF-1.7\n%%EOF\n"))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R /Encrypt << /V 5 >> >>\n%%EOF"))
	p := NewPDFParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := p.Parse(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Password: "1"})
		if err != nil {
			var le *LayoutError
			if st != nil || !(errors.As(err, &le) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrWrongPassword) || errors.Is(err, ErrPasswordRequired)) {
				t.Fatalf("st %v err %v", st != nil, err)
			}
			return
		}
		if st.Format != FormatPDF || st.PDF == nil || len(st.Rows) == 0 || st.Layout == "" {
			t.Fatalf("statement %+v", st)
		}
		for _, r := range st.Rows {
			if r.Debit < 0 || r.Credit < 0 || r.Page < 1 || r.Date.IsZero() {
				t.Fatalf("row %+v", r)
			}
		}
	})
}
