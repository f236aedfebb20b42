package statementimport

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// -update rewrites testdata/*.golden.json. Registered only when no other
// test file of the package has registered it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite testdata/*.golden.json")
	}
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// pdfView is what the PDF parser fills, so fields other parsers add to
// Statement do not change these golden files.
func pdfView(st *Statement) any {
	return struct {
		Format                     Format
		Layout                     string
		BankName, BankCode         string
		AccountNumber, AccountName string
		Currency                   string
		PeriodStart, PeriodEnd     string
		Opening, Closing           *int64
		Printed                    Totals
		PDF                        *PDFInfo
		Rows                       []Row
	}{st.Format, st.Layout, st.BankName, st.BankCode, st.AccountNumber, st.AccountName, st.Currency,
		st.PeriodStart.Format("2006-01-02"), st.PeriodEnd.Format("2006-01-02"), st.Opening, st.Closing, st.Printed, st.PDF, st.Rows}
}

// pdfGolden compares v, as indented JSON, with testdata/name.golden.json.
func pdfGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if updatingGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

// Each layout, drawn as its bank draws it (two pages with the header
// repeated, wrapped narrations, the opening row, totals where the bank
// prints them), reads back as drawn and as the golden file records.
func TestPDFLayouts(t *testing.T) {
	banks := fxBanks()
	names := []string{"gtbank", "zenith", "access", "firstbank", "uba", "kuda", "opay", "moniepoint", "unlisted"}
	if len(names) != len(banks) {
		t.Fatalf("%d fixtures, %d names", len(banks), len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			fx := makeFx(banks[name], 45, 1, 11)
			st, err := parsePDF(t, fx.render(t, fxOpts{}), Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, fx, st)
			if last := st.Rows[len(st.Rows)-1]; last.Page < 2 {
				t.Errorf("the fixture has one page; the test wants the header repeated")
			}
			if name == "unlisted" && (st.BankName != "" || st.BankCode != "") {
				t.Errorf("an unlisted bank named %q %q", st.BankName, st.BankCode)
			}
			want := pdfLayouts()
			for _, l := range want {
				if l.Name == name && (st.BankCode != l.BankCode || st.BankName != l.Bank) {
					t.Errorf("bank %q %q, want %q %q", st.BankName, st.BankCode, l.Bank, l.BankCode)
				}
			}
			if banks[name].totals {
				var deb, cre int64
				for _, r := range fx.rows {
					deb += r.Debit
					cre += r.Credit
				}
				if st.Printed.Debits == nil || *st.Printed.Debits != deb || st.Printed.Credits == nil || *st.Printed.Credits != cre {
					t.Errorf("printed totals %v %v, want %d %d", deref(st.Printed.Debits), deref(st.Printed.Credits), deb, cre)
				}
			}
			if len(st.PDF.AmountFonts) != 1 || st.PDF.Producer != "fpdf fixture" || st.PDF.Creator != "Fixture Bank Reports" || st.PDF.Created.IsZero() || st.PDF.IncrementalUpdates != 0 {
				t.Errorf("pdf info %+v", st.PDF)
			}
			pdfGolden(t, "pdf_"+name, pdfView(st))
		})
	}
}

// "Balance C/F" at the foot of every page and "B/F" at the head of the
// next are neither rows nor a new opening balance; the last C/F is the
// closing balance.
func TestPDFCarriedForward(t *testing.T) {
	for _, name := range []string{"gtbank", "uba", "unlisted"} {
		t.Run(name, func(t *testing.T) {
			fx := makeFx(fxBanks()[name], 80, 1, 21)
			st, err := parsePDF(t, fx.render(t, fxOpts{carry: true}), Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, fx, st)
			if last := *fx.rows[len(fx.rows)-1].Balance; st.Closing == nil || *st.Closing != last {
				t.Errorf("closing %v, want %d", deref(st.Closing), last)
			}
		})
	}
}
