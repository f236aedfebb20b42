package statementimport

// The PDF parser. Libraries, both pure Go:
//
//   - github.com/pdfcpu/pdfcpu decrypts locked statements (RC4 40/128,
//     AES-128 and AES-256, the user password), with its decode limits set
//     from the constants below. It is only used when the file is locked in
//     a way the reader below cannot open by itself.
//   - github.com/ledongthuc/pdf (maintained fork of rsc.io/pdf) reads the
//     object graph lazily from the io.ReaderAt and tokenises content
//     streams while inflating them, so a page is never held decoded in
//     memory; pdftext.go runs the text state machine on its tokens.
//
// Before either library sees the file, scanPDF inflates every Flate
// stream once into a counter (nothing kept) and refuses the file when one
// stream or all together expand past the limits: a PDF bomb is ErrTooLarge
// at a cost of a few milliseconds, and memory stays bounded.

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ledongthuc/pdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Limits. A busy business account's 12-month statement is ~3,000 rows on
// ~60 A4 pages, ~1-3 MB on disk, with page content streams of ~20-60 KB
// decoded and embedded font subsets of ~50-300 KB. The limits leave an
// order of magnitude above that and stop hostile files early.
const (
	// MaxPDFBytes: the largest file read at all. Ten times a large
	// statement; a scan of every page at 300 dpi would be bigger, and holds
	// no text anyway.
	MaxPDFBytes = 64 << 20
	// maxPDFPages: 10,000 rows of ~50 per page is 200 pages; 1,000 allows
	// sparse layouts while stopping a page-tree bomb.
	maxPDFPages = 1000
	// maxStreamDecoded: one stream's decoded size. Content streams are tens
	// of KB; a full-page image decoded raw is ~25 MB, so 32 MB.
	maxStreamDecoded = 32 << 20
	// maxTotalDecoded: all streams together, the bound on work and memory
	// any library can be made to spend decoding.
	maxTotalDecoded = 256 << 20
	// maxPageOps and maxPageGlyphs bound the interpreter per page: a dense
	// statement page has ~3,000 operators and ~8,000 glyphs.
	maxPageOps    = 500_000
	maxPageGlyphs = 200_000
	// maxPDFObjects: the largest object number a cross-reference table
	// may declare. The reader library sizes its table by the largest
	// number it sees, so "xref 0 4294967295" would allocate 100+ GB; a
	// 3,000-row statement has a few hundred objects.
	maxPDFObjects = 500_000
	// defaultMaxRows when Options.MaxRows is 0.
	defaultMaxRows = 50_000
	// pdfSniffBytes: where %PDF- may start (some generators prepend junk).
	pdfSniffBytes = 1024
)

// PDFParser reads PDF bank statements.
type PDFParser struct {
	layouts []pdfLayout
	generic pdfLayout
}

// NewPDFParser returns the PDF parser with the layout table of layouts.go.
func NewPDFParser() *PDFParser {
	ls := pdfLayouts()
	p := &PDFParser{layouts: ls, generic: genericLayout(ls)}
	for i := range p.layouts {
		p.layouts[i].prepare()
	}
	p.generic.prepare()
	return p
}

// Format implements Parser.
func (*PDFParser) Format() Format { return FormatPDF }

// Sniff implements Parser.
func (*PDFParser) Sniff(head []byte, name string) bool {
	if len(head) > pdfSniffBytes {
		head = head[:pdfSniffBytes]
	}
	if bytes.Contains(head, []byte("%PDF-")) {
		return true
	}
	return len(head) == 0 && strings.HasSuffix(strings.ToLower(name), ".pdf")
}

// Parse implements Parser.
func (p *PDFParser) Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (st *Statement, err error) {
	if size > MaxPDFBytes {
		return nil, fmt.Errorf("%w: the PDF is %d bytes, kobo reads up to %d", ErrTooLarge, size, MaxPDFBytes)
	}
	scan, err := scanPDF(r, size)
	if err != nil {
		return nil, err
	}
	info := &PDFInfo{IncrementalUpdates: scan.updates}
	// Every locked file goes through pdfcpu, even one the reader could open
	// with the empty password itself: the reader's RC4-40 decryption reads
	// an owner-locked file as no text at all.
	var rd *pdf.Reader
	if scan.encrypt {
		plain, err := rewritePDF(r, size, opts.Password, true)
		switch {
		case err == nil:
			if rd, err = openRewritten(plain); err != nil {
				return nil, err
			}
			info.Encrypted = true
		case errors.Is(err, errNotLocked):
			// "/Encrypt" was only text in the file
		default:
			return nil, err
		}
	}
	if rd == nil {
		var openErr error
		if rd, openErr = openPDF(r, size); openErr != nil {
			// damaged (wrong xref offsets are common in bank PDFs): pdfcpu
			// repairs it and writes it out afresh
			plain, err := rewritePDF(r, size, "", false)
			if err != nil {
				return nil, &LayoutError{Format: FormatPDF, Found: "not a readable PDF: " + openErr.Error()}
			}
			if rd, err = openRewritten(plain); err != nil {
				return nil, err
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// The library panics on some malformed objects; a bad file is the
	// customer's problem to hear about, not a crash.
	defer func() {
		if x := recover(); x != nil {
			st, err = nil, &LayoutError{Format: FormatPDF, Found: fmt.Sprintf("a malformed PDF (%v)", x)}
		}
	}()
	trailer := rd.Trailer()
	if trailer.Key("Encrypt").Kind() != pdf.Null {
		info.Encrypted = true
	}
	inf := trailer.Key("Info")
	info.Producer = inf.Key("Producer").Text()
	info.Creator = inf.Key("Creator").Text()
	info.Created = pdfDate(inf.Key("CreationDate").Text())
	info.Modified = pdfDate(inf.Key("ModDate").Text())

	pages, err := pageList(trailer.Key("Root").Key("Pages"))
	if err != nil {
		return nil, err
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = defaultMaxRows
	}
	st = &Statement{Format: FormatPDF, PDF: info}
	t := &pdfTableReader{st: st, maxRows: maxRows, fonts: map[string]bool{}}
	var cols []hdrCol
	var glyphs []pdfGlyph
	var pageTexts [][]pdfLine
	for i, pg := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		glyphs, err = pageGlyphs(pg, maxPageOps, maxPageGlyphs, glyphs)
		if err != nil {
			return nil, fmt.Errorf("%w: page %d has more text than a statement page", ErrTooLarge, i+1)
		}
		lines := pageLines(glyphs)
		header := -1
		if t.layout == nil {
			var m headerMatch
			m, header = p.chooseLayout(lines, pageTexts, opts)
			if header < 0 {
				pageTexts = append(pageTexts, lines)
				for _, l := range lines {
					t.addMeta(l, i+1)
				}
				continue
			}
			t.layout = m.layout
			cols = bands(m.cols)
		} else {
			for li, l := range lines {
				if m := matchPDFHeader(t.layout, headerTokens(l.words)); m.qualifies() {
					header = li
					cols = bands(m.cols)
					break
				}
			}
		}
		pageTexts = append(pageTexts, lines)
		if err := t.page(lines, i+1, header, cols); err != nil {
			return nil, err
		}
	}
	if t.layout == nil {
		found := "no table with date, amount and balance columns on any page"
		if n := countWords(pageTexts); n == 0 {
			found = "no text on any page (a scanned statement? kobo reads the bank's own PDF, not a scan)"
		}
		return nil, &LayoutError{Format: FormatPDF, Found: found}
	}
	st.Layout = t.layout.Name
	st.BankName = t.layout.Bank
	st.BankCode = t.layout.BankCode
	if st.BankCode == "" {
		st.BankCode = opts.BankCode
	}
	st.Closing = t.closing()
	t.readMeta()
	if st.Currency == "" {
		st.Currency = "NGN"
	}
	if len(st.Rows) == 0 {
		return nil, &LayoutError{Format: FormatPDF, Found: fmt.Sprintf("a %s transaction table with no rows kobo could read", t.layout.Name)}
	}
	if st.Closing == nil {
		if b := st.Rows[len(st.Rows)-1].Balance; b != nil {
			st.Closing = ptr(*b)
		}
	}
	for f := range t.fonts {
		info.AmountFonts = append(info.AmountFonts, f)
	}
	sort.Strings(info.AmountFonts)
	return st, nil
}

func countWords(pages [][]pdfLine) int {
	n := 0
	for _, p := range pages {
		for _, l := range p {
			n += len(l.words)
		}
	}
	return n
}

// reMoney is an amount as statements print one: digits, two decimals.
var reMoney = regexp.MustCompile(`\d\.\d\d\b`)

// chooseLayout finds the header line on a page and the layout it belongs
// to: among the layouts whose columns the line matches, one whose bank
// marks the page text shows, else the customer's chosen bank, else the
// best match; the generic layout when no bank's row matches.
func (p *PDFParser) chooseLayout(lines []pdfLine, earlier [][]pdfLine, opts Options) (headerMatch, int) {
	for li, l := range lines {
		toks := headerTokens(l.words)
		if len(toks) < 3 {
			continue
		}
		var cands []headerMatch
		for i := range p.layouts {
			if m := matchPDFHeader(&p.layouts[i], toks); m.qualifies() {
				cands = append(cands, m)
			}
		}
		if len(cands) == 0 {
			if m := matchPDFHeader(&p.generic, toks); m.qualifies() {
				return m, li
			}
			continue
		}
		// marks are read outside the table: above the header and the
		// page's last lines (footers), so a narration naming another bank
		// does not decide the layout
		var b strings.Builder
		for _, pg := range earlier {
			for _, x := range pg {
				b.WriteString(strings.ToLower(x.text()) + "\n")
			}
		}
		for _, x := range lines[:li] {
			b.WriteString(strings.ToLower(x.text()) + "\n")
		}
		for k := len(lines) - 3; k < len(lines); k++ {
			// a last line with an amount on it is the table's last row, not
			// a footer: its narration may name another bank
			if x := lines[k].text(); k > li && !reMoney.MatchString(x) {
				b.WriteString(strings.ToLower(x) + "\n")
			}
		}
		text := b.String()
		for _, c := range cands {
			for _, mk := range c.layout.Marks {
				if strings.Contains(text, mk) {
					return c, li
				}
			}
		}
		best := cands[0]
		for _, c := range cands {
			if opts.BankCode != "" && c.layout.BankCode == opts.BankCode {
				return c, li
			}
			if c.score() > best.score() {
				best = c
			}
		}
		return best, li
	}
	return headerMatch{}, -1
}

// pageList walks the page tree once (Reader.Page walks it per call),
// refusing trees with more than maxPDFPages pages or cycles.
func pageList(root pdf.Value) ([]pdf.Value, error) {
	var out []pdf.Value
	var walk func(v pdf.Value, depth int) error
	nodes := 0
	walk = func(v pdf.Value, depth int) error {
		nodes++
		if depth > 32 || nodes > 4*maxPDFPages {
			return fmt.Errorf("%w: the page tree is deeper or larger than a statement's", ErrTooLarge)
		}
		switch v.Key("Type").Name() {
		case "Pages":
			kids := v.Key("Kids")
			for i := 0; i < kids.Len(); i++ {
				if err := walk(kids.Index(i), depth+1); err != nil {
					return err
				}
			}
		default:
			if v.Kind() != pdf.Dict {
				return nil
			}
			out = append(out, v)
			if len(out) > maxPDFPages {
				return fmt.Errorf("%w: more than %d pages", ErrTooLarge, maxPDFPages)
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// openPDF opens r with the reader library, which insists on a 1.x header
// at byte 0: PDF 2.0 files (pdfcpu writes them for AES-256) read the same.
func openPDF(r io.ReaderAt, size int64) (rd *pdf.Reader, err error) {
	defer func() {
		if x := recover(); x != nil {
			rd, err = nil, fmt.Errorf("malformed PDF: %v", x)
		}
	}()
	head := make([]byte, 10)
	n, _ := r.ReadAt(head, 0)
	if n >= 9 && bytes.HasPrefix(head, []byte("%PDF-2.")) {
		r = headerPatch{r}
	}
	return pdf.NewReader(r, size)
}

// headerPatch presents "%PDF-2.x" as "%PDF-1.7".
type headerPatch struct{ io.ReaderAt }

func (h headerPatch) ReadAt(p []byte, off int64) (int, error) {
	n, err := h.ReaderAt.ReadAt(p, off)
	for i := 0; i < n; i++ {
		switch off + int64(i) {
		case 5:
			p[i] = '1'
		case 7:
			p[i] = '7'
		}
	}
	return n, err
}

// errNotLocked: rewritePDF was asked to decrypt a file with no encryption.
var errNotLocked = errors.New("the PDF is not encrypted")

// openRewritten checks and opens what pdfcpu wrote.
func openRewritten(plain []byte) (*pdf.Reader, error) {
	pr := bytes.NewReader(plain)
	if _, err := scanPDF(pr, int64(len(plain))); err != nil {
		return nil, err
	}
	rd, err := openPDF(pr, int64(len(plain)))
	if err != nil {
		return nil, &LayoutError{Format: FormatPDF, Found: "not a readable PDF after decryption: " + err.Error()}
	}
	return rd, nil
}

// rewritePDF opens a locked file with the user password, or a damaged one,
// and returns it decrypted and rewritten. pdfcpu keeps the whole file in
// memory, so this is bounded by MaxPDFBytes, and its decoders by the
// limits set here.
func rewritePDF(r io.ReaderAt, size int64, password string, locked bool) (out []byte, err error) {
	defer func() {
		if x := recover(); x != nil {
			out, err = nil, &LayoutError{Format: FormatPDF, Found: fmt.Sprintf("a locked PDF kobo cannot open (%v)", x)}
		}
	}()
	conf := pdfcpuConfig(password)
	var buf bytes.Buffer
	if locked {
		err = api.Decrypt(io.NewSectionReader(r, 0, size), &buf, conf)
	} else {
		err = api.Optimize(io.NewSectionReader(r, 0, size), &buf, conf)
	}
	switch {
	case err == nil:
		return buf.Bytes(), nil
	case errors.Is(err, pdfcpu.ErrNotEncrypted):
		return nil, errNotLocked
	case errors.Is(err, pdfcpu.ErrWrongPassword) && password == "":
		return nil, ErrPasswordRequired
	case errors.Is(err, pdfcpu.ErrWrongPassword):
		return nil, ErrWrongPassword
	case strings.Contains(err.Error(), "limit"):
		// pdfcpu reports its own decode limits only as text
		return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	return nil, &LayoutError{Format: FormatPDF, Found: "a locked PDF kobo cannot open: " + err.Error()}
}

// pdfcpuConfig is pdfcpu's default configuration built here, because
// model.NewDefaultConfiguration writes a config directory under the
// user's home on first use.
func pdfcpuConfig(password string) *model.Configuration {
	lim := model.DefaultResourceLimits()
	lim.MaxStreamBytes = MaxPDFBytes
	lim.MaxDecodeBytes = maxStreamDecoded
	lim.MaxImageBytes = maxStreamDecoded
	lim.MaxObjectCount = 1_000_000
	lim.MaxXRefEntries = 1_000_000
	lim.MaxObjectStreamCount = 100_000
	return &model.Configuration{
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceSkip,
		Eol:                       types.EolLF,
		UserPW:                    password,
		Offline:                   true,
		Limits:                    lim,
		TimestampFormat:           "2006-01-02 15:04",
		DateFormat:                "2006-01-02",
		Permissions:               model.PermissionsPrint,
	}
}

// pdfScan is what a pass over the raw bytes finds.
type pdfScan struct {
	updates int  // %%EOF markers after the first (incremental updates)
	encrypt bool // an /Encrypt entry
}

// scanPDF reads the file once in chunks: it counts %%EOF markers, notes
// /Encrypt, checks the sizes the libraries allocate by, and inflates
// every Flate stream into a counter (see the top of this file).
func scanPDF(r io.ReaderAt, size int64) (pdfScan, error) {
	var s pdfScan
	// Windows of chunk bytes overlapping by keep: a marker is counted in
	// the window where it starts, unless it starts in the overlap, where
	// the next window (which holds all of it) counts it.
	const chunk = 1 << 20
	const keep = 64 // longer than any marker or number checked below
	buf := make([]byte, chunk)
	eofs, linearized := 0, false
	var total int64
	for off := int64(0); off < size; off += chunk - keep {
		n, err := r.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return s, fmt.Errorf("reading the PDF: %w", err)
		}
		data := buf[:n]
		last := off+int64(n) >= size || n < chunk
		counts := func(at int) bool { return last || at < chunk-keep }
		if off == 0 && bytes.Contains(data[:min(len(data), 2048)], []byte("/Linearized")) {
			linearized = true
		}
		for i := 0; ; {
			k := bytes.Index(data[i:], []byte("%%EOF"))
			if k < 0 {
				break
			}
			if counts(i + k) {
				eofs++
			}
			i += k + 5
		}
		if !s.encrypt && bytes.Contains(data, []byte("/Encrypt")) {
			s.encrypt = true
		}
		if err := checkSizes(data); err != nil {
			return s, err
		}
		for i := 0; ; {
			k := bytes.Index(data[i:], []byte("xref"))
			if k < 0 {
				break
			}
			at := i + k
			i = at + 4
			if !counts(at) || (at >= 5 && string(data[at-5:at]) == "start") {
				continue
			}
			if err := checkXrefTable(r, off+int64(at)+4, size); err != nil {
				return s, err
			}
		}
		for i := 0; ; {
			k := bytes.Index(data[i:], []byte("stream"))
			if k < 0 {
				break
			}
			at := i + k
			i = at + 6
			if !counts(at) || (at >= 3 && string(data[at-3:at]) == "end") {
				continue
			}
			n, err := inflatedSize(r, off+int64(at)+6, size)
			if err != nil {
				return s, err
			}
			total += n
			if total > maxTotalDecoded {
				return s, fmt.Errorf("%w: its streams decode to more than %d MB", ErrTooLarge, maxTotalDecoded>>20)
			}
		}
		if last {
			break
		}
	}
	s.updates = eofs - 1
	if linearized {
		s.updates-- // a linearized file has a first-page section of its own
	}
	if s.updates < 0 {
		s.updates = 0
	}
	return s, nil
}

// Sizes in dictionaries that the reader library allocates by: an xref
// stream's /Size and /Index, its /W field widths, a predictor's /Columns.
var (
	reSizeKey  = regexp.MustCompile(`/Size\s+(\d+)`)
	reIndexKey = regexp.MustCompile(`/Index\s*\[([\d\s]{1,200})\]`)
	reWKey     = regexp.MustCompile(`/W\s*\[\s*(\d{1,20})\s+(\d{1,20})\s+(\d{1,20})\s*\]`)
	reColumns  = regexp.MustCompile(`/Columns\s+(\d{1,20})`)
	// object numbers: pdfcpu sizes its table by the largest "N 0 obj" or
	// "N 0 R" when it rebuilds a broken cross-reference table
	reObjNum = regexp.MustCompile(`(\d+)\s+(?:\d+\s+)?(?:obj|R)\b`)
)

func checkSizes(data []byte) error {
	tooBig := func(what string) error {
		return fmt.Errorf("%w: its %s is larger than any statement's", ErrTooLarge, what)
	}
	num := func(b []byte) uint64 {
		v, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			return math.MaxUint64
		}
		return v
	}
	for _, m := range reSizeKey.FindAllSubmatch(data, -1) {
		if num(m[1]) > maxPDFObjects {
			return tooBig("object count (/Size)")
		}
	}
	for _, m := range reIndexKey.FindAllSubmatch(data, -1) {
		f := bytes.Fields(m[1])
		for i := 0; i+1 < len(f); i += 2 {
			if a, b := num(f[i]), num(f[i+1]); a > maxPDFObjects || b > maxPDFObjects || a+b > maxPDFObjects {
				return tooBig("cross-reference index")
			}
		}
	}
	for _, m := range reWKey.FindAllSubmatch(data, -1) {
		for _, w := range m[1:] {
			if num(w) > 8 {
				return tooBig("cross-reference field width")
			}
		}
	}
	for _, m := range reObjNum.FindAllSubmatch(data, -1) {
		if num(m[1]) > maxPDFObjects {
			return tooBig("object number")
		}
	}
	for _, m := range reColumns.FindAllSubmatch(data, -1) {
		if num(m[1]) > 1<<16 {
			return tooBig("predictor width (/Columns)")
		}
	}
	return nil
}

// checkXrefTable reads the subsection headers of a classic xref table at
// off the way the reader library does (tokens, not fixed 20-byte lines)
// and refuses object numbers past maxPDFObjects before the library
// allocates for them.
func checkXrefTable(r io.ReaderAt, off, size int64) error {
	br := bufio.NewReaderSize(io.NewSectionReader(r, off, size-off), 4096)
	tok := func() (string, bool) {
		var b []byte
		for {
			c, err := br.ReadByte()
			if err != nil {
				return string(b), len(b) > 0
			}
			switch c {
			case ' ', '\t', '\r', '\n', '\f', 0:
				if len(b) > 0 {
					return string(b), true
				}
				continue
			}
			if len(b) > 24 {
				return "", false
			}
			b = append(b, c)
		}
	}
	for {
		a, ok := tok()
		if !ok {
			return nil
		}
		start, err1 := strconv.ParseUint(a, 10, 64)
		b, _ := tok()
		n, err2 := strconv.ParseUint(b, 10, 64)
		if err1 != nil || err2 != nil {
			return nil // "trailer", or malformed: the library's to report
		}
		if start > maxPDFObjects || n > maxPDFObjects || start+n > maxPDFObjects {
			return fmt.Errorf("%w: its cross-reference table declares more objects than any statement has", ErrTooLarge)
		}
		for i := uint64(0); i < 3*n; i++ {
			if _, ok := tok(); !ok {
				return nil
			}
		}
	}
}

// inflatedSize decodes the zlib stream that follows a "stream" keyword at
// start, counting bytes and keeping none. A stream that is not zlib (an
// image, an encrypted stream) counts as 0: the libraries only decode what
// they can, and encrypted streams are scanned again after decryption.
func inflatedSize(r io.ReaderAt, start, size int64) (int64, error) {
	sr := io.NewSectionReader(r, start, size-start)
	var lead [2]byte
	if _, err := io.ReadFull(sr, lead[:1]); err != nil {
		return 0, nil
	}
	if lead[0] == '\r' {
		if _, err := io.ReadFull(sr, lead[1:2]); err != nil || lead[1] != '\n' {
			return 0, nil
		}
	} else if lead[0] != '\n' {
		return 0, nil
	}
	zr, err := zlib.NewReader(sr)
	if err != nil {
		return 0, nil
	}
	defer zr.Close()
	n, err := io.CopyN(io.Discard, zr, maxStreamDecoded+1)
	if n > maxStreamDecoded {
		return n, fmt.Errorf("%w: a stream decodes to more than %d MB", ErrTooLarge, maxStreamDecoded>>20)
	}
	_ = err // a broken stream is the libraries' to report
	return n, nil
}

// pdfDate reads a PDF date ("D:20251201083000+01'00'").
func pdfDate(s string) time.Time {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	if len(s) < 4 {
		return time.Time{}
	}
	s = strings.ReplaceAll(s, "'", "")
	for _, l := range []string{"20060102150405-0700", "20060102150405Z0700", "20060102150405Z", "20060102150405", "200601021504", "20060102", "200601", "2006"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	if len(s) >= 14 {
		if t, err := time.Parse("20060102150405", s[:14]); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
