package statementimport

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/ledongthuc/pdf"
)

// Text with positions. github.com/ledongthuc/pdf parses the file (xref
// tables and streams, object streams, ToUnicode CMaps, lazily and streaming)
// but its own Page.Content measures glyphs by byte, which puts every glyph
// of a two-byte (Identity-H) font at the same x. So this file runs its own
// text-state machine over the library's content-stream tokeniser, measuring
// each glyph with the font's real widths (Widths, or W/DW for CID fonts),
// and enforcing the operator and glyph budgets that keep a hostile file
// bounded.

// errBudget is panicked inside the content interpreter when a page
// exceeds its budget, and recovered into ErrTooLarge.
var errBudget = errors.New("content budget exceeded")

// pdfGlyph is one shown character, in user space (points, y up).
type pdfGlyph struct {
	x, y, w, size float64
	s             string
	font          string
	run           int // the show-text operation that drew it
}

// pdfWord is a run of glyphs with no space between them.
type pdfWord struct {
	x0, x1, y, size float64
	text            string
	fonts           []string // distinct fonts of its glyphs
}

// pdfLine is the words on one baseline, left to right.
type pdfLine struct {
	y     float64
	size  float64 // the largest font size on the line
	words []pdfWord
	num   int // 1-based line number on the page, top down
}

func (l pdfLine) text() string {
	parts := make([]string, len(l.words))
	for i, w := range l.words {
		parts[i] = w.text
	}
	return strings.Join(parts, " ")
}

// pdfFont is what the interpreter needs from a font resource, read once.
type pdfFont struct {
	name    string
	twoByte bool
	first   int
	widths  []float64
	cidW    map[int]float64
	dw      float64
	hasW    bool
	enc     pdf.TextEncoding
	decoded map[int]string
}

func loadFont(v pdf.Value) *pdfFont {
	f := &pdfFont{name: v.Key("BaseFont").Name(), decoded: map[int]string{}}
	if i := strings.IndexByte(f.name, '+'); i >= 0 && i <= 7 {
		f.name = f.name[i+1:] // drop the subset tag (ABCDEF+DejaVuSans)
	}
	if f.name == "" {
		f.name = "unnamed"
	}
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		f.enc = readToUnicode(tu)
	} else {
		lf := pdf.Font{V: v}
		f.enc = lf.Encoder()
	}
	if f.enc == nil {
		f.enc = nopEncoding{}
	}
	if v.Key("Subtype").Name() == "Type0" {
		f.twoByte = true
		d := v.Key("DescendantFonts").Index(0)
		f.dw = 1000
		if dw := d.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
			f.dw = dw.Float64()
		}
		f.cidW = map[int]float64{}
		w := d.Key("W")
		for i := 0; i < w.Len() && i < 200000; {
			c := int(w.Index(i).Int64())
			next := w.Index(i + 1)
			if next.Kind() == pdf.Array {
				for j := 0; j < next.Len(); j++ {
					f.cidW[c+j] = next.Index(j).Float64()
				}
				i += 2
				continue
			}
			last := int(next.Int64())
			width := w.Index(i + 2).Float64()
			for c2 := c; c2 <= last && c2-c < 65536; c2++ {
				f.cidW[c2] = width
			}
			i += 3
		}
		f.hasW = true
		return f
	}
	f.first = int(v.Key("FirstChar").Int64())
	ws := v.Key("Widths")
	for i := 0; i < ws.Len() && i < 256; i++ {
		f.widths = append(f.widths, ws.Index(i).Float64())
	}
	f.hasW = len(f.widths) > 0
	return f
}

type nopEncoding struct{}

func (nopEncoding) Decode(raw string) string { return raw }

// width is a glyph's advance in thousandths of an em. Fonts without width
// tables (the standard 14, as fpdf writes Helvetica) get Helvetica-like
// estimates: exact enough to keep words together and columns apart, since
// every cell starts at an absolute position anyway.
func (f *pdfFont) width(code int, text string) float64 {
	if f.twoByte {
		if w, ok := f.cidW[code]; ok {
			return w
		}
		return f.dw
	}
	if f.hasW {
		if i := code - f.first; i >= 0 && i < len(f.widths) {
			return f.widths[i]
		}
	}
	switch {
	case text == " " || text == "." || text == "," || text == ":" || text == "/" || text == "-" || text == "i" || text == "l":
		return 278
	case text >= "0" && text <= "9":
		return 556
	case len(text) == 1 && unicode.IsUpper(rune(text[0])):
		return 667
	}
	return 520
}

func (f *pdfFont) decode(code int, raw string) string {
	if s, ok := f.decoded[code]; ok {
		return s
	}
	s := f.enc.Decode(raw)
	f.decoded[code] = s
	return s
}

type mat [6]float64 // a b c d e f

func (m mat) mul(n mat) mat {
	return mat{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

type textState struct {
	ctm, tm, tlm              mat
	tc, tw, th, tl, tfs, rise float64
	font                      *pdfFont
}

// pageGlyphs interprets one page's content streams, appending to buf
// (the previous page's slice, reused: a page's glyphs are dropped once
// its lines are built). maxOps and maxGlyphs bound the work; past them it
// returns errBudget.
func pageGlyphs(page pdf.Value, maxOps, maxGlyphs int, buf []pdfGlyph) (glyphs []pdfGlyph, err error) {
	glyphs = buf[:0]
	defer func() {
		if x := recover(); x != nil {
			if e, ok := x.(error); ok && errors.Is(e, errBudget) {
				err = errBudget
				return
			}
			// a malformed stream ends the page; what was read stays
			err = nil
		}
	}()
	contents := page.Key("Contents")
	if contents.Kind() == pdf.Null {
		return glyphs, nil
	}
	ident := mat{1, 0, 0, 1, 0, 0}
	g := textState{ctm: ident, tm: ident, tlm: ident, th: 1}
	var stack []textState
	ops, runs := 0, 0
	show := func(raw string) {
		f := g.font
		if f == nil {
			return
		}
		runs++
		step := 1
		if f.twoByte {
			step = 2
		}
		for i := 0; i+step <= len(raw); i += step {
			code := int(raw[i])
			if step == 2 {
				code = code<<8 | int(raw[i+1])
			}
			s := f.decode(code, raw[i:i+step])
			w0 := f.width(code, s)
			trm := mat{g.tfs * g.th, 0, 0, g.tfs, 0, g.rise}.mul(g.tm).mul(g.ctm)
			size := math.Hypot(trm[2], trm[3])
			adv := w0/1000*g.tfs + g.tc
			if step == 1 && code == 32 {
				adv += g.tw
			}
			adv *= g.th
			if s != "" {
				if len(glyphs) >= maxGlyphs {
					panic(errBudget)
				}
				glyphs = append(glyphs, pdfGlyph{x: trm[4], y: trm[5], w: w0 / 1000 * trm[0], size: size, s: s, font: f.name, run: runs})
			}
			g.tm = mat{1, 0, 0, 1, adv, 0}.mul(g.tm)
		}
	}
	// run interprets one content stream with its resources; a Form
	// XObject (a page template some generators draw the table in) runs
	// nested, up to maxFormDepth, on the same budgets
	var run func(strm, res pdf.Value, depth int)
	run = func(strm, res pdf.Value, depth int) {
		fontRes := res.Key("Font")
		fonts := map[string]*pdfFont{}
		var argBuf []pdf.Value // reused: most operators take a few operands
		pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
			ops++
			if ops > maxOps {
				panic(errBudget)
			}
			n := stk.Len()
			if cap(argBuf) < n {
				argBuf = make([]pdf.Value, n)
			}
			args := argBuf[:n]
			for i := n - 1; i >= 0; i-- {
				args[i] = stk.Pop()
			}
			num := func(i int) float64 {
				if i < len(args) {
					return args[i].Float64()
				}
				return 0
			}
			switch op {
			case "q":
				if len(stack) < 64 {
					stack = append(stack, g)
				}
			case "Q":
				if len(stack) > 0 {
					g = stack[len(stack)-1]
					stack = stack[:len(stack)-1]
				}
			case "cm":
				if len(args) == 6 {
					g.ctm = mat{num(0), num(1), num(2), num(3), num(4), num(5)}.mul(g.ctm)
				}
			case "BT":
				g.tm, g.tlm = ident, ident
			case "Tf":
				if len(args) == 2 {
					name := args[0].Name()
					f, ok := fonts[name]
					if !ok {
						f = loadFont(fontRes.Key(name))
						fonts[name] = f
					}
					g.font, g.tfs = f, num(1)
				}
			case "Tc":
				g.tc = num(0)
			case "Tw":
				g.tw = num(0)
			case "Tz":
				g.th = num(0) / 100
			case "TL":
				g.tl = num(0)
			case "Ts":
				g.rise = num(0)
			case "TD":
				g.tl = -num(1)
				fallthrough
			case "Td":
				g.tlm = mat{1, 0, 0, 1, num(0), num(1)}.mul(g.tlm)
				g.tm = g.tlm
			case "Tm":
				if len(args) == 6 {
					g.tlm = mat{num(0), num(1), num(2), num(3), num(4), num(5)}
					g.tm = g.tlm
				}
			case "T*":
				g.tlm = mat{1, 0, 0, 1, 0, -g.tl}.mul(g.tlm)
				g.tm = g.tlm
			case "\"":
				if len(args) == 3 {
					g.tw, g.tc = num(0), num(1)
					args = args[2:]
				}
				fallthrough
			case "'":
				g.tlm = mat{1, 0, 0, 1, 0, -g.tl}.mul(g.tlm)
				g.tm = g.tlm
				fallthrough
			case "Tj":
				if len(args) == 1 {
					show(args[0].RawString())
				}
			case "Do":
				if len(args) != 1 || depth >= maxFormDepth {
					break
				}
				xo := res.Key("XObject").Key(args[0].Name())
				if xo.Key("Subtype").Name() != "Form" {
					break
				}
				saved := g
				if m := xo.Key("Matrix"); m.Len() == 6 {
					g.ctm = mat{m.Index(0).Float64(), m.Index(1).Float64(), m.Index(2).Float64(), m.Index(3).Float64(), m.Index(4).Float64(), m.Index(5).Float64()}.mul(g.ctm)
				}
				fres := xo.Key("Resources")
				if fres.Kind() == pdf.Null {
					fres = res
				}
				run(xo, fres, depth+1)
				g = saved
			case "TJ":
				if len(args) == 1 {
					a := args[0]
					for i := 0; i < a.Len(); i++ {
						x := a.Index(i)
						if x.Kind() == pdf.String {
							show(x.RawString())
						} else {
							tx := -x.Float64() / 1000 * g.tfs * g.th
							g.tm = mat{1, 0, 0, 1, tx, 0}.mul(g.tm)
						}
					}
				}
			}
		})
	}
	run(contents, inheritedKey(page, "Resources"), 0)
	return glyphs, nil
}

// maxFormDepth bounds Form XObjects drawn inside Form XObjects.
const maxFormDepth = 4

// inheritedKey reads a page attribute that may sit on an ancestor.
func inheritedKey(page pdf.Value, key string) pdf.Value {
	for i := 0; i < 32 && page.Kind() == pdf.Dict; i++ {
		if v := page.Key(key); v.Kind() != pdf.Null {
			return v
		}
		page = page.Key("Parent")
	}
	return pdf.Value{}
}

// pageLines groups glyphs into words and words into lines, top down.
func pageLines(glyphs []pdfGlyph) []pdfLine {
	if len(glyphs) == 0 {
		return nil
	}
	// slices' sorts, not sort.SliceStable's reflection: a 3,000-row
	// statement sorts about 200,000 glyphs
	slices.SortStableFunc(glyphs, func(a, b pdfGlyph) int { return cmp.Compare(b.y, a.y) })
	var lines []pdfLine
	var cur []pdfGlyph
	var text []byte // the word being joined, made a string once it ends
	flush := func() {
		if len(cur) == 0 {
			return
		}
		slices.SortStableFunc(cur, func(a, b pdfGlyph) int { return cmp.Compare(a.x, b.x) })
		l := pdfLine{y: cur[0].y}
		w := -1 // the word being joined, in l.words
		end := func() {
			if w >= 0 {
				l.words[w].text = string(text)
			}
			w, text = -1, text[:0]
		}
		var prev *pdfGlyph
		for i := range cur {
			gl := &cur[i]
			if gl.size > l.size {
				l.size = gl.size
			}
			if strings.TrimSpace(gl.s) == "" {
				end()
				prev = nil
				continue
			}
			// glyphs of one show-text run join when closer than a fifth of an
			// em; glyphs of different runs only when they touch (generators
			// that place each glyph alone), so a cell set flush against the
			// next column's text stays apart from it
			join := false
			if w >= 0 && prev != nil {
				gap, tol := gl.x-(prev.x+prev.w), 0.2*math.Max(gl.size, 1)
				if prev.run != gl.run {
					tol = 0.02 * math.Max(gl.size, 1)
				}
				join = gap < tol && gl.x >= prev.x-0.5
			}
			if join {
				wd := &l.words[w]
				text = append(text, gl.s...)
				if gl.x+gl.w > wd.x1 {
					wd.x1 = gl.x + gl.w
				}
				if wd.fonts[len(wd.fonts)-1] != gl.font && !containsStr(wd.fonts, gl.font) {
					wd.fonts = append(wd.fonts, gl.font)
				}
			} else {
				end()
				l.words = append(l.words, pdfWord{x0: gl.x, x1: gl.x + gl.w, y: gl.y, size: gl.size, fonts: []string{gl.font}})
				w, text = len(l.words)-1, append(text, gl.s...)
			}
			prev = gl
		}
		end()
		if len(l.words) > 0 {
			l.num = len(lines) + 1
			lines = append(lines, l)
		}
		cur = cur[:0]
	}
	base := glyphs[0].y
	for _, g := range glyphs {
		tol := math.Max(1.5, 0.3*g.size)
		if math.Abs(g.y-base) > tol {
			flush()
			base = g.y
		}
		cur = append(cur, g)
	}
	flush()
	return lines
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// maxCMapBytes bounds a ToUnicode CMap: a full Unicode font's map is
// ~1 MB of text.
const maxCMapBytes = 4 << 20

// toUnicode is a parsed ToUnicode CMap. The library's own CMap reader
// applies bfrange offsets to the last byte only, so fpdf's one-range map
// <0000> <FFFF> <0000> turns ₦ (U+20A6) into ¦ (U+00A6); this one adds
// the offset to the whole code.
type toUnicode struct {
	chars  map[int]string
	ranges []cmapRange
}

type cmapRange struct {
	lo, hi int
	dst    []rune // a start string (offset added to its last rune)
	list   []string
}

func (m *toUnicode) Decode(raw string) string {
	code := 0
	for i := 0; i < len(raw); i++ {
		code = code<<8 | int(raw[i])
	}
	if s, ok := m.chars[code]; ok {
		return s
	}
	for _, r := range m.ranges {
		if code < r.lo || code > r.hi {
			continue
		}
		if r.list != nil {
			if k := code - r.lo; k < len(r.list) {
				return r.list[k]
			}
			return ""
		}
		if len(r.dst) == 0 {
			return ""
		}
		out := append([]rune(nil), r.dst...)
		out[len(out)-1] += rune(code - r.lo)
		return string(out)
	}
	return ""
}

// readToUnicode parses the bfchar and bfrange sections of a CMap stream.
func readToUnicode(v pdf.Value) *toUnicode {
	rc := v.Reader()
	defer rc.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for b.Len() < maxCMapBytes {
		n, err := rc.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	s := b.String()
	m := &toUnicode{chars: map[int]string{}}
	for _, sec := range sections(s, "beginbfchar", "endbfchar") {
		toks := cmapTokens(sec)
		for i := 0; i+1 < len(toks); i += 2 {
			if toks[i].hex != nil && toks[i+1].hex != nil {
				m.chars[codeOf(toks[i].hex)] = utf16String(toks[i+1].hex)
			}
		}
	}
	for _, sec := range sections(s, "beginbfrange", "endbfrange") {
		toks := cmapTokens(sec)
		for i := 0; i+2 < len(toks); i += 3 {
			lo, hi, dst := toks[i], toks[i+1], toks[i+2]
			if lo.hex == nil || hi.hex == nil {
				continue
			}
			r := cmapRange{lo: codeOf(lo.hex), hi: codeOf(hi.hex)}
			if dst.hex != nil {
				r.dst = []rune(utf16String(dst.hex))
			} else {
				for _, x := range dst.list {
					r.list = append(r.list, utf16String(x))
				}
				if r.list == nil {
					r.list = []string{}
				}
			}
			m.ranges = append(m.ranges, r)
		}
	}
	return m
}

func sections(s, begin, end string) []string {
	var out []string
	for {
		i := strings.Index(s, begin)
		if i < 0 {
			return out
		}
		s = s[i+len(begin):]
		j := strings.Index(s, end)
		if j < 0 {
			return append(out, s)
		}
		out = append(out, s[:j])
		s = s[j+len(end):]
	}
}

type cmapTok struct {
	hex  []byte   // a <hex> string
	list [][]byte // an array of <hex> strings
}

func cmapTokens(s string) []cmapTok {
	var out []cmapTok
	var arr *cmapTok
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return out
			}
			h := unhexString(s[i+1 : i+j])
			if arr != nil {
				arr.list = append(arr.list, h)
			} else {
				out = append(out, cmapTok{hex: h})
			}
			i += j
		case '[':
			arr = &cmapTok{}
		case ']':
			if arr != nil {
				out = append(out, *arr)
				arr = nil
			}
		}
	}
	return out
}

func unhexString(s string) []byte {
	var out []byte
	var hi = -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'a' && c <= 'f':
			v = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = int(c-'A') + 10
		default:
			continue
		}
		if hi < 0 {
			hi = v
		} else {
			out = append(out, byte(hi<<4|v))
			hi = -1
		}
	}
	if hi >= 0 {
		out = append(out, byte(hi<<4))
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

func codeOf(b []byte) int {
	c := 0
	for i := 0; i < len(b) && i < 4; i++ {
		c = c<<8 | int(b[i])
	}
	return c
}

func utf16String(b []byte) string {
	var rs []rune
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(b[i])<<8 | rune(b[i+1])
		if u >= 0xD800 && u < 0xDC00 && i+3 < len(b) {
			u2 := rune(b[i+2])<<8 | rune(b[i+3])
			rs = append(rs, (u-0xD800)<<10+(u2-0xDC00)+0x10000)
			i += 2
			continue
		}
		rs = append(rs, u)
	}
	return string(rs)
}
