package statementimport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// OFX reads Open Financial Exchange bank statements: 1.x (SGML, leaf tags
// without end tags) and 2.x (XML), .ofx and .qfx alike. One small
// tokenizer serves both: a tag followed by text is a field, a tag followed
// by a tag opens an aggregate, and an end tag closes one.
type OFX struct{}

func (OFX) Format() Format { return FormatOFX }

func (OFX) Sniff(head []byte, name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return bytes.Contains(head, []byte("OFXHEADER")) || bytes.Contains(head, []byte("<OFX>")) ||
		((ext == ".ofx" || ext == ".qfx") && bytes.Contains(bytes.ToUpper(head), []byte("<OFX")))
}

type ofxTxn struct {
	typ, posted, amount, fitid, name, memo, refnum string
}

func (OFX) Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Statement, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10)
	st := &Statement{Format: FormatOFX, Currency: "NGN", Layout: "ofx"}
	var (
		stack    []string
		cur      *ofxTxn
		txns     []ofxTxn
		sawOFX   bool
		maxRows  = opts.MaxRows
		bankID   string
		ledger   string
		start    string
		end      string
		inLedger bool
	)
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	if _, err := br.ReadString('<'); err != nil {
		return nil, &LayoutError{Format: FormatOFX, Found: "no OFX tags"}
	}
	for {
		chunk, err := br.ReadString('<')
		eof := err == io.EOF
		if err != nil && !eof {
			return nil, err
		}
		chunk = strings.TrimSuffix(chunk, "<")
		gt := strings.IndexByte(chunk, '>')
		if gt < 0 {
			if eof {
				break
			}
			continue // "<" inside text or a comment
		}
		tag := strings.ToUpper(strings.TrimSpace(chunk[:gt]))
		text := strings.TrimSpace(html.UnescapeString(chunk[gt+1:]))
		switch {
		case strings.HasPrefix(tag, "?") || strings.HasPrefix(tag, "!"):
		case strings.HasPrefix(tag, "/"):
			name := tag[1:]
			// close up to the matching aggregate (SGML leaves never pushed)
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] == name {
					stack = stack[:i]
					break
				}
			}
			switch name {
			case "STMTTRN":
				if cur != nil {
					txns = append(txns, *cur)
					cur = nil
					if len(txns) > maxRows {
						return nil, fmt.Errorf("%w: more than %d transactions", ErrTooLarge, maxRows)
					}
				}
			case "LEDGERBAL":
				inLedger = false
			}
		case text == "":
			stack = append(stack, tag)
			switch tag {
			case "OFX":
				sawOFX = true
			case "STMTTRN":
				cur = &ofxTxn{}
			case "LEDGERBAL":
				inLedger = true
			}
		default:
			if i := strings.IndexByte(tag, ' '); i > 0 {
				tag = tag[:i]
			}
			switch {
			case cur != nil:
				switch tag {
				case "TRNTYPE":
					cur.typ = text
				case "DTPOSTED":
					cur.posted = text
				case "TRNAMT":
					cur.amount = text
				case "FITID":
					cur.fitid = text
				case "NAME":
					cur.name = text
				case "MEMO":
					cur.memo = text
				case "REFNUM", "CHECKNUM":
					cur.refnum = text
				}
			case inLedger && tag == "BALAMT":
				ledger = text
			case tag == "ACCTID":
				st.AccountNumber = text
			case tag == "BANKID":
				bankID = text
			case tag == "CURDEF":
				st.Currency = strings.ToUpper(text)
			case tag == "DTSTART":
				start = text
			case tag == "DTEND":
				end = text
			case tag == "ORG":
				st.BankName = text
			}
		}
		if eof {
			break
		}
		if len(txns)%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if !sawOFX {
		return nil, &LayoutError{Format: FormatOFX, Found: "no <OFX> element"}
	}
	if cur != nil { // SGML files that never close the last transaction
		txns = append(txns, *cur)
	}
	for i, t := range txns {
		d, ok := ofxDate(t.posted)
		v, vok := parseAmount(t.amount)
		if !ok || !vok {
			return nil, &LayoutError{Format: FormatOFX, Found: fmt.Sprintf("transaction %d has no readable DTPOSTED or TRNAMT (%q, %q)", i+1, clip(t.posted), clip(t.amount))}
		}
		row := Row{Date: d, Reference: cmpStr(t.fitid, t.refnum), Line: i + 1}
		row.Narration = strings.TrimSpace(t.name)
		if t.memo != "" && t.memo != t.name {
			row.Narration = strings.TrimSpace(row.Narration + " " + t.memo)
		}
		if v < 0 || strings.EqualFold(t.typ, "DEBIT") && v > 0 {
			row.Debit = abs(v)
		} else {
			row.Credit = v
		}
		if row.Debit == 0 && row.Credit == 0 {
			continue
		}
		st.Rows = append(st.Rows, row)
	}
	if len(st.Rows) == 0 {
		return nil, &LayoutError{Format: FormatOFX, Found: "an OFX file with no STMTTRN transactions"}
	}
	if v, ok := parseAmount(ledger); ok {
		st.Closing = &v
	}
	if a, ok := ofxDate(start); ok {
		if b, ok := ofxDate(end); ok {
			st.PeriodStart, st.PeriodEnd = a, b
		}
	}
	if b, ok := bankByCode(bankID); ok {
		st.BankCode = b.Code
	}
	oldestFirst(st.Rows)
	return st, nil
}

// ofxDate reads OFX's YYYYMMDD[HHMMSS[.XXX]][[+-]H[:TZ]] (GMT when no zone).
func ofxDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	loc := time.UTC
	if i := strings.IndexByte(s, '['); i >= 0 {
		zone := strings.TrimSuffix(s[i+1:], "]")
		s = s[:i]
		if j := strings.IndexByte(zone, ':'); j >= 0 {
			zone = zone[:j]
		}
		var h float64
		if _, err := fmt.Sscanf(zone, "%g", &h); err == nil && h >= -14 && h <= 14 {
			loc = time.FixedZone("", int(h*3600))
		}
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	var layout string
	switch len(s) {
	case 8:
		layout = "20060102"
	case 12:
		layout = "200601021504"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, false
	}
	if len(s) == 8 {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
	}
	return t.UTC(), true
}
