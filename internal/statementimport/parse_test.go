package statementimport

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite golden files")

func read(t testing.TB, name string, data []byte, opts Options) (*Statement, error) {
	t.Helper()
	return Reader{Parsers: Structured()}.Read(context.Background(), bytes.NewReader(data), int64(len(data)), name, opts)
}

// golden renders what a parse found, checks included, for comparison.
func golden(st *Statement) []byte {
	checks, verdict, reasons := Verify(st)
	type row struct {
		Date, Narration, Ref string
		Debit, Credit        int64
		Balance              *int64
		Line                 int
	}
	out := struct {
		Format, Bank, BankCode, Layout, Account, Name, Currency, Period string
		Opening, Closing, PrintedDebits, PrintedCredits                 *int64
		Rows                                                            []row
		Checks                                                          []Check
		Verdict                                                         string
		Reasons                                                         []string
	}{Format: string(st.Format), Bank: st.BankName, BankCode: st.BankCode, Layout: st.Layout, Account: st.AccountNumber, Name: st.AccountName,
		Currency: st.Currency, Opening: st.Opening, Closing: st.Closing, PrintedDebits: st.Printed.Debits, PrintedCredits: st.Printed.Credits,
		Checks: checks, Verdict: verdict, Reasons: reasons}
	if !st.PeriodStart.IsZero() {
		out.Period = day(st.PeriodStart) + ".." + day(st.PeriodEnd)
	}
	for _, r := range st.Rows {
		out.Rows = append(out.Rows, row{r.Date.Format("2006-01-02T15:04:05Z"), r.Narration, r.Reference, r.Debit, r.Credit, r.Balance, r.Line})
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return append(b, '\n')
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		_ = os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// Fixtures, made here: one per bank export layout and per format.
var fixtures = []struct {
	name, file, bank string
	data             func(t testing.TB) []byte
	format           Format
	layout           string
	rows             int
	verdict          string
}{
	{name: "kuda_csv", file: "kuda.csv", format: FormatCSV, layout: "kuda", rows: 3, verdict: Consistent, data: text(
		"Kuda Microfinance Bank\nAccount Name,ADA OBI\nAccount Number,2001234567\nStatement Period,01/12/2025 - 31/12/2025\n\n" +
			"Date/Time,Money In,Money Out,Category,To / From,Description,Balance\n" +
			"03/12/25 18:00:00,,\"₦1,500.00\",airtime,MTN,Airtime purchase,\"₦48,500.00\"\n" +
			"02/12/25 09:30:00,\"₦40,000.00\",,inward transfer,JOHN DOE,Salary advance,\"₦50,000.00\"\n" +
			"01/12/25 08:12:33,,\"₦5,000.00\",transfer,ZENITH/JANE,Rent share,\"₦10,000.00\"\n" +
			"Opening Balance,,,,,,\"₦15,000.00\"\n")},
	{name: "gtbank_csv", file: "gtb.csv", format: FormatCSV, layout: "gtbank", rows: 3, verdict: Consistent, data: text(
		"Guaranty Trust Bank\nAccount No:,0123456789\nAccount Name:,OBI ADA\nOpening Balance:,\"100,000.00\"\nClosing Balance:,\"148,750.00\"\nTotal Debit:,\"1,250.00\"\nTotal Credit:,\"50,000.00\"\n" +
			"Trans. Date,Value Date,Reference,Debits,Credits,Balance,Originating Branch,Remarks\n" +
			"01-Dec-2025,01-Dec-2025,FT001,,\"50,000.00\",\"150,000.00\",LAGOS,SALARY DEC\n" +
			"02-Dec-2025,02-Dec-2025,FT002,\"1,200.00\",,\"148,800.00\",LAGOS,POS PURCHASE SHOPRITE\n" +
			"03-Dec-2025,03-Dec-2025,FT003,50.00,,\"148,750.00\",LAGOS,\"SMS ALERT CHARGES\"\n")},
	{name: "zenith_semicolon", file: "zenith.csv", format: FormatCSV, layout: "zenith", rows: 2, verdict: Consistent, data: text(
		"ZENITH BANK PLC;;;;;\nDATE POSTED;DESCRIPTION;DEBIT;CREDIT;VALUE DATE;BALANCE\n" +
			"01/12/2025;TRANSFER FROM AMAKA;;20,000.00;01/12/2025;25,000.00\n" +
			"05/12/2025;ATM WITHDRAWAL;10,000.00;;05/12/2025;15,000.00\n")},
	{name: "access_tab", file: "access.txt", format: FormatCSV, layout: "access", rows: 2, verdict: Consistent, data: text(
		"Access Bank Plc\t\t\t\t\t\nAccount Number\t0690000031\t\t\t\t\nPosted Date\tValue Date\tDescription\tDebit\tCredit\tBalance\n" +
			"2025-12-01\t2025-12-01\tNIP TRF FROM KEMI\t\t5,000.00\t5,000.00\n" +
			"2025-12-02\t2025-12-02\tDSTV SUBSCRIPTION\t4,000.00\t\t1,000.00\n")},
	{name: "firstbank_csv", file: "firstbank.csv", format: FormatCSV, layout: "firstbank", rows: 2, verdict: Consistent, data: text(
		"FirstBank\nTransDate,Reference,ValueDate,Deposit,Withdrawal,Balance,Narration\n" +
			"01-Dec-2025,R1,01-Dec-2025,\"2,000.00\",,\"12,000.00\",TRANSFER IN\n" +
			"01-Dec-2025,R2,01-Dec-2025,,500.00,\"11,500.00\",\"WITHDRAWAL\"\n")},
	{name: "uba_csv", file: "uba.csv", format: FormatCSV, layout: "uba", rows: 2, verdict: Consistent, data: text(
		"Tran Date,Value Date,Narration,Chq. No,Debit,Credit,Balance\n" +
			"01/12/2025,01/12/2025,OPENING,,,,\"1,000.00\"\n" +
			"02/12/2025,02/12/2025,POS WEB,,250.00,,750.00\n" +
			"03/12/2025,03/12/2025,REVERSAL,,,250.00,\"1,000.00\"\n")},
	{name: "opay_csv", file: "opay.csv", format: FormatCSV, layout: "opay", rows: 2, verdict: Consistent, data: text(
		"Trans. Time,Value Date,Description,Debit(₦),Credit(₦),Balance After(₦),Channel,Transaction Reference\n" +
			"02 Dec 2025 10:01:00,02 Dec 2025,Transfer to MUSA,\"2,000.00\",--,\"8,000.00\",Mobile,OP2\n" +
			"01 Dec 2025 09:00:00,01 Dec 2025,Add money,--,\"10,000.00\",\"10,000.00\",Mobile,OP1\n")},
	{name: "moniepoint_csv", file: "moniepoint.csv", format: FormatCSV, layout: "moniepoint", rows: 2, verdict: Consistent, data: text(
		"Date,Narration,Reference,Debit,Credit,Balance,Settlement\n" +
			"2025-12-01 10:00:00,POS SALE,MP1,,\"3,000.00\",\"3,000.00\",T+0\n" +
			"2025-12-01 11:00:00,CHARGE,MP2,30.00,,\"2,970.00\",T+0\n")},
	{name: "signed_amount_csv", file: "export.csv", format: FormatCSV, rows: 3, verdict: Unverifiable, data: text(
		"Date,Description,Amount\n01/12/2025,Salary,\"NGN 100,000.00\"\n02/12/2025,Rent,\"(40,000.00)\"\n03/12/2025,Food,\"2,500.00 DR\"\n")},
	{name: "kuda_xlsx", file: "kuda.xlsx", format: FormatXLSX, layout: "kuda", rows: 2, verdict: Consistent, data: xlsxOf([][]string{
		{"Kuda Bank"}, {"Account Number", "2001234567"},
		{"Date/Time", "Money In", "Money Out", "Category", "To / From", "Description", "Balance"},
		{"02/12/25 09:30:00", "₦40,000.00", "", "inward", "JOHN", "Salary", "₦50,000.00"},
		{"01/12/25 08:12:33", "", "₦5,000.00", "transfer", "JANE", "Rent", "₦10,000.00"},
	})},
	{name: "mbs_json", file: "statement.json", format: FormatMBS, layout: "mybankstatement", rows: 2, verdict: Consistent, data: text(
		`{"Nuban":"0123456789","TicketNo":"123456-1","AccountName":"ADA OBI","BankName":"Guaranty Trust Bank","Details":[` +
			`{"PTransactionDate":"01-Dec-2025","PNarration":"SALARY","PCredit":"50,000.00","PDebit":"0.00","PBalance":"60,000.00"},` +
			`{"PTransactionDate":"2025-12-02T10:00:00","PNarration":"POS","PCredit":0,"PDebit":1200.5,"PBalance":58799.5}]}`)},
	{name: "ofx1_sgml", file: "stmt.qfx", format: FormatOFX, layout: "ofx", rows: 2, verdict: Unverifiable, data: text(
		"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>NGN<BANKACCTFROM><BANKID>058<ACCTID>0123456789<ACCTTYPE>CHECKING</BANKACCTFROM>" +
			"<BANKTRANLIST><DTSTART>20251201<DTEND>20251231\n<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20251201120000[+1:WAT]<TRNAMT>5000.00<FITID>A1<NAME>SALARY</STMTTRN>\n" +
			"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20251202<TRNAMT>-250.00<FITID>A2<NAME>AIRTIME<MEMO>MTN &amp; co</STMTTRN></BANKTRANLIST>" +
			"<LEDGERBAL><BALAMT>4750.00<DTASOF>20251231</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")},
	{name: "ofx2_xml", file: "stmt.ofx", format: FormatOFX, layout: "ofx", rows: 1, verdict: Unverifiable, data: text(
		`<?xml version="1.0"?><?OFX OFXHEADER="200" VERSION="220"?><OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>NGN</CURDEF>` +
			`<BANKACCTFROM><BANKID>044</BANKID><ACCTID>0690000031</ACCTID></BANKACCTFROM><BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT</TRNTYPE>` +
			`<DTPOSTED>20251203</DTPOSTED><TRNAMT>-100.00</TRNAMT><FITID>X</FITID><NAME>FEE</NAME></STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>`)},
	{name: "mt940", file: "stmt.sta", format: FormatMT940, layout: "mt940", rows: 2, verdict: Consistent, data: text(
		"{1:F01GTBINGLAXXXX0000000000}{2:I940XXXXXXXXXXXXN}{4:\n:20:STMT1\n:25:GTBINGLA/0123456789\n:28C:1/1\n:60F:C251130NGN1000,00\n" +
			":61:2512011201C500,00NTRFREF1//BANK1\n:86:TRANSFER FROM ADA\nOBI\n:61:2512021202D200,50NCHGNONREF//B2\n:86:CHARGES\n:62F:C251202NGN1299,50\n-}\n")},
	{name: "mt942", file: "interim.txt", format: FormatMT940, layout: "mt940", rows: 1, verdict: Unverifiable, data: text(
		":20:INT1\n:25:0123456789\n:28C:1\n:34F:NGN0,\n:13D:2512021200+0100\n:61:251202D100,NMSCREF\n:86:POS\n:90D:1NGN100,\n:90C:0NGN0,\n")},
	{name: "camt053_ng", file: "c.xml", format: FormatCamt053, layout: "camt053", rows: 2, verdict: Consistent, data: text(camtDoc("camt.053.001.08", "Stmt"))},
	{name: "camt052_ng", file: "c.xml", format: FormatCamt052, layout: "camt052", rows: 2, verdict: Consistent, data: text(camtDoc("camt.052.001.02", "Rpt"))},
}

func camtDoc(ns, el string) string {
	return `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:` + ns + `"><BkToCstmr><` + el + `><Id>1</Id>` +
		`<FrToDt><FrDtTm>2025-12-01T00:00:00</FrDtTm><ToDtTm>2025-12-31T23:59:59</ToDtTm></FrToDt>` +
		`<Acct><Id><Othr><Id>0123456789</Id></Othr></Id><Ccy>NGN</Ccy><Ownr><Nm>ADA OBI</Nm></Ownr><Svcr><FinInstnId><Nm>Zenith Bank</Nm></FinInstnId></Svcr></Acct>` +
		`<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="NGN">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-12-01</Dt></Dt></Bal>` +
		`<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="NGN">1400.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-12-31</Dt></Dt></Bal>` +
		`<Ntry><Amt Ccy="NGN">500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2025-12-02</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef><AddtlNtryInf>SALARY</AddtlNtryInf></Ntry>` +
		`<Ntry><Amt Ccy="NGN">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-12-03</Dt></BookgDt><NtryDtls><TxDtls><RmtInf><Ustrd>DSTV</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>` +
		`<Ntry><Amt Ccy="NGN">9.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><BookgDt><Dt>2025-12-04</Dt></BookgDt></Ntry>` +
		`</` + el + `></BkToCstmr></Document>`
}

func text(s string) func(testing.TB) []byte { return func(testing.TB) []byte { return []byte(s) } }

func xlsxOf(rows [][]string) func(testing.TB) []byte {
	return func(t testing.TB) []byte {
		f := excelize.NewFile()
		defer f.Close()
		for i, r := range rows {
			cells := make([]any, len(r))
			for j, c := range r {
				cells[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			st, err := read(t, fx.file, fx.data(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Format != fx.format || st.Layout != fx.layout || len(st.Rows) != fx.rows {
				t.Fatalf("format %s layout %q rows %d; want %s %q %d", st.Format, st.Layout, len(st.Rows), fx.format, fx.layout, fx.rows)
			}
			if _, verdict, reasons := Verify(st); verdict != fx.verdict {
				t.Errorf("verdict %s (%v); want %s", verdict, reasons, fx.verdict)
			}
			checkGolden(t, fx.name, golden(st))
		})
	}
}

// The real camt.053 sample in shared/ (a Swiss bank's end-of-day statement).
func TestCamtSample(t *testing.T) {
	path := "../../../../shared/reference/specs/iso20022-camt/sample-camt.053-postfinance.xml"
	if _, err := os.Stat(path); err != nil {
		path = "/work/shared/reference/specs/iso20022-camt/sample-camt.053-postfinance.xml"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the camt sample is missing: %v", err)
	}
	st, err := read(t, "sample.xml", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Format != FormatCamt053 || st.Currency != "CHF" || st.AccountNumber != "CH2909000000250094239" || len(st.Rows) == 0 {
		t.Fatalf("got %s %s %s with %d rows", st.Format, st.Currency, st.AccountNumber, len(st.Rows))
	}
	checkGolden(t, "camt053_postfinance", golden(st))
}

func TestTamperedRowIsFlagged(t *testing.T) {
	data := "Date,Description,Debit,Credit,Balance\n" +
		"01/12/2025,Opening credit,,1000.00,1000.00\n" +
		"02/12/2025,POS,200.00,,800.00\n" +
		"03/12/2025,Transfer in,,5000.00,9800.00\n" + // the credit was 5000, the balance says 9000 was added: edited
		"04/12/2025,Airtime,100.00,,9700.00\n"
	st, err := read(t, "x.csv", []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checks, verdict, reasons := Verify(st)
	if verdict != Suspicious {
		t.Fatalf("verdict %s; want suspicious", verdict)
	}
	var rb *Check
	for i := range checks {
		if checks[i].Name == "running_balance" {
			rb = &checks[i]
		}
	}
	if rb == nil || rb.Passed || !strings.Contains(rb.Detail, "line 4 (2025-12-03)") {
		t.Fatalf("running_balance check %+v; want it failed at line 4", rb)
	}
	if len(reasons) == 0 || !strings.Contains(reasons[0], "line 4") {
		t.Errorf("reasons %v do not name the row", reasons)
	}
}

func TestPDFMetadataChecks(t *testing.T) {
	bal := int64(100)
	st := &Statement{Format: FormatPDF, BankName: "Zenith Bank", ChosenBankCode: "058", Rows: []Row{{Credit: 100, Balance: &bal, Line: 1}},
		PDF: &PDFInfo{Producer: "iLovePDF", IncrementalUpdates: 2, AmountFonts: []string{"Arial", "Helvetica"}}}
	checks, verdict, _ := Verify(st)
	failed := map[string]bool{}
	for _, c := range checks {
		if !c.Passed {
			failed[c.Name] = true
		}
	}
	for _, n := range []string{"pdf_producer", "pdf_incremental_updates", "pdf_amount_fonts", "bank_matches"} {
		if !failed[n] {
			t.Errorf("%s did not fail: %+v", n, checks)
		}
	}
	if verdict != Suspicious {
		t.Errorf("verdict %s", verdict)
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, file string
		data       []byte
		want       error
		found      string
	}{
		{"empty", "a.csv", nil, ErrUnknownFormat, ""},
		{"binary", "a.bin", []byte{0, 1, 2, 3, 0xff}, ErrUnknownFormat, ""},
		{"csv without header", "a.csv", []byte("name,age,city\nada,3,lagos\n"), nil, "the first line holds: name | age | city"},
		{"header but no rows", "a.csv", []byte("Date,Narration,Debit,Credit,Balance\n"), nil, "no transaction rows"},
		{"pdf without parser", "a.pdf", []byte("%PDF-1.7\n..."), nil, "no PDF statement reader"},
		{"camt of another message", "a.xml", []byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"></Document>`), nil, "no Stmt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := read(t, c.file, c.data, Options{})
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("err %v; want %v", err, c.want)
				}
				return
			}
			var le *LayoutError
			if !errors.As(err, &le) || !strings.Contains(le.Found, c.found) {
				t.Fatalf("err %v; want a LayoutError naming %q", err, c.found)
			}
		})
	}
}

func TestZipBombRejected(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte("<Types/>"))
	w, _ = zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for range 300 { // 300 MiB of zeros compresses to about 300 KiB
		w.Write(zeros)
	}
	zw.Close()
	_, err := read(t, "bomb.xlsx", b.Bytes(), Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v; want ErrTooLarge", err)
	}
}

func bigCSV(n int) []byte { return SampleCSV(n) }

func TestTwentyMegabyteCSV(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	data := bigCSV(330_000)
	if len(data) < 20<<20 {
		t.Fatalf("only %d bytes", len(data))
	}
	st, err := read(t, "big.csv", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 330_000 {
		t.Fatalf("%d rows", len(st.Rows))
	}
	if _, verdict, reasons := Verify(st); verdict != Consistent {
		t.Fatalf("verdict %s: %v", verdict, reasons)
	}
}

func BenchmarkCSV100k(b *testing.B) {
	data := bigCSV(100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		st, err := Reader{Parsers: Structured()}.Read(context.Background(), bytes.NewReader(data), int64(len(data)), "x.csv", Options{})
		if err != nil || len(st.Rows) != 100_000 {
			b.Fatal(err)
		}
	}
}

// Every parser is fuzzed through the one entry point and directly.
func fuzzParser(f *testing.F, p Parser, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := p.Parse(context.Background(), bytes.NewReader(data), int64(len(data)), Options{MaxRows: 5000})
		if err != nil {
			return
		}
		if len(st.Rows) == 0 {
			t.Fatal("a statement with no rows parsed without an error")
		}
		for _, r := range st.Rows {
			if r.Debit < 0 || r.Credit < 0 || (r.Debit != 0 && r.Credit != 0) {
				t.Fatalf("bad row %+v", r)
			}
		}
		Verify(st)
	})
}

func seedsOf(format Format) [][]byte {
	var out [][]byte
	for _, fx := range fixtures {
		if fx.format == format {
			out = append(out, fx.data(nil))
		}
	}
	return out
}

func FuzzCSV(f *testing.F)   { fuzzParser(f, CSV{}, seedsOf(FormatCSV)...) }
func FuzzMBS(f *testing.F)   { fuzzParser(f, MBS{}, seedsOf(FormatMBS)...) }
func FuzzOFX(f *testing.F)   { fuzzParser(f, OFX{}, seedsOf(FormatOFX)...) }
func FuzzMT940(f *testing.F) { fuzzParser(f, MT940{}, seedsOf(FormatMT940)...) }
func FuzzCamt(f *testing.F) {
	fuzzParser(f, Camt{}, append(seedsOf(FormatCamt053), seedsOf(FormatCamt052)...)...)
}
func FuzzXLSX(f *testing.F) { fuzzParser(f, XLSX{}, seedsOf(FormatXLSX)...) }

// Times in a CSV export (08:20:25) hold ":20:" and ":25:"; that is no MT940.
func TestCSVWithTimesIsNotMT940(t *testing.T) {
	data := "Date,Narration,Debit,Credit,Balance\n01/12/2025 08:20:25,POS,100.00,,900.00\n01/12/2025 09:25:20,POS,100.00,,800.00\n"
	st, err := read(t, "x.csv", []byte(data), Options{})
	if err != nil || st.Format != FormatCSV || len(st.Rows) != 2 {
		t.Fatalf("%+v, %v", st, err)
	}
}

// The tabular fast path agrees with parseAmount on every input.
func FuzzAmountFastPath(f *testing.F) {
	for _, s := range []string{"1,234.56", "12.3", "0.00", "1.2.3", "1,234.567", "₦5", "12.3400", ",", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, aok := amount(s)
		b, bok := parseAmount(s)
		if a != b || aok != bok {
			t.Fatalf("amount(%q) = %d, %v; parseAmount = %d, %v", s, a, aok, b, bok)
		}
	})
}

// A row pasted twice (same date, amounts, narration and balance) is a
// failed duplicate_rows check naming both lines; two equal purchases
// without a balance or reference are ordinary and pass.
func TestDuplicateRows(t *testing.T) {
	find := func(checks []Check) Check {
		for _, c := range checks {
			if c.Name == "duplicate_rows" {
				return c
			}
		}
		t.Fatal("no duplicate_rows check")
		return Check{}
	}
	b := func(v int64) *int64 { return &v }
	d := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	st := &Statement{Format: FormatCSV, Rows: []Row{
		{Date: d, Narration: "SALARY", Credit: 1000, Balance: b(1000), Line: 2},
		{Date: d, Narration: "POS", Debit: 100, Balance: b(900), Line: 3},
		{Date: d, Narration: "POS", Debit: 100, Balance: b(900), Line: 4},
		{Date: d, Narration: "POS", Debit: 100, Balance: b(901), Line: 5}, // another balance: another row
	}}
	c := find(checksOf(st))
	if c.Passed || !strings.Contains(c.Detail, "1 repeated rows") || !strings.Contains(c.Detail, "repeats line 3") {
		t.Fatalf("pasted row: %+v", c)
	}
	plain := &Statement{Format: FormatCSV, Rows: []Row{{Date: d, Narration: "POS", Debit: 100, Line: 2}, {Date: d, Narration: "POS", Debit: 100, Line: 3}}}
	if c := find(checksOf(plain)); !c.Passed {
		t.Fatalf("two equal purchases without balances: %+v", c)
	}
}

func checksOf(st *Statement) []Check { c, _, _ := Verify(st); return c }

// countLines sizes a CSV's rows: lines long enough to be a row, never
// blank ones (a file of newlines must not reserve a million rows), and a
// last line without a newline counts.
func TestCountLines(t *testing.T) {
	row := "01/12/2025,POS PURCHASE,1,000.00,,9,000.00"
	for _, c := range []struct {
		data string
		want int
	}{
		{"", 0},
		{row, 1},
		{row + "\n" + row + "\n", 2},
		{"Date,Amount\n" + row + "\n\n\n" + row, 2},
		{strings.Repeat("\n", 1<<20), 0},
		{strings.Repeat(strings.Repeat("x", 70<<10)+"\n", 2), 2}, // lines longer than a read
	} {
		n, err := countLines(strings.NewReader(c.data), int64(len(c.data)))
		if err != nil || n != c.want {
			t.Errorf("%.30q…: %d, %v; want %d", c.data, n, err, c.want)
		}
	}
}
