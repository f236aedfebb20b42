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
	for i := range st.Rows {
		r := &st.Rows[i]
		if r.Balance == nil {
			prev = nil // a gap: the next printed balance starts again
			continue
		}
		withBal++
		if prev != nil {
			want := *prev + r.Credit - r.Debit
			if want != *r.Balance {
				add("running_balance", false, "%s: balance printed %s, but %s %s %s %s gives %s",
					rowName(r), money(*r.Balance), prevLine, money(*prev), sign(r), money(r.Credit+r.Debit), money(want))
				broke = true
				break
			}
		}
		p := *r.Balance
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
	for _, r := range st.Rows {
		credits += r.Credit
		debits += r.Debit
	}
	opening, closing := st.Opening, st.Closing
	openingFrom, closingFrom := "printed", "printed"
	if n := len(st.Rows); n > 0 {
		if opening == nil && st.Rows[0].Balance != nil {
			v := *st.Rows[0].Balance - st.Rows[0].Credit + st.Rows[0].Debit
			opening, openingFrom = &v, "from the first row"
		}
		if closing == nil && st.Rows[n-1].Balance != nil {
			closing, closingFrom = st.Rows[n-1].Balance, "from the last row"
		}
	}
	if opening != nil && closing != nil && (st.Opening != nil || st.Closing != nil) {
		got := *opening + credits - debits
		// A bank that strikes its closing balance by value date leaves out
		// entries value-dated after the closing date (the camt sample in
		// shared/ does): the equation holds without them.
		late, lateNet := 0, int64(0)
		if !st.ClosingDate.IsZero() {
			for _, r := range st.Rows {
				if !r.ValueDate.IsZero() && r.ValueDate.After(st.ClosingDate) {
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
	for i := 1; i < len(st.Rows); i++ {
		if st.Rows[i].Date.Before(st.Rows[i-1].Date) {
			add("date_order", false, "%s is dated before the row above it (%s)", rowName(&st.Rows[i]), day(st.Rows[i-1].Date))
			order = false
			break
		}
	}
	if order && len(st.Rows) > 0 {
		add("date_order", true, "%d rows from %s to %s, in order", len(st.Rows), day(st.Rows[0].Date), day(st.Rows[len(st.Rows)-1].Date))
	}

	// inside the stated period
	if !st.PeriodStart.IsZero() && !st.PeriodEnd.IsZero() {
		end := st.PeriodEnd
		if end.Equal(end.Truncate(24 * time.Hour)) {
			end = end.Add(24*time.Hour - time.Nanosecond) // a date means the whole day
		}
		start := st.PeriodStart.Truncate(24 * time.Hour)
		outside := 0
		var first *Row
		for i := range st.Rows {
			if d := st.Rows[i].Date; d.Before(start) || d.After(end) {
				outside++
				if first == nil {
					first = &st.Rows[i]
				}
			}
		}
		if outside == 0 {
			add("within_period", true, "every row is inside the stated period %s to %s", day(st.PeriodStart), day(st.PeriodEnd))
		} else {
			add("within_period", false, "%d rows fall outside the stated period %s to %s, the first %s", outside, day(st.PeriodStart), day(st.PeriodEnd), rowName(first))
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
	// (without either, two equal purchases on one day are ordinary)
	// The rows are keyed by a 64-bit hash of those fields, and a hit is
	// compared field by field: a map of the fields themselves held about
	// 100 bytes a row (90 MB for a 20 MB export).
	seed := maphash.MakeSeed()
	seen := make(map[uint64]int32, len(st.Rows)/4)
	same := func(a, b *Row) bool {
		return a.Date.Equal(b.Date) && a.Debit == b.Debit && a.Credit == b.Credit && a.Narration == b.Narration &&
			a.Reference == b.Reference && balOf(a) == balOf(b) && (a.Balance == nil) == (b.Balance == nil)
	}
	var collided map[int]bool // rows whose hash another, different row took first
	dups := 0
	var dupDetail string
	for i := range st.Rows {
		r := &st.Rows[i]
		if r.Balance == nil && r.Reference == "" {
			continue
		}
		var h maphash.Hash
		h.SetSeed(seed)
		var b [8 * 4]byte
		binary.LittleEndian.PutUint64(b[0:], uint64(r.Date.UnixNano()))
		binary.LittleEndian.PutUint64(b[8:], uint64(r.Debit))
		binary.LittleEndian.PutUint64(b[16:], uint64(r.Credit))
		binary.LittleEndian.PutUint64(b[24:], uint64(balOf(r)))
		h.Write(b[:])
		h.WriteString(r.Narration)
		h.WriteByte(0)
		h.WriteString(r.Reference)
		k := h.Sum64()
		if j, ok := seen[k]; ok {
			if first := &st.Rows[j]; same(first, r) {
				dups++
				if dupDetail == "" {
					dupDetail = fmt.Sprintf("%s repeats line %d", rowName(r), first.Line)
				}
				continue
			}
			// a collision of two different rows: compare with the earlier
			// rows one by one (never seen in practice; kept correct)
			if collided == nil {
				collided = map[int]bool{}
			}
			found := false
			for c := range collided {
				if same(&st.Rows[c], r) {
					found = true
					dups++
					if dupDetail == "" {
						dupDetail = fmt.Sprintf("%s repeats line %d", rowName(r), st.Rows[c].Line)
					}
					break
				}
			}
			if !found {
				collided[i] = true
			}
			continue
		}
		seen[k] = int32(i)
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

func balOf(r *Row) int64 {
	if r.Balance == nil {
		return 0
	}
	return *r.Balance
}

func rowName(r *Row) string {
	if r.Line > 0 {
		return fmt.Sprintf("line %d (%s)", r.Line, day(r.Date))
	}
	return "the row of " + day(r.Date)
}

func day(t time.Time) string { return t.Format("2006-01-02") }

func sign(r *Row) string {
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
