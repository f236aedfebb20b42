package statementimport

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// buildPDF writes objects 1..n (bodies given; 1 must be the catalog) with
// a classic xref table.
func buildPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

func flateStream(t testing.TB, data io.Reader) string {
	t.Helper()
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if _, err := io.Copy(w, data); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())
}

type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	for i := range p {
		p[i] = ' '
	}
	z.n -= int64(len(p))
	return len(p), nil
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A PDF bomb: a 60 KB file whose page content inflates to 48 MB. It is
// refused as too large, having allocated a small fraction of that.
func TestPDFBombStream(t *testing.T) {
	content := flateStream(t, &zeros{48 << 20})
	data := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>", content)
	if len(data) > 200<<10 {
		t.Fatalf("the bomb is %d bytes", len(data))
	}
	var err error
	n := allocated(func() { _, err = parsePDF(t, data, Options{}) })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	if n > 8<<20 {
		t.Errorf("refusing the bomb allocated %d MB", n>>20)
	}
}

// A page-tree bomb: one page listed 5,000 times.
func TestPDFBombPages(t *testing.T) {
	kids := strings.Repeat("3 0 R ", 5000)
	data := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids ["+kids+"] /Count 5000 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
	if _, err := parsePDF(t, data, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

// A file larger than MaxPDFBytes is refused before it is read.
func TestPDFTooLargeFile(t *testing.T) {
	_, err := NewPDFParser().Parse(context.Background(), bytes.NewReader(nil), MaxPDFBytes+1, Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

// More rows than Options.MaxRows is refused as too large.
func TestPDFMaxRows(t *testing.T) {
	fx := makeFx(fxBanks()["access"], 30, 1, 5)
	if _, err := parsePDF(t, fx.render(t, fxOpts{}), Options{MaxRows: 29}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

// A PDF with text but no statement table, and one with no text (a scan),
// say what was found.
func TestPDFUnknownLayout(t *testing.T) {
	letter := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		flateStream(t, strings.NewReader("BT /F1 10 Tf 72 700 Td (Dear customer, your card is ready.) Tj 0 -14 Td (Date  Amount  Branch) Tj ET")))
	scan := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
	for name, c := range map[string]struct {
		data  []byte
		found string
	}{"letter": {letter, "no table with date, amount and balance columns on any page"}, "scan": {scan, "no text on any page"}} {
		_, err := parsePDF(t, c.data, Options{})
		var le *LayoutError
		if !errors.As(err, &le) || le.Format != FormatPDF || !strings.Contains(le.Found, c.found) {
			t.Errorf("%s: err %v, want a LayoutError finding %q", name, err, c.found)
		}
	}
	if _, err := parsePDF(t, []byte("%PDF-1.4\nnot really"), Options{}); err == nil {
		t.Error("a broken PDF parsed")
	}
}

// A statement whose later pages repeat no header still reads every row,
// with the columns of the first page.
func TestPDFHeaderNotRepeated(t *testing.T) {
	fx := makeFx(fxBanks()["zenith"], 70, 1, 9)
	st, err := parsePDF(t, fx.render(t, fxOpts{noHeaderRepeat: true}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, fx, st)
}

// tamper rewrites one amount of page 1 in an incremental update, drawn in
// Courier, the way a doctored statement is made in an editor: the
// original revision stays in the file and a new page object, resources
// and content stream are appended after its %%EOF.
func tamper(t testing.TB, data []byte, old, repl string) []byte {
	t.Helper()
	s := string(data)
	m := regexp.MustCompile(`(?s)\n(\d+) 0 obj\n(<</Type /Page\n.*?)\nendobj`).FindStringSubmatch(s)
	if m == nil {
		t.Fatal("no page object")
	}
	pageID, pageDict := m[1], m[2]
	contentsID := regexp.MustCompile(`/Contents (\d+) 0 R`).FindStringSubmatch(pageDict)[1]
	resID := regexp.MustCompile(`/Resources (\d+) 0 R`).FindStringSubmatch(pageDict)[1]
	res := regexp.MustCompile(`(?s)\n` + resID + ` 0 obj\n(.*?)\nendobj`).FindStringSubmatch(s)[1]
	cm := regexp.MustCompile(`(?s)\n` + contentsID + ` 0 obj\n<<.*?>>\nstream\n`).FindStringIndex(s)
	zr, err := zlib.NewReader(strings.NewReader(s[cm[1]:]))
	if err != nil {
		t.Fatal(err)
	}
	content, _ := io.ReadAll(zr)
	at := bytes.Index(content, []byte("("+old+")Tj"))
	if at < 0 {
		t.Fatalf("%q is not on page 1", old)
	}
	font := regexp.MustCompile(`/(F\w+) ([\d.]+) Tf`).FindAllSubmatch(content[:at], -1)
	cur := font[len(font)-1]
	edited := string(content[:at]) + fmt.Sprintf("/FX %s Tf (%s)Tj /%s %s Tf", cur[2], repl, cur[1], cur[2]) + string(content[at+len(old)+4:])

	size, _ := strconv.Atoi(regexp.MustCompile(`/Size (\d+)`).FindStringSubmatch(s)[1])
	root := regexp.MustCompile(`/Root (\d+ 0 R)`).FindStringSubmatch(s)[1]
	info := regexp.MustCompile(`/Info (\d+ 0 R)`).FindStringSubmatch(s)[1]
	prev := regexp.MustCompile(`startxref\n(\d+)`).FindAllStringSubmatch(s, -1)
	cID, fID, rID := size, size+1, size+2
	var b bytes.Buffer
	b.Write(data)
	offs := map[int]int{}
	obj := func(id int, body string) {
		offs[id] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", id, body)
	}
	obj(cID, flateStream(t, strings.NewReader(edited)))
	obj(fID, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
	obj(rID, strings.Replace(res, "/Font <<", fmt.Sprintf("/Font <<\n/FX %d 0 R", fID), 1))
	pid, _ := strconv.Atoi(pageID)
	newPage := strings.Replace(strings.Replace(pageDict, "/Contents "+contentsID+" 0 R", fmt.Sprintf("/Contents %d 0 R", cID), 1),
		"/Resources "+resID+" 0 R", fmt.Sprintf("/Resources %d 0 R", rID), 1)
	obj(pid, newPage)
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n%d 3\n", pid, offs[pid], cID)
	for _, id := range []int{cID, fID, rID} {
		fmt.Fprintf(&b, "%010d 00000 n \n", offs[id])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s /Info %s /Prev %s >>\nstartxref\n%d\n%%%%EOF\n", rID+1, root, info, prev[len(prev)-1][1], x)
	return b.Bytes()
}

// A doctored statement: one amount retyped in another font in an
// incremental update. The parser reads the new amount (what a reader
// sees), and reports the second font in the amount columns and the
// appended revision, for the authenticity checks.
func TestPDFTamperedStatement(t *testing.T) {
	fx := makeFx(fxBanks()["gtbank"], 20, 1, 4)
	orig := fx.render(t, fxOpts{})
	r0 := fx.rows[0]
	amt := r0.Debit + r0.Credit
	old := commas(amt)
	repl := "9" + old[1:]
	doctored := tamper(t, orig, old, repl)

	st, err := parsePDF(t, orig, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.PDF.IncrementalUpdates != 0 || strings.Join(st.PDF.AmountFonts, ",") != "Helvetica" {
		t.Fatalf("original: %+v", st.PDF)
	}
	st, err = parsePDF(t, doctored, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.PDF.IncrementalUpdates != 1 {
		t.Errorf("incremental updates %d, want 1", st.PDF.IncrementalUpdates)
	}
	if got := strings.Join(st.PDF.AmountFonts, ","); got != "Courier,Helvetica" {
		t.Errorf("amount fonts %q, want Courier,Helvetica", got)
	}
	want, _ := parseAmount(repl)
	if got := st.Rows[0].Debit + st.Rows[0].Credit; got != want {
		t.Errorf("row 0 amount %d, want the doctored %d", got, want)
	}
	if len(st.Rows) != len(fx.rows) {
		t.Errorf("%d rows, want %d", len(st.Rows), len(fx.rows))
	}
	// and the checks: suspicious, the running balance broken at that row,
	// the second font and the appended revision named
	checks, verdict, reasons := Verify(st)
	if verdict != Suspicious {
		t.Fatalf("verdict %s, want suspicious (%v)", verdict, reasons)
	}
	failed := map[string]string{}
	for _, c := range checks {
		if !c.Passed {
			failed[c.Name] = c.Detail
		}
	}
	if d, ok := failed["running_balance"]; !ok || !strings.Contains(d, (&checkRow{Date: st.Rows[0].Date, Line: int32(st.Rows[0].Line)}).name()) {
		t.Errorf("running_balance %q, want it broken at %s (failed: %v)", d, (&checkRow{Date: st.Rows[0].Date, Line: int32(st.Rows[0].Line)}).name(), failed)
	}
	if len(failed) < 3 {
		t.Errorf("failed checks %v: want the balance, the fonts and the revision", failed)
	}
}

// Sizes the reader libraries allocate or loop by are refused first (found
// by FuzzPDFParser: "xref 0 4294967295" ran the process out of memory, and
// a locked file naming object 9999990 kept pdfcpu busy for seconds).
func TestPDFHugeObjectNumbers(t *testing.T) {
	base := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
	for name, data := range map[string][]byte{
		"xref table":    bytes.Replace(base, []byte("xref\n0 4"), []byte("xref\n0 4294967295"), 1),
		"xref start":    bytes.Replace(base, []byte("xref\n0 4"), []byte("xref\n4294967290 4"), 1),
		"trailer size":  bytes.Replace(base, []byte("/Size 4"), []byte("/Size 2147483647"), 1),
		"object number": bytes.Replace(base, []byte("/Kids [3 0 R]"), []byte("/Kids [9999990 0 R]"), 1),
		"xref stream":   append(base, []byte("9 0 obj << /Type /XRef /Size 4 /W [1 99999999 2] /Index [0 4] >> endobj\n")...),
	} {
		if _, err := parsePDF(t, data, Options{}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err %v, want ErrTooLarge", name, err)
		}
	}
}

// A statement whose cross-reference offsets are wrong (bytes inserted
// after the header, as some mail gateways and "PDF fixers" do) is
// repaired and read.
func TestPDFDamagedXref(t *testing.T) {
	fx := makeFx(fxBanks()["access"], 30, 1, 8)
	data := fx.render(t, fxOpts{})
	nl := bytes.IndexByte(data, '\n')
	damaged := append(append(append([]byte(nil), data[:nl+1]...), []byte("%"+strings.Repeat(" ", 37)+"\n")...), data[nl+1:]...)
	if _, err := openPDF(bytes.NewReader(damaged), int64(len(damaged))); err == nil {
		t.Log("the reader opens the damaged file by itself")
	}
	st, err := parsePDF(t, damaged, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, fx, st)
}

// A table drawn inside a Form XObject (a page template), in a font of the
// form's own resources, reads like one drawn on the page.
func TestPDFFormXObject(t *testing.T) {
	text := "BT /H 8 Tf 1 0 0 1 40 700 Tm (Date) Tj 1 0 0 1 110 700 Tm (Description) Tj 1 0 0 1 300 700 Tm (Debit) Tj " +
		"1 0 0 1 380 700 Tm (Credit) Tj 1 0 0 1 460 700 Tm (Balance) Tj " +
		"1 0 0 1 40 686 Tm (01/12/2025) Tj 1 0 0 1 110 686 Tm (POS SHOPRITE) Tj 1 0 0 1 300 686 Tm (1,500.00) Tj 1 0 0 1 460 686 Tm (8,500.00) Tj " +
		"1 0 0 1 40 672 Tm (02/12/2025) Tj 1 0 0 1 110 672 Tm (SALARY) Tj 1 0 0 1 380 672 Tm (100,000.00) Tj 1 0 0 1 460 672 Tm (108,500.00) Tj ET"
	form := strings.Replace(flateStream(t, strings.NewReader(text)), "<< ", "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Matrix [1 0 0 1 0 -100] /Resources << /Font << /H 6 0 R >> >> ", 1)
	data := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /T 5 0 R >> >> /Contents 4 0 R >>",
		flateStream(t, strings.NewReader("q /T Do Q")), form,
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	st, err := parsePDF(t, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 2 || st.Rows[0].Debit != 150000 || st.Rows[1].Credit != 10000000 || *st.Rows[1].Balance != 10850000 || st.Rows[0].Narration != "POS SHOPRITE" {
		t.Fatalf("rows %+v", st.Rows)
	}
}

// A date cell that wraps its time onto a second line (as Kuda's narrow
// Date/Time column does) gives the row its time, and the wrapped
// narration its second line.
func TestPDFWrappedDateTime(t *testing.T) {
	at := func(x, y int, s string) string { return fmt.Sprintf("1 0 0 1 %d %d Tm (%s) Tj ", x, y, s) }
	text := "BT /H 8 Tf " + at(30, 700, "Kuda Microfinance Bank") +
		at(40, 660, "Date/Time") + at(110, 660, "Money In") + at(180, 660, "Money Out") + at(250, 660, "Description") + at(480, 660, "Balance") +
		at(40, 646, "01/12/25") + at(180, 646, "2,500.00") + at(250, 646, "Transfer to EMEKA") + at(480, 646, "7,500.00") +
		at(40, 637, "08:12:33") + at(250, 637, "NWOSU for lunch") +
		at(40, 622, "02/12/25") + at(110, 622, "10,000.00") + at(250, 622, "Salary") + at(480, 622, "17,500.00") +
		at(40, 613, "17:45:00") + "ET"
	data := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /H 5 0 R >> >> /Contents 4 0 R >>",
		flateStream(t, strings.NewReader(text)), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	st, err := parsePDF(t, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Layout != "kuda" || len(st.Rows) != 2 {
		t.Fatalf("layout %q, %d rows", st.Layout, len(st.Rows))
	}
	r := st.Rows[0]
	if !r.Date.Equal(time.Date(2025, 12, 1, 7, 12, 33, 0, time.UTC)) || r.Narration != "Transfer to EMEKA NWOSU for lunch" || r.Debit != 250000 {
		t.Errorf("row 0 %+v", r)
	}
	if !st.Rows[1].Date.Equal(time.Date(2025, 12, 2, 16, 45, 0, 0, time.UTC)) || st.Rows[1].Credit != 1000000 {
		t.Errorf("row 1 %+v", st.Rows[1])
	}
}
