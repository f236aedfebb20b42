package statementimport

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// The table reader. It works on lines of positioned words (pdftext.go):
//
//  1. find the header line: the line whose words match a layout's column
//     synonyms with at least a date, a balance and an amount column;
//  2. turn the header words' x-ranges into column bands (each band runs to
//     the midpoint between neighbouring headers, so right-aligned amounts
//     and left-aligned text both land in their own column);
//  3. read every later line: a line whose date cell parses starts a row,
//     a line with text only in text columns continues the row above
//     (wrapped narrations), "Balance B/F"/"C/F" and "Total" lines give the
//     opening/closing balance and printed totals, a repeat of the header is
//     skipped, anything else (page headers, footers, disclaimers) is
//     page text, which is searched for the account details.

// hdrCol is a header cell and its column band.
type hdrCol struct {
	kind   pdfColKind
	x0, x1 float64 // the header words
	lo, hi float64 // the band
}

type headerMatch struct {
	layout    *pdfLayout
	cols      []hdrCol
	unmatched int
}

func (h headerMatch) score() int { return 2*len(h.cols) - h.unmatched }

type htok struct {
	s      string
	x0, x1 float64
}

// headerTokens normalises header words: lower case, punctuation and
// currency marks dropped ("Debit(₦)" → "debit", "Date/Time" → "date time").
func headerTokens(words []pdfWord) []htok {
	var out []htok
	for _, w := range words {
		s := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return ' '
		}, w.text)
		for _, f := range strings.Fields(s) {
			if f == "ngn" || f == "n" {
				continue
			}
			out = append(out, htok{f, w.x0, w.x1})
		}
	}
	return out
}

// matchPDFHeader matches a line's tokens against one layout, longest synonym
// first at each position; each column kind is used once.
func matchPDFHeader(l *pdfLayout, toks []htok) headerMatch {
	m := headerMatch{layout: l}
	var used [nPDFCols]bool // an array, not a map: this runs on every line
	for i := 0; i < len(toks); {
		bestN, bestK := 0, pdfColKind(0)
		for ci, c := range l.Columns {
			if used[c.Kind] && c.Kind != pdfColOther && c.Kind != pdfColNarration {
				continue
			}
			for _, parts := range l.synToks[ci] {
				if len(parts) <= bestN || i+len(parts) > len(toks) {
					continue
				}
				ok := true
				for j, p := range parts {
					if toks[i+j].s != p {
						ok = false
						break
					}
				}
				if ok {
					bestN, bestK = len(parts), c.Kind
				}
			}
		}
		if bestN == 0 {
			m.unmatched++
			i++
			continue
		}
		used[bestK] = true
		m.cols = append(m.cols, hdrCol{kind: bestK, x0: toks[i].x0, x1: toks[i+bestN-1].x1})
		i += bestN
	}
	return m
}

func (h headerMatch) qualifies() bool {
	var date, bal, money bool
	for _, c := range h.cols {
		switch c.kind {
		case pdfColDate:
			date = true
		case pdfColBalance:
			bal = true
		case pdfColDebit, pdfColCredit, pdfColAmount:
			money = true
		}
	}
	return date && bal && money && h.unmatched <= len(h.cols)
}

// bands sorts the columns by x and gives each its band.
func bands(cols []hdrCol) []hdrCol {
	cols = append([]hdrCol(nil), cols...)
	sort.Slice(cols, func(i, j int) bool { return cols[i].x0 < cols[j].x0 })
	for i := range cols {
		cols[i].lo, cols[i].hi = -1e9, 1e9
		if i > 0 {
			cols[i].lo = (cols[i-1].x1 + cols[i].x0) / 2
		}
		if i < len(cols)-1 {
			cols[i].hi = (cols[i].x1 + cols[i+1].x0) / 2
		}
	}
	return cols
}

// cells splits a line's words where the gap is wider than a word space
// (about a quarter em in the fonts statements use); two cells set 1 mm
// from their cell borders are 2 mm (5.7 pt) apart.
func cells(l pdfLine) [][]pdfWord {
	var out [][]pdfWord
	gap := 0.5 * l.size
	if gap < 2.5 {
		gap = 2.5
	}
	for i, w := range l.words {
		if i == 0 || w.x0-l.words[i-1].x1 > gap {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], w)
	}
	return out
}

func overlap(a0, a1, b0, b1 float64) float64 {
	lo, hi := a0, a1
	if b0 > lo {
		lo = b0
	}
	if b1 < hi {
		hi = b1
	}
	if hi < lo {
		return 0
	}
	return hi - lo
}

func bestCol(cols []hdrCol, x0, x1 float64) (int, float64) {
	best, bestOv := 0, -1.0
	for i, c := range cols {
		if ov := overlap(x0, x1, c.lo, c.hi); ov > bestOv {
			best, bestOv = i, ov
		}
	}
	return best, bestOv
}

// placed is one line's words sorted into columns.
type placed struct {
	words [][]pdfWord // per column
	split bool        // a cell had to be broken up to fit the columns
}

func (p placed) text(i int) string {
	parts := make([]string, len(p.words[i]))
	for j, w := range p.words[i] {
		parts[j] = w.text
	}
	return strings.Join(parts, " ")
}

func place(l pdfLine, cols []hdrCol) placed {
	p := placed{words: make([][]pdfWord, len(cols))}
	for _, cell := range cells(l) {
		x0, x1 := cell[0].x0, cell[len(cell)-1].x1
		i, ov := bestCol(cols, x0, x1)
		if width := x1 - x0; width <= 0 || ov >= 0.6*width {
			p.words[i] = append(p.words[i], cell...)
			continue
		}
		p.split = true
		for _, w := range cell {
			j, _ := bestCol(cols, w.x0, w.x1)
			p.words[j] = append(p.words[j], w)
		}
	}
	return p
}

// pdfTableReader accumulates the rows of every page.
type pdfTableReader struct {
	layout   *pdfLayout
	dates    dateParser
	st       *Statement
	maxRows  int
	fonts    map[string]bool
	meta     []pdfLine // page text outside the table
	metaPage []int
	lastBal  *int64
	rowOpen  bool     // the last row may still take continuation lines
	cont     []string // the open row's per-column text
	contCols []hdrCol
	lastY    float64
	lastSize float64
	// the last "C/F", "Closing balance" or totals balance in the table,
	// and how many rows preceded it
	carried   *int64
	carriedAt int
}

// closing is the balance the table closes with: a closing or carried
// balance printed after the last row.
func (t *pdfTableReader) closing() *int64 {
	if t.carried != nil && t.carriedAt == len(t.st.Rows) {
		return t.carried
	}
	return nil
}

func (t *pdfTableReader) parseDate(s string) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	for _, f := range t.layout.DateFormats {
		if d, ok := tryLayout(f, s); ok {
			return d, true
		}
	}
	return t.dates.parse(s)
}

// rowDate reads a date cell: the whole cell, else its first words (a
// date followed by a time or a stray word).
func (t *pdfTableReader) rowDate(s string) (time.Time, bool) {
	if d, ok := t.parseDate(s); ok {
		return d, true
	}
	f := strings.Fields(s)
	for n := min(len(f)-1, 4); n >= 1; n-- {
		if d, ok := t.parseDate(strings.Join(f[:n], " ")); ok {
			return d, true
		}
	}
	return time.Time{}, false
}

var (
	reOpening = regexp.MustCompile(`(?i)\b(opening\s+bal(ance)?|bal(ance)?\s+b/?f|b/f|brought\s+forward)\b`)
	reClosing = regexp.MustCompile(`(?i)\b(closing\s+bal(ance)?|bal(ance)?\s+c/?f|c/f|carried\s+forward)\b`)
	reTotal   = regexp.MustCompile(`(?i)^\s*(grand\s+)?totals?\b`)
)

func (t *pdfTableReader) addMeta(l pdfLine, page int) {
	t.meta = append(t.meta, l)
	t.metaPage = append(t.metaPage, page)
}

// page reads one page's lines with the given columns. header is the
// header line's index, or -1 when the page repeats no header.
func (t *pdfTableReader) page(lines []pdfLine, page, header int, cols []hdrCol) error {
	t.rowOpen = false
	for i, l := range lines {
		if i <= header {
			if i < header {
				t.addMeta(l, page)
			}
			t.lastY, t.lastSize = l.y, l.size
			continue
		}
		p := place(l, cols)
		get := func(k pdfColKind) (string, int) {
			var parts []string
			n := 0
			for ci, c := range cols {
				if c.kind == k && len(p.words[ci]) > 0 {
					parts = append(parts, p.text(ci))
					n += len(p.words[ci])
				}
			}
			return strings.Join(parts, " "), n
		}
		money := func(k pdfColKind) (int64, bool, bool) { // value, present, bad
			s, _ := get(k)
			s = strings.TrimSpace(s)
			if s == "" || s == "-" || s == "--" {
				return 0, false, false
			}
			v, ok := parseAmount(s)
			return v, ok, !ok
		}
		deb, hasDeb, badDeb := money(pdfColDebit)
		cre, hasCre, badCre := money(pdfColCredit)
		amt, hasAmt, badAmt := money(pdfColAmount)
		bal, hasBal, badBal := money(pdfColBalance)
		anyBad := badDeb || badCre || badAmt || badBal
		narr, _ := get(pdfColNarration)
		dateText, _ := get(pdfColDate)
		all := l.text()

		// a repeated header; a line whose amount cells all read as
		// amounts is a row, not a header (whose cells are words), and is
		// not tokenised again: this ran on every row
		amounts := (hasDeb || hasCre || hasAmt || hasBal) && !anyBad
		if !amounts {
			if m := matchPDFHeader(t.layout, headerTokens(l.words)); m.qualifies() {
				t.rowOpen = false
				continue
			}
		}
		noMovement := (!hasDeb || deb == 0) && (!hasCre || cre == 0) && (!hasAmt || amt == 0)
		label := narr
		if label == "" {
			label = all
		}
		switch {
		case !anyBad && noMovement && reOpening.MatchString(label):
			v, ok := bal, hasBal
			if !ok {
				v, ok = lastAmount(all)
			}
			if ok && t.st.Opening == nil && len(t.st.Rows) == 0 {
				t.st.Opening = ptr(v)
			}
			if ok && t.lastBal == nil {
				t.lastBal = ptr(v)
			}
			t.rowOpen = false
			continue
		case !anyBad && noMovement && reClosing.MatchString(label):
			// a "C/F" at a page foot is carried to the next page; only one
			// with no rows after it is the closing balance (see closing)
			if v, ok := bal, hasBal; ok {
				t.carried, t.carriedAt = ptr(v), len(t.st.Rows)
			} else if v, ok := lastAmount(all); ok {
				t.carried, t.carriedAt = ptr(v), len(t.st.Rows)
			}
			t.rowOpen = false
			continue
		case !anyBad && reTotal.MatchString(all) && (hasDeb || hasCre):
			if hasDeb {
				t.st.Printed.Debits = ptr(abs64(deb))
			}
			if hasCre {
				t.st.Printed.Credits = ptr(abs64(cre))
			}
			if hasBal {
				t.carried, t.carriedAt = ptr(bal), len(t.st.Rows)
			}
			t.rowOpen = false
			continue
		}

		if d, ok := t.rowDate(dateText); ok && !anyBad && (hasDeb || hasCre || hasAmt || hasBal) {
			if err := t.startRow(l, p, cols, page, d, deb, hasDeb, cre, hasCre, amt, hasAmt, bal, hasBal); err != nil {
				return err
			}
			continue
		}
		// a continuation line: text in text columns only, close below the row
		if t.rowOpen && !p.split && !hasDeb && !hasCre && !hasAmt && !hasBal && !anyBad &&
			t.lastY-l.y <= 2.6*maxf(t.lastSize, l.size) {
			for ci, c := range cols {
				if len(p.words[ci]) == 0 {
					continue
				}
				if !c.kind.isText() && c.kind != pdfColDate && c.kind != pdfColValueDate {
					t.rowOpen = false
				}
			}
			if t.rowOpen {
				for ci := range cols {
					if s := p.text(ci); s != "" {
						t.cont[ci] = strings.TrimSpace(t.cont[ci] + " " + s)
					}
				}
				t.finishRow()
				t.lastY, t.lastSize = l.y, l.size
				continue
			}
		}
		t.rowOpen = false
		t.addMeta(l, page)
	}
	return nil
}

func (t *pdfTableReader) startRow(l pdfLine, p placed, cols []hdrCol, page int, d time.Time,
	deb int64, hasDeb bool, cre int64, hasCre bool, amt int64, hasAmt bool, bal int64, hasBal bool) error {
	if len(t.st.Rows) >= t.maxRows {
		return fmt.Errorf("%w: more than %d statement rows", ErrTooLarge, t.maxRows)
	}
	r := Row{Date: d, Page: page, Line: l.num}
	if hasDeb {
		r.Debit = abs64(deb)
	}
	if hasCre {
		r.Credit = abs64(cre)
	}
	if hasBal {
		r.Balance = ptr(bal)
	}
	if hasAmt && amt != 0 {
		a := abs64(amt)
		switch {
		case hasBal && t.lastBal != nil && bal-*t.lastBal == -a:
			r.Debit = a
		case hasBal && t.lastBal != nil && bal-*t.lastBal == a:
			r.Credit = a
		case amt < 0:
			r.Debit = a
		default:
			r.Credit = a
		}
	}
	if hasBal {
		t.lastBal = ptr(bal)
	}
	for ci, c := range cols {
		if c.kind.isMoney() {
			for _, w := range p.words[ci] {
				for _, f := range w.fonts {
					t.fonts[f] = true
				}
			}
		}
	}
	t.st.Rows = append(t.st.Rows, r)
	t.cont = make([]string, len(cols))
	t.contCols = cols
	for ci := range cols {
		t.cont[ci] = p.text(ci)
	}
	t.rowOpen = true
	t.lastY, t.lastSize = l.y, l.size
	t.finishRow()
	return nil
}

// finishRow (re)derives the open row's text fields from its cells, so a
// continuation line extends them.
func (t *pdfTableReader) finishRow() {
	r := &t.st.Rows[len(t.st.Rows)-1]
	var narr, ref []string
	for ci, c := range t.contCols {
		s := t.cont[ci]
		if s == "" {
			continue
		}
		switch c.kind {
		case pdfColNarration:
			narr = append(narr, s)
		case pdfColReference:
			ref = append(ref, s)
		case pdfColDate:
			if d, ok := t.rowDate(s); ok {
				r.Date = d
			}
		case pdfColValueDate:
			if d, ok := t.rowDate(s); ok {
				r.ValueDate = d
			}
		}
	}
	r.Narration = strings.Join(narr, " ")
	r.Reference = strings.Join(ref, " ")
}

// lastAmount is the last word of s that reads as an amount.
func lastAmount(s string) (int64, bool) {
	f := strings.Fields(s)
	for i := len(f) - 1; i >= 0; i-- {
		if strings.ContainsAny(f[i], "0123456789") {
			if v, ok := parseAmount(f[i]); ok {
				return v, true
			}
			if i > 0 {
				if v, ok := parseAmount(f[i-1] + " " + f[i]); ok {
					return v, true
				}
			}
		}
	}
	return 0, false
}

func ptr(v int64) *int64 { return &v }

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// The page text: key-value pairs ("Account Number: 0123456789", or a label
// cell followed by its value cell) and the statement period.

type metaField int

const (
	fName metaField = iota + 1
	fNumber
	fOpening
	fClosing
	fDebits
	fCredits
	fCurrency
	fBank
	fPeriod
	fStart
	fEnd
)

// pdfMetaLabels are the labels statements print, normalised (lower case,
// ".:()" dropped), longest first when matched as a prefix.
func pdfMetaLabels() map[string]metaField {
	return map[string]metaField{
		"account name": fName, "account holder": fName, "customer name": fName, "name": fName, "account title": fName,
		"account number": fNumber, "account no": fNumber, "acct no": fNumber, "a/c no": fNumber, "nuban": fNumber, "account": fNumber, "acc no": fNumber,
		"opening balance": fOpening, "balance b/f": fOpening, "opening bal": fOpening,
		"closing balance": fClosing, "balance c/f": fClosing, "closing bal": fClosing,
		"total debits": fDebits, "total debit": fDebits, "total withdrawals": fDebits, "money out": fDebits, "total money out": fDebits, "debits": fDebits, "total outflow": fDebits,
		"total credits": fCredits, "total credit": fCredits, "total lodgements": fCredits, "total deposits": fCredits, "money in": fCredits, "total money in": fCredits, "credits": fCredits, "total inflow": fCredits,
		"currency": fCurrency,
		"bank":     fBank, "bank name": fBank,
		"period": fPeriod, "statement period": fPeriod, "date range": fPeriod,
		"start date": fStart, "from": fStart, "period from": fStart, "from date": fStart,
		"end date": fEnd, "to": fEnd, "period to": fEnd, "to date": fEnd,
	}
}

func normLabel(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '.', ':', '(', ')':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

var (
	reNUBAN    = regexp.MustCompile(`\b\d{10}\b`)
	reAcctNear = regexp.MustCompile(`(?i)(account|acct|a/c)[^0-9]{0,30}(\d{10})\b`)
	reBankCode = regexp.MustCompile(`^(.*?)\s*\((\d{3,6})\)$`)
	reCurrency = regexp.MustCompile(`\b[A-Z]{3}\b`)
)

// readMeta fills the statement's header fields from page text. The first
// value found wins: page 1 is read first.
func (t *pdfTableReader) readMeta() {
	labels := pdfMetaLabels()
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	st := t.st
	var bank string
	set := func(f metaField, v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		switch f {
		case fName:
			if st.AccountName == "" && !strings.ContainsAny(v, "0123456789") {
				st.AccountName = v
			}
		case fNumber:
			if st.AccountNumber == "" {
				if m := reNUBAN.FindString(v); m != "" {
					st.AccountNumber = m
				}
			}
		case fOpening:
			if st.Opening == nil {
				if a, ok := firstAmount(v); ok {
					st.Opening = ptr(a)
				}
			}
		case fClosing:
			if st.Closing == nil {
				if a, ok := firstAmount(v); ok {
					st.Closing = ptr(a)
				}
			}
		case fDebits:
			if st.Printed.Debits == nil {
				if a, ok := firstAmount(v); ok {
					st.Printed.Debits = ptr(abs64(a))
				}
			}
		case fCredits:
			if st.Printed.Credits == nil {
				if a, ok := firstAmount(v); ok {
					st.Printed.Credits = ptr(abs64(a))
				}
			}
		case fCurrency:
			if st.Currency == "" {
				if m := reCurrency.FindString(strings.ToUpper(v)); m != "" {
					st.Currency = m
				}
			}
		case fBank:
			if bank == "" {
				bank = v
			}
		case fPeriod:
			if st.PeriodStart.IsZero() {
				if a, b, ok := t.twoDates(v); ok {
					st.PeriodStart, st.PeriodEnd = a, b
				}
			}
		case fStart:
			if st.PeriodStart.IsZero() {
				if d, ok := t.rowDate(v); ok {
					st.PeriodStart = d
				}
			}
		case fEnd:
			if st.PeriodEnd.IsZero() {
				if d, ok := t.rowDate(v); ok {
					st.PeriodEnd = d
				}
			}
		}
	}
	for _, l := range t.meta {
		cs := cells(l)
		texts := make([]string, len(cs))
		for i, c := range cs {
			parts := make([]string, len(c))
			for j, w := range c {
				parts[j] = w.text
			}
			texts[i] = strings.Join(parts, " ")
		}
		for i := 0; i < len(texts); i++ {
			tx := texts[i]
			if k := strings.IndexByte(tx, ':'); k > 0 {
				if f, ok := labels[normLabel(tx[:k])]; ok {
					v := strings.TrimSpace(tx[k+1:])
					if v == "" && i+1 < len(texts) {
						v = texts[i+1]
						i++
					}
					set(f, v)
					continue
				}
			}
			if f, ok := labels[normLabel(tx)]; ok && i+1 < len(texts) {
				set(f, texts[i+1])
				i++
				continue
			}
			n := normLabel(tx)
			for _, k := range keys {
				if strings.HasPrefix(n, k+" ") && len(k) > 3 {
					set(labels[k], strings.TrimSpace(tx[len(tx)-len(strings.TrimSpace(n[len(k):])):]))
					break
				}
			}
		}
		whole := l.text()
		if st.AccountNumber == "" {
			if m := reAcctNear.FindStringSubmatch(whole); m != nil {
				st.AccountNumber = m[2]
			}
		}
		if st.PeriodStart.IsZero() && strings.Contains(strings.ToLower(whole), "period") {
			if a, b, ok := t.twoDates(whole); ok {
				st.PeriodStart, st.PeriodEnd = a, b
			}
		}
	}
	if st.BankName == "" && bank != "" {
		if m := reBankCode.FindStringSubmatch(bank); m != nil {
			st.BankName = m[1]
			if st.BankCode == "" {
				st.BankCode = m[2]
			}
		} else {
			st.BankName = bank
		}
	}
}

func firstAmount(s string) (int64, bool) {
	if v, ok := parseAmount(s); ok {
		return v, true
	}
	f := strings.Fields(s)
	for n := len(f); n >= 1; n-- {
		if v, ok := parseAmount(strings.Join(f[:n], " ")); ok {
			return v, true
		}
	}
	return 0, false
}

// twoDates finds "<date> to <date>" (or –, —, " - ", through) in s.
func (t *pdfTableReader) twoDates(s string) (time.Time, time.Time, bool) {
	for _, sep := range []string{" to ", " – ", "–", " — ", "—", " - ", " through ", " TO "} {
		k := strings.Index(s, sep)
		if k < 0 {
			continue
		}
		left, right := strings.Fields(s[:k]), strings.Fields(s[k+len(sep):])
		var a, b time.Time
		var okA, okB bool
		for n := 4; n >= 1 && !okA; n-- {
			if n <= len(left) {
				a, okA = t.parseDate(strings.TrimRight(strings.Join(left[len(left)-n:], " "), ","))
			}
		}
		for n := 4; n >= 1 && !okB; n-- {
			if n <= len(right) {
				b, okB = t.parseDate(strings.TrimRight(strings.Join(right[:n], " "), ",."))
			}
		}
		if okA && okB {
			return a, b, true
		}
	}
	return time.Time{}, time.Time{}, false
}
