package statementimport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// MT940 reads SWIFT MT940 customer statements and MT942 interim reports
// (tags :20: :25: :28C: :60F:/:60M: :61: :86: :62F:/:62M:, and MT942's
// :13D: :34F: :90D: :90C:), with or without the {1:}{2:}{4: envelope.
type MT940 struct{}

func (MT940) Format() Format { return FormatMT940 }

// Sniff wants the tags at the start of lines: times such as 08:20:25 in
// a CSV export hold ":20:" and ":25:" too.
func (MT940) Sniff(head []byte, name string) bool {
	h := append([]byte{'\n'}, bytes.ReplaceAll(head, []byte("\r\n"), []byte("\n"))...)
	return bytes.Contains(h, []byte("\n:20:")) && (bytes.Contains(h, []byte("\n:25:")) || bytes.Contains(h, []byte("\n:61:")))
}

// :61: value date YYMMDD, optional entry date MMDD, D/C/RD/RC, optional
// funds code, amount with a decimal comma, N + 3-char type, references.
var re61 = regexp.MustCompile(`^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d[\d,]*)([NFS][A-Z0-9]{3})?([^/\r\n]*)(?://(.*))?`)

// mtAmount reads SWIFT's amount: digits with a decimal comma.
func mtAmount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.Count(s, ",") != 1 {
		return 0, false
	}
	return parseAmount(strings.Replace(s, ",", ".", 1))
}

// mtBalance reads :60F:/:62F: "C251201NGN1234,56".
func mtBalance(s string) (int64, time.Time, string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 11 || (s[0] != 'C' && s[0] != 'D') {
		return 0, time.Time{}, "", false
	}
	d, err := time.Parse("060102", s[1:7])
	if err != nil {
		return 0, time.Time{}, "", false
	}
	v, ok := mtAmount(s[10:])
	if !ok {
		return 0, time.Time{}, "", false
	}
	if s[0] == 'D' {
		v = -v
	}
	return v, d, s[7:10], true
}

func (MT940) Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Statement, error) {
	sc := bufio.NewScanner(io.NewSectionReader(r, 0, size))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	st := &Statement{Format: FormatMT940, Currency: "NGN", Layout: "mt940"}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	type field struct {
		tag, val string
		line     int
	}
	var fields []field
	line := 0
	flush := func(f field) error {
		if f.tag == "" {
			return nil
		}
		fields = append(fields, f)
		if len(fields) > 4*maxRows {
			return fmt.Errorf("%w: more than %d statement lines", ErrTooLarge, maxRows)
		}
		return nil
	}
	var cur field
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(l, "{1:") || strings.HasPrefix(l, "{4:") {
			if i := strings.Index(l, "{4:"); i >= 0 {
				l = l[i+3:]
			} else {
				continue
			}
		}
		if l == "-}" || l == "-" || strings.HasPrefix(l, "-}") {
			continue
		}
		if len(l) > 3 && l[0] == ':' {
			if j := strings.IndexByte(l[1:], ':'); j > 0 && j <= 4 {
				if err := flush(cur); err != nil {
					return nil, err
				}
				cur = field{tag: l[1 : j+1], val: l[j+2:], line: line}
				continue
			}
		}
		if cur.tag != "" {
			cur.val += "\n" + l
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &LayoutError{Format: FormatMT940, Found: "a line longer than SWIFT allows: " + err.Error()}
	}
	if err := flush(cur); err != nil {
		return nil, err
	}
	var sawTxnTag bool
	for i, f := range fields {
		switch f.tag {
		case "25":
			if st.AccountNumber == "" {
				acct := strings.TrimSpace(f.val)
				if j := strings.LastIndexByte(acct, '/'); j >= 0 {
					acct = acct[j+1:]
				}
				st.AccountNumber = acct
			}
		case "60F", "60M":
			if v, d, ccy, ok := mtBalance(f.val); ok && st.Opening == nil {
				st.Opening, st.PeriodStart, st.Currency = &v, d, ccy
			}
		case "62F", "62M":
			if v, d, ccy, ok := mtBalance(f.val); ok {
				st.Closing, st.PeriodEnd, st.Currency = &v, d, ccy
			}
		case "90D", "90C":
			// number of entries (up to 5 digits), currency, amount
			val := strings.TrimSpace(f.val)
			j := 0
			for j < len(val) && j < 5 && val[j] >= '0' && val[j] <= '9' {
				j++
			}
			if len(val) >= j+4 {
				if v, ok := mtAmount(val[j+3:]); ok {
					if f.tag == "90D" {
						st.Printed.Debits = &v
					} else {
						st.Printed.Credits = &v
					}
				}
			}
		case "61":
			sawTxnTag = true
			first, rest, _ := strings.Cut(f.val, "\n")
			m := re61.FindStringSubmatch(first)
			if m == nil {
				return nil, &LayoutError{Format: FormatMT940, Found: fmt.Sprintf("line %d: a :61: statement line kobo cannot read: %q", f.line, clip(first))}
			}
			vd, err := time.Parse("060102", m[1])
			if err != nil {
				return nil, &LayoutError{Format: FormatMT940, Found: fmt.Sprintf("line %d: a :61: value date kobo cannot read: %q", f.line, m[1])}
			}
			date := vd
			if m[2] != "" {
				// the entry (booking) date has no year: the value date's, or the next/previous across a year end
				if ed, err := time.Parse("0102", m[2]); err == nil {
					date = time.Date(vd.Year(), ed.Month(), ed.Day(), 0, 0, 0, 0, time.UTC)
					if date.Sub(vd) > 180*24*time.Hour {
						date = date.AddDate(-1, 0, 0)
					} else if vd.Sub(date) > 180*24*time.Hour {
						date = date.AddDate(1, 0, 0)
					}
				}
			}
			v, ok := mtAmount(m[5])
			if !ok {
				return nil, &LayoutError{Format: FormatMT940, Found: fmt.Sprintf("line %d: a :61: amount kobo cannot read: %q", f.line, m[5])}
			}
			row := Row{Date: date, ValueDate: vd, Reference: strings.TrimSpace(m[7]), Line: f.line}
			if row.Reference == "NONREF" {
				row.Reference = strings.TrimSpace(m[8])
			}
			switch m[3] {
			case "D", "RC": // a reversal of a credit is a debit
				row.Debit = v
			default:
				row.Credit = v
			}
			narr := strings.TrimSpace(rest)
			if i+1 < len(fields) && fields[i+1].tag == "86" {
				narr = strings.TrimSpace(narr + " " + fields[i+1].val)
			}
			row.Narration = strings.Join(strings.Fields(narr), " ")
			if row.Debit == 0 && row.Credit == 0 {
				continue
			}
			st.Rows = append(st.Rows, row)
			if len(st.Rows) > maxRows {
				return nil, fmt.Errorf("%w: more than %d rows", ErrTooLarge, maxRows)
			}
		}
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if len(st.Rows) == 0 {
		found := "no :61: statement lines"
		if sawTxnTag {
			found = ":61: lines with zero amounts only"
		}
		return nil, &LayoutError{Format: FormatMT940, Found: found}
	}
	return st, nil
}
