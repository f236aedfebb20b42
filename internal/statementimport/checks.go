package statementimport

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strings"
	"time"
)

// Check is one authenticity check and what it found.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Verdicts.
const (
	Consistent   = "consistent"   // every check that could run passed, and the balances reconcile
	Suspicious   = "suspicious"   // a check failed
	Unverifiable = "unverifiable" // nothing failed, but the statement prints no balances to reconcile
)

// editors are PDF producers that edit documents; banks' statement
// engines are report generators (JasperReports, iText, Crystal, wkhtmltopdf, ...).
var editors = []string{"ilovepdf", "smallpdf", "pdfescape", "sejda", "phantompdf", "acrobat pro", "adobe acrobat", "pdf-xchange",
	"nitro", "microsoft word", "microsoft® word", "libreoffice", "openoffice", "canva", "pdfelement", "foxit pdf editor", "inkscape",
	"pdf candy", "soda pdf", "pdffiller", "docfly", "photoshop", "wps"}

// Verify runs the authenticity checks on a parsed statement: the running
// balance row by row, opening + credits − debits = closing, dates in order
// and inside the stated period, printed totals against the rows, repeated
// rows, the PDF's own metadata, and the bank named against the bank code.
// Any failed check makes the statement suspicious; reasons say why, with
// the row a continuity check broke at.
func Verify(st *Statement) (checks []Check, verdict string, reasons []string) {
	c := NewChecker()
	for i := range st.Rows {
		c.Add(&st.Rows[i])
	}
	return c.Verify(st)
}

// Checker runs Verify's checks on rows handed to it one at a time (see
// Reader.Stream), keeping only what the checks need of each: its dates,
// amounts, balance, line and a 128-bit hash of the fields that make a
// repeat. A row kept whole with its narration and reference took about
// 180 bytes; a check row takes 96.
//
// The rows are kept in fixed-size blocks: a slice grown by append to
// 300,000 rows allocates about five times its final size on the way,
// which is what a streamed read exists to avoid.
type Checker struct {
	blocks [][]checkRow
	n      int
	keyed  int
	seeds  [2]maphash.Seed
}

const checkBlock = 4096

// at is the i-th row added.
func (c *Checker) at(i int) *checkRow { return &c.blocks[i/checkBlock][i%checkBlock] }

type checkRow struct {
	Date, ValueDate time.Time
	Debit, Credit   int64
	Balance         int64
	HasBalance      bool
	Keyed           bool // has a balance or a reference: only such rows can repeat
	Line            int32
	Key             [2]uint64
}

// NewChecker returns a Checker.
func NewChecker() *Checker {
	return &Checker{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// Add takes the next row.
func (c *Checker) Add(r *Row) {
	cr := checkRow{Date: r.Date, ValueDate: r.ValueDate, Debit: r.Debit, Credit: r.Credit, HasBalance: r.Balance != nil,
		Keyed: r.Balance != nil || r.Reference != "", Line: int32(min(r.Line, 1<<31-1))}
	if r.Balance != nil {
		cr.Balance = *r.Balance
	}
	if cr.Keyed {
		// identical including a printed balance or reference: the date,
		// amounts, balance, narration and reference, hashed twice with
		// two seeds, so two different rows share a key with odds of
		// about 2⁻¹²⁸
		// (seconds and nanoseconds apart: UnixNano wraps outside 1678–2262)
		var b [8 * 5]byte
		binary.LittleEndian.PutUint64(b[0:], uint64(r.Date.Unix()))
		binary.LittleEndian.PutUint64(b[8:], uint64(r.Date.Nanosecond()))
		binary.LittleEndian.PutUint64(b[16:], uint64(r.Debit))
		binary.LittleEndian.PutUint64(b[24:], uint64(r.Credit))
		binary.LittleEndian.PutUint64(b[32:], uint64(cr.Balance))
		for i, seed := range c.seeds {
			var h maphash.Hash
			h.SetSeed(seed)
			h.Write(b[:])
			if r.Balance == nil {
				h.WriteByte(0)
			} else {
				h.WriteByte(1)
			}
			h.WriteString(r.Narration)
			h.WriteByte(0)
			h.WriteString(r.Reference)
			cr.Key[i] = h.Sum64()
		}
	}
	if c.n%checkBlock == 0 {
		c.blocks = append(c.blocks, make([]checkRow, checkBlock))
	}
	*c.at(c.n) = cr
	c.n++
	if cr.Keyed {
		c.keyed++
	}
}

// Reverse turns the rows added so far end to end: a newest-first export
// streams newest first, and the checks read oldest first.
func (c *Checker) Reverse() {
	for i, j := 0, c.n-1; i < j; i, j = i+1, j-1 {
		a, b := c.at(i), c.at(j)
		*a, *b = *b, *a
	}
}

// Verify runs the checks on the rows added and what st says of itself
// (st.Rows is not read).
func (c *Checker) Verify(st *Statement) (checks []Check, verdict string, reasons []string) {
	n := c.n
	add := func(name string, passed bool, detail string, args ...any) {
		checks = append(checks, Check{Name: name, Passed: passed, Detail: fmt.Sprintf(detail, args...)})
	}
	reconciled := false

	// running balance
	var prev *int64
	prevLine := "the opening balance"
	if st.Opening != nil {
		prev = st.Opening
	}
	withBal, broke := 0, false
	for i := range n {
		r := c.at(i)
		if !r.HasBalance {
			prev = nil // a gap: the next printed balance starts again
			continue
		}
		withBal++
		if prev != nil {
			want := *prev + r.Credit - r.Debit
			if want != r.Balance {
				add("running_balance", false, "%s: balance printed %s, but %s %s %s %s gives %s",
					r.name(), money(r.Balance), prevLine, money(*prev), r.sign(), money(r.Credit+r.Debit), money(want))
				broke = true
				break
			}
		}
		p := r.Balance
		prev, prevLine = &p, "the previous balance"
	}
	if !broke && withBal > 1 {
		add("running_balance", true, "%d rows: every balance follows from the one before", withBal)
		reconciled = true
	}
	if broke {
		reconciled = true // it ran; it failed
	}

	// opening + credits − debits = closing
	var credits, debits int64
	for i := range n {
		credits += c.at(i).Credit
		debits += c.at(i).Debit
	}
	opening, closing := st.Opening, st.Closing
	openingFrom, closingFrom := "printed", "printed"
	if n > 0 {
		if f := c.at(0); opening == nil && f.HasBalance {
			v := f.Balance - f.Credit + f.Debit
			opening, openingFrom = &v, "from the first row"
		}
		if l := c.at(n - 1); closing == nil && l.HasBalance {
			v := l.Balance
			closing, closingFrom = &v, "from the last row"
		}
	}
	if opening != nil && closing != nil && (st.Opening != nil || st.Closing != nil) {
		got := *opening + credits - debits
		// A bank that strikes its closing balance by value date leaves out
		// entries value-dated after the closing date (the camt sample in
		// shared/ does): the equation holds without them.
		late, lateNet := 0, int64(0)
		if !st.ClosingDate.IsZero() {
			for i := range n {
				if r := c.at(i); !r.ValueDate.IsZero() && r.ValueDate.After(st.ClosingDate) {
					late++
					lateNet += r.Credit - r.Debit
				}
			}
		}
		if got != *closing && late > 0 && got-lateNet == *closing {
			add("balance_equation", true, "opening %s + credits %s − debits %s = closing %s, leaving out %d entries value-dated after the closing date %s (%s)",
				money(*opening), money(credits), money(debits), money(*closing), late, day(st.ClosingDate), money(lateNet))
		} else if got == *closing {
			add("balance_equation", true, "opening %s (%s) + credits %s − debits %s = closing %s (%s)", money(*opening), openingFrom, money(credits), money(debits), money(*closing), closingFrom)
		} else {
			add("balance_equation", false, "opening %s (%s) + credits %s − debits %s = %s, but the closing balance is %s (%s): %s unaccounted for",
				money(*opening), openingFrom, money(credits), money(debits), money(got), money(*closing), closingFrom, money(*closing-got))
		}
		reconciled = true
	}

	// dates in order
	order := true
	for i := 1; i < n; i++ {
		if r, above := c.at(i), c.at(i-1); r.Date.Before(above.Date) {
			add("date_order", false, "%s is dated before the row above it (%s)", r.name(), day(above.Date))
			order = false
			break
		}
	}
	if order && n > 0 {
		add("date_order", true, "%d rows from %s to %s, in order", n, day(c.at(0).Date), day(c.at(n-1).Date))
	}

	// inside the stated period
	if !st.PeriodStart.IsZero() && !st.PeriodEnd.IsZero() {
		end := st.PeriodEnd
		if end.Equal(end.Truncate(24 * time.Hour)) {
			end = end.Add(24*time.Hour - time.Nanosecond) // a date means the whole day
		}
		start := st.PeriodStart.Truncate(24 * time.Hour)
		outside := 0
		var first *checkRow
		for i := range n {
			if d := c.at(i).Date; d.Before(start) || d.After(end) {
				outside++
				if first == nil {
					first = c.at(i)
				}
			}
		}
		if outside == 0 {
			add("within_period", true, "every row is inside the stated period %s to %s", day(st.PeriodStart), day(st.PeriodEnd))
		} else {
			add("within_period", false, "%d rows fall outside the stated period %s to %s, the first %s", outside, day(st.PeriodStart), day(st.PeriodEnd), first.name())
		}
	}

	// printed totals
	if st.Printed.Debits != nil || st.Printed.Credits != nil {
		var bad []string
		if st.Printed.Debits != nil && *st.Printed.Debits != debits {
			bad = append(bad, fmt.Sprintf("total debits printed %s, rows add up to %s", money(*st.Printed.Debits), money(debits)))
		}
		if st.Printed.Credits != nil && *st.Printed.Credits != credits {
			bad = append(bad, fmt.Sprintf("total credits printed %s, rows add up to %s", money(*st.Printed.Credits), money(credits)))
		}
		if len(bad) == 0 {
			add("printed_totals", true, "the printed totals equal the rows (debits %s, credits %s)", money(debits), money(credits))
		} else {
			add("printed_totals", false, "%s", strings.Join(bad, "; "))
		}
	}

	// repeated rows: identical including a printed balance or reference
	// (without either, two equal purchases on one day are ordinary), by
	// their 128-bit keys
	seen := make(map[[2]uint64]int32, c.keyed) // sized once: grown, it allocated twice its size
	dups := 0
	var dupDetail string
	for i := range n {
		r := c.at(i)
		if !r.Keyed {
			continue
		}
		if j, ok := seen[r.Key]; ok {
			dups++
			if dupDetail == "" {
				dupDetail = fmt.Sprintf("%s repeats line %d", r.name(), c.at(int(j)).Line)
			}
			continue
		}
		seen[r.Key] = int32(i)
	}
	if dups == 0 {
		add("duplicate_rows", true, "no row appears twice")
	} else {
		add("duplicate_rows", false, "%d repeated rows; %s", dups, dupDetail)
	}

	// the PDF's own record of how it was made
	if p := st.PDF; p != nil {
		prod := strings.ToLower(p.Producer + " " + p.Creator)
		editor := ""
		for _, e := range editors {
			if strings.Contains(prod, e) {
				editor = e
				break
			}
		}
		if editor != "" {
			add("pdf_producer", false, "made or saved by %q, a document editor, not a bank's statement engine", strings.TrimSpace(p.Producer+" "+p.Creator))
		} else {
			add("pdf_producer", true, "produced by %q", cmpStr(strings.TrimSpace(p.Producer+" "+p.Creator), "(not stated)"))
		}
		if !p.Created.IsZero() && !p.Modified.IsZero() && p.Modified.Sub(p.Created) > 2*time.Minute {
			add("pdf_dates", false, "modified %s, %s after it was created (%s)", p.Modified.UTC().Format(time.RFC3339), p.Modified.Sub(p.Created).Round(time.Second), p.Created.UTC().Format(time.RFC3339))
		} else {
			add("pdf_dates", true, "not modified after it was created")
		}
		if p.IncrementalUpdates > 0 {
			add("pdf_incremental_updates", false, "%d revisions were appended after the document was first saved", p.IncrementalUpdates)
		} else {
			add("pdf_incremental_updates", true, "a single revision: nothing appended after it was saved")
		}
		if len(p.AmountFonts) > 1 {
			add("pdf_amount_fonts", false, "the amount columns mix %d fonts (%s): typed-over figures look like this", len(p.AmountFonts), strings.Join(p.AmountFonts, ", "))
		} else if len(p.AmountFonts) == 1 {
			add("pdf_amount_fonts", true, "the amount columns use one font (%s)", p.AmountFonts[0])
		}
	}

	// the bank named against the bank code
	if st.BankName != "" || st.ChosenBankCode != "" {
		named, nameKnown := bankInText(st.BankName)
		chosen, chosenKnown := bankByCode(st.ChosenBankCode)
		layout, layoutKnown := bankByCode(st.BankCode)
		switch {
		case nameKnown && chosenKnown && named.Code != chosen.Code:
			add("bank_matches", false, "the statement names %s, but it was uploaded as %s (%s)", named.Name, chosen.Name, chosen.Code)
		case layoutKnown && chosenKnown && layout.Code != chosen.Code:
			add("bank_matches", false, "the file is laid out like %s's, but it was uploaded as %s (%s)", layout.Name, chosen.Name, chosen.Code)
		case nameKnown && layoutKnown && named.Code != layout.Code:
			add("bank_matches", false, "the statement names %s, but its layout or bank code is %s's (%s)", named.Name, layout.Name, layout.Code)
		case nameKnown || layoutKnown:
			b := named
			if !nameKnown {
				b = layout
			}
			add("bank_matches", true, "%s (%s)", b.Name, b.Code)
		}
	}

	for _, c := range checks {
		if !c.Passed {
			reasons = append(reasons, c.Name+": "+c.Detail)
		}
	}
	switch {
	case len(reasons) > 0:
		verdict = Suspicious
	case !reconciled:
		verdict = Unverifiable
		reasons = append(reasons, "the statement prints no running balance and no opening or closing balance, so its rows cannot be reconciled")
	default:
		verdict = Consistent
	}
	return checks, verdict, reasons
}

func (r *checkRow) name() string {
	if r.Line > 0 {
		return fmt.Sprintf("line %d (%s)", r.Line, day(r.Date))
	}
	return "the row of " + day(r.Date)
}

func day(t time.Time) string { return t.Format("2006-01-02") }

func (r *checkRow) sign() string {
	if r.Debit > 0 {
		return "−"
	}
	return "+"
}

// money prints minor units as 1,234.56 (negative with a minus).
func money(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	whole := fmt.Sprint(v / 100)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	s := fmt.Sprintf("%s.%02d", b.String(), v%100)
	if neg {
		return "-" + s
	}
	return s
}
