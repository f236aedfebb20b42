package statementimport

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Camt reads ISO 20022 bank-to-customer statements: camt.053 (end of
// day statement) and camt.052 (intraday report), any .001.xx version. The
// message is recognised by its namespace; the elements read are the ones
// every version since .001.02 shares.
type Camt struct{}

// Format is camt.053; a camt.052 file parses to FormatCamt052.
func (Camt) Format() Format { return FormatCamt053 }

func (Camt) Sniff(head []byte, name string) bool {
	return bytes.Contains(head, []byte("urn:iso:std:iso:20022:tech:xsd:camt.053.")) ||
		bytes.Contains(head, []byte("urn:iso:std:iso:20022:tech:xsd:camt.052."))
}

type camtAmt struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type camtDate struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type camtBal struct {
	Code      string   `xml:"Tp>CdOrPrtry>Cd"`
	Prtry     string   `xml:"Tp>CdOrPrtry>Prtry"`
	Amt       camtAmt  `xml:"Amt"`
	CdtDbtInd string   `xml:"CdtDbtInd"`
	Dt        camtDate `xml:"Dt"`
}

type camtEntry struct {
	NtryRef     string     `xml:"NtryRef"`
	Amt         camtAmt    `xml:"Amt"`
	CdtDbtInd   string     `xml:"CdtDbtInd"`
	RvslInd     string     `xml:"RvslInd"`
	Sts         camtStatus `xml:"Sts"`
	BookgDt     camtDate   `xml:"BookgDt"`
	ValDt       camtDate   `xml:"ValDt"`
	AcctSvcrRef string     `xml:"AcctSvcrRef"`
	AddtlInf    string     `xml:"AddtlNtryInf"`
	Ustrd       []string   `xml:"NtryDtls>TxDtls>RmtInf>Ustrd"`
	EndToEnd    string     `xml:"NtryDtls>TxDtls>Refs>EndToEndId"`
}

// camtStatus is <Sts>BOOK</Sts> up to .001.07 and <Sts><Cd>BOOK</Cd></Sts> after.
type camtStatus struct {
	Text string `xml:",chardata"`
	Cd   string `xml:"Cd"`
}

type camtStmt struct {
	ID       string      `xml:"Id"`
	FrDtTm   string      `xml:"FrToDt>FrDtTm"`
	ToDtTm   string      `xml:"FrToDt>ToDtTm"`
	IBAN     string      `xml:"Acct>Id>IBAN"`
	Othr     string      `xml:"Acct>Id>Othr>Id"`
	Ccy      string      `xml:"Acct>Ccy"`
	Owner    string      `xml:"Acct>Ownr>Nm"`
	Servicer string      `xml:"Acct>Svcr>FinInstnId>Nm"`
	BIC      string      `xml:"Acct>Svcr>FinInstnId>BICFI"`
	Bals     []camtBal   `xml:"Bal"`
	SumDbt   string      `xml:"TxsSummry>TtlDbtNtries>Sum"`
	SumCdt   string      `xml:"TxsSummry>TtlCdtNtries>Sum"`
	Entries  []camtEntry `xml:"Ntry"`
}

func (Camt) Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Statement, error) {
	dec := xml.NewDecoder(io.NewSectionReader(r, 0, size))
	dec.Strict = true
	var format Format
	var stmts []camtStmt
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &LayoutError{Format: cmpFormat(format, FormatCamt053), Found: "XML kobo cannot read: " + err.Error()}
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case se.Name.Local == "Document" && format == "":
			switch {
			case strings.HasPrefix(se.Name.Space, "urn:iso:std:iso:20022:tech:xsd:camt.053.001."):
				format = FormatCamt053
			case strings.HasPrefix(se.Name.Space, "urn:iso:std:iso:20022:tech:xsd:camt.052.001."):
				format = FormatCamt052
			default:
				return nil, &LayoutError{Format: FormatCamt053, Found: "an XML document in namespace " + clip(se.Name.Space) + ", not camt.053 or camt.052"}
			}
		case (se.Name.Local == "Stmt" || se.Name.Local == "Rpt") && format != "":
			var s camtStmt
			if err := dec.DecodeElement(&s, &se); err != nil {
				return nil, &LayoutError{Format: format, Found: "a statement element kobo cannot read: " + err.Error()}
			}
			stmts = append(stmts, s)
			if n := countEntries(stmts); opts.MaxRows > 0 && n > opts.MaxRows || n > DefaultMaxRows {
				return nil, fmt.Errorf("%w: more than %d entries", ErrTooLarge, n)
			}
		}
	}
	if format == "" {
		return nil, &LayoutError{Format: FormatCamt053, Found: "no ISO 20022 Document element"}
	}
	if len(stmts) == 0 {
		return nil, &LayoutError{Format: format, Found: "a camt Document with no Stmt/Rpt element"}
	}
	st := &Statement{Format: format, Currency: "NGN", Layout: string(format)}
	var dp dateParser
	line := 0
	for si, s := range stmts {
		if si == 0 {
			st.AccountNumber = cmpStr(s.Othr, s.IBAN)
			st.AccountName = strings.TrimSpace(s.Owner)
			st.BankName = strings.TrimSpace(s.Servicer)
			if s.Ccy != "" {
				st.Currency = s.Ccy
			}
			// the period is calendar days: the date part, not a
			// local midnight moved to UTC
			if a, ok := parseDate(datePart(s.FrDtTm)); ok {
				st.PeriodStart = a
			}
			if b, ok := parseDate(datePart(s.ToDtTm)); ok {
				st.PeriodEnd = b
			}
		}
		for _, b := range s.Bals {
			v, ok := camtAmount(b.Amt.Value, b.CdtDbtInd)
			if !ok {
				continue
			}
			if st.Currency == "NGN" && b.Amt.Ccy != "" {
				st.Currency = b.Amt.Ccy
			}
			switch cmpStr(b.Code, b.Prtry) {
			case "OPBD", "PRCD", "ITBD":
				if si == 0 && st.Opening == nil {
					st.Opening = &v
				}
			case "CLBD":
				st.Closing = &v
				if d, ok := parseDate(datePart(cmpStr(b.Dt.Dt, b.Dt.DtTm))); ok {
					st.ClosingDate = d
				}
			}
		}
		if v, ok := parseAmount(s.SumDbt); ok && len(stmts) == 1 {
			st.Printed.Debits = &v
		}
		if v, ok := parseAmount(s.SumCdt); ok && len(stmts) == 1 {
			st.Printed.Credits = &v
		}
		for _, e := range s.Entries {
			line++
			status := strings.ToUpper(cmpStr(e.Sts.Cd, e.Sts.Text))
			if status != "" && status != "BOOK" {
				continue // pending and informational entries are not on the books
			}
			v, ok := parseAmount(e.Amt.Value)
			d, dok := dp.parse(cmpStr(e.BookgDt.Dt, e.BookgDt.DtTm))
			if !ok || !dok {
				return nil, &LayoutError{Format: format, Found: fmt.Sprintf("entry %d has no readable amount or booking date", line)}
			}
			v = abs(v)
			row := Row{Date: d, Reference: cmpStr(e.AcctSvcrRef, cmpStr(e.NtryRef, e.EndToEnd)), Line: line}
			if vd, ok := dp.parse(cmpStr(e.ValDt.Dt, e.ValDt.DtTm)); ok {
				row.ValueDate = vd
			}
			narr := strings.TrimSpace(e.AddtlInf)
			if narr == "" {
				narr = strings.TrimSpace(strings.Join(e.Ustrd, " "))
			}
			row.Narration = narr
			debit := e.CdtDbtInd == "DBIT"
			if e.RvslInd == "true" {
				debit = !debit // a reversal books the opposite way
			}
			if debit {
				row.Debit = v
			} else {
				row.Credit = v
			}
			st.Rows = append(st.Rows, row)
		}
	}
	if len(st.Rows) == 0 {
		return nil, &LayoutError{Format: format, Found: fmt.Sprintf("%d statement(s) with no booked entries", len(stmts))}
	}
	return st, nil
}

// datePart is the YYYY-MM-DD of an ISO date or date-time.
func datePart(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[4] == '-' && s[10] == 'T' {
		return s[:10]
	}
	return s
}

func countEntries(ss []camtStmt) int {
	n := 0
	for _, s := range ss {
		n += len(s.Entries)
	}
	return n
}

func camtAmount(v, ind string) (int64, bool) {
	a, ok := parseAmount(v)
	if !ok {
		return 0, false
	}
	if ind == "DBIT" {
		a = -abs(a)
	}
	return a, true
}

func cmpStr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return strings.TrimSpace(a)
	}
	return strings.TrimSpace(b)
}

func cmpFormat(a, b Format) Format {
	if a != "" {
		return a
	}
	return b
}
