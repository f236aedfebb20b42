package statementimport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// MBS reads MyBankStatement's JSON (the statement a bank sends through
// mybankstatement.net: Nuban, TicketNo and Details rows with P-prefixed
// fields). Some senders wrap it in {"data": ...} or {"result": ...}.
type MBS struct{}

func (MBS) Format() Format { return FormatMBS }

func (MBS) Sniff(head []byte, name string) bool {
	t := bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	return len(t) > 0 && t[0] == '{' && (bytes.Contains(head, []byte(`"Details"`)) || bytes.Contains(head, []byte(`"Nuban"`)) ||
		bytes.Contains(head, []byte(`"PTransactionDate"`)))
}

// jsonText is a JSON string or number, kept as text for parseAmount.
type jsonText string

func (t *jsonText) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = jsonText(s)
		return nil
	}
	*t = jsonText(b)
	return nil
}

type mbsDoc struct {
	Nuban          jsonText   `json:"Nuban"`
	AccountNumber  jsonText   `json:"AccountNumber"`
	TicketNo       jsonText   `json:"TicketNo"`
	AccountName    jsonText   `json:"AccountName"`
	Name           jsonText   `json:"Name"`
	Bank           jsonText   `json:"Bank"`
	BankName       jsonText   `json:"BankName"`
	BankCode       jsonText   `json:"BankCode"`
	Currency       jsonText   `json:"Currency"`
	OpeningBalance jsonText   `json:"OpeningBalance"`
	ClosingBalance jsonText   `json:"ClosingBalance"`
	StartDate      jsonText   `json:"StartDate"`
	EndDate        jsonText   `json:"EndDate"`
	Details        []mbsEntry `json:"Details"`
	Data           *mbsDoc    `json:"data"`
	Result         *mbsDoc    `json:"result"`
}

type mbsEntry struct {
	PTransactionDate jsonText `json:"PTransactionDate"`
	PValueDate       jsonText `json:"PValueDate"`
	PNarration       jsonText `json:"PNarration"`
	PCredit          jsonText `json:"PCredit"`
	PDebit           jsonText `json:"PDebit"`
	PBalance         jsonText `json:"PBalance"`
	PReference       jsonText `json:"PReference"`
}

func (MBS) Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Statement, error) {
	var doc mbsDoc
	dec := json.NewDecoder(io.NewSectionReader(r, 0, size))
	if err := dec.Decode(&doc); err != nil {
		return nil, &LayoutError{Format: FormatMBS, Found: "JSON kobo cannot read: " + err.Error()}
	}
	for doc.Details == nil && (doc.Data != nil || doc.Result != nil) {
		if doc.Data != nil {
			doc = *doc.Data
		} else {
			doc = *doc.Result
		}
	}
	if len(doc.Details) == 0 {
		return nil, &LayoutError{Format: FormatMBS, Found: "a JSON document with no Details rows"}
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	if len(doc.Details) > maxRows {
		return nil, fmt.Errorf("%w: more than %d rows", ErrTooLarge, maxRows)
	}
	st := &Statement{Format: FormatMBS, Currency: "NGN", Layout: "mybankstatement",
		AccountNumber: strings.TrimSpace(string(cmpText(doc.Nuban, doc.AccountNumber))),
		AccountName:   strings.TrimSpace(string(cmpText(doc.AccountName, doc.Name)))}
	if c := strings.ToUpper(strings.TrimSpace(string(doc.Currency))); len(c) == 3 {
		st.Currency = c
	}
	st.BankName = strings.TrimSpace(string(cmpText(doc.BankName, doc.Bank)))
	st.BankCode = strings.TrimSpace(string(doc.BankCode))
	if v, ok := parseAmount(string(doc.OpeningBalance)); ok {
		st.Opening = &v
	}
	if v, ok := parseAmount(string(doc.ClosingBalance)); ok {
		st.Closing = &v
	}
	if a, ok := parseDate(string(doc.StartDate)); ok {
		if b, ok := parseDate(string(doc.EndDate)); ok {
			st.PeriodStart, st.PeriodEnd = a, b
		}
	}
	var dp dateParser
	for i, e := range doc.Details {
		d, ok := dp.parse(string(e.PTransactionDate))
		if !ok {
			return nil, &LayoutError{Format: FormatMBS, Found: fmt.Sprintf("row %d has a PTransactionDate kobo cannot read: %q", i+1, clip(string(e.PTransactionDate)))}
		}
		row := Row{Date: d, Narration: strings.TrimSpace(string(e.PNarration)), Reference: strings.TrimSpace(string(e.PReference)), Line: i + 1}
		if vd, ok := parseDate(string(e.PValueDate)); ok {
			row.ValueDate = vd
		}
		if v, ok := parseAmount(string(e.PDebit)); ok {
			row.Debit = abs(v)
		}
		if v, ok := parseAmount(string(e.PCredit)); ok {
			row.Credit = abs(v)
		}
		if v, ok := parseAmount(string(e.PBalance)); ok {
			row.Balance = &v
		}
		if row.Debit == 0 && row.Credit == 0 {
			continue
		}
		if row.Debit != 0 && row.Credit != 0 {
			// one line is money in or money out; guessing which would put
			// a wrong amount into the history
			return nil, &LayoutError{Format: FormatMBS, Found: fmt.Sprintf("row %d has both a PDebit and a PCredit amount", i+1)}
		}
		st.Rows = append(st.Rows, row)
	}
	if len(st.Rows) == 0 {
		return nil, &LayoutError{Format: FormatMBS, Found: "Details rows with no debit or credit amounts"}
	}
	oldestFirst(st.Rows)
	return st, nil
}

func cmpText(a, b jsonText) jsonText {
	if strings.TrimSpace(string(a)) != "" {
		return a
	}
	return b
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
