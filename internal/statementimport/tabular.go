package statementimport

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Tabular statements (CSV and XLSX exports) are read the same way: some
// header lines (bank, account, period, balances), a header row found by
// its column names, data rows, then maybe totals. Column names and bank
// export profiles are data tables below.

type column int

const (
	colDate column = iota
	colValueDate
	colNarration
	colRef
	colDebit
	colCredit
	colAmount
	colBalance
	colType
	colCounterparty
	colCategory
	nCols
)

// headerSynonyms are the column names exports use, normalised by
// wordsOnly (lower case, punctuation and currency marks dropped).
var headerSynonyms = [nCols][]string{
	colDate: {"date", "trans date", "transaction date", "txn date", "tran date", "date time", "posting date", "posted date",
		"date posted", "booking date", "book date", "trans time", "transaction time", "transdate", "created at", "ptransactiondate"},
	colValueDate: {"value date", "val date", "valuedate", "value dt"},
	colNarration: {"narration", "description", "details", "remarks", "transaction details", "particulars", "narrative",
		"transaction description", "memo", "transaction narration", "comment"},
	colRef: {"reference", "ref", "ref no", "reference number", "reference no", "transaction reference", "transaction ref",
		"transaction id", "trans id", "session id", "chq no", "cheque no", "chq", "document no"},
	colDebit: {"debit", "debits", "withdrawal", "withdrawals", "money out", "debit amount", "dr", "out", "paid out", "outflow"},
	colCredit: {"credit", "credits", "deposit", "deposits", "lodgement", "lodgements", "money in", "credit amount", "cr",
		"in", "paid in", "inflow"},
	colAmount:       {"amount", "transaction amount", "amt", "value"},
	colBalance:      {"balance", "running balance", "balance after", "available balance", "bal", "ledger balance", "closing balance"},
	colType:         {"type", "dr cr", "debit credit", "transaction type", "d c", "cr dr", "direction"},
	colCounterparty: {"to from", "beneficiary", "sender receiver", "counterparty", "recipient"},
	colCategory:     {"category"},
}

// exportProfile identifies a bank's own export by the column names it
// prints (all of Markers, normalised).
type exportProfile struct {
	Name     string
	BankCode string
	Markers  []string
}

// exportProfiles are the bank exports we know by their header; a file
// matching none still parses by the synonyms alone.
var exportProfiles = []exportProfile{
	{"kuda", "090267", []string{"date time", "money in", "money out", "category", "to from", "description", "balance"}},
	{"opay", "100004", []string{"trans time", "value date", "description", "debit", "credit", "balance after", "channel", "transaction reference"}},
	{"moniepoint", "090405", []string{"date", "narration", "reference", "debit", "credit", "balance", "settlement"}},
	{"gtbank", "058", []string{"trans date", "value date", "reference", "debits", "credits", "balance", "originating branch", "remarks"}},
	{"zenith", "057", []string{"date posted", "description", "debit", "credit", "value date", "balance"}},
	{"access", "044", []string{"posted date", "value date", "description", "debit", "credit", "balance"}},
	{"firstbank", "011", []string{"transdate", "reference", "valuedate", "deposit", "withdrawal", "balance", "narration"}},
	{"uba", "033", []string{"tran date", "value date", "narration", "chq no", "debit", "credit", "balance"}},
}

var synonymIndex = func() map[string]column {
	m := map[string]column{}
	for c, names := range headerSynonyms {
		for _, n := range names {
			m[n] = column(c)
		}
	}
	return m
}()

// normHeader normalises a header cell: words only, with currency marks
// ("(₦)", "NGN") dropped.
func normHeader(s string) string {
	w := wordsOnly(s)
	w = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(w, " ngn"), " n"))
	return w
}

// header is a recognised header row: each column's cell index (-1 when absent).
type header struct {
	idx     [nCols]int
	names   []string
	profile *exportProfile
}

func matchHeader(cells []string) (*header, bool) {
	h := &header{}
	for i := range h.idx {
		h.idx[i] = -1
	}
	n := 0
	for i, c := range cells {
		name := normHeader(c)
		h.names = append(h.names, name)
		col, ok := synonymIndex[name]
		if !ok || h.idx[col] >= 0 {
			continue
		}
		h.idx[col] = i
		n++
	}
	hasAmount := h.idx[colAmount] >= 0 || h.idx[colDebit] >= 0 || h.idx[colCredit] >= 0
	if h.idx[colDate] < 0 || !hasAmount || n < 3 {
		return nil, false
	}
	best := 0
	for i := range exportProfiles {
		p := &exportProfiles[i]
		ok := true
		for _, m := range p.Markers {
			if !slices.Contains(h.names, m) {
				ok = false
				break
			}
		}
		if ok && len(p.Markers) > best {
			h.profile, best = p, len(p.Markers)
		}
	}
	return h, true
}

func (h *header) cell(cells []string, c column) string {
	i := h.idx[c]
	if i < 0 || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

// tableRows yields the rows of a sheet or CSV file with their 1-based line.
type tableRows func(yield func(line int, cells []string) error) error

var (
	reAcctNo = regexp.MustCompile(`\b(\d{10})\b`)
	rePeriod = regexp.MustCompile(`(?i)(?:from\s*)?(\d{1,2}[-/ .][A-Za-z]{3,9}[-/ .]\d{2,4}|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2})\s*(?:-|–|to|and)\s*(\d{1,2}[-/ .][A-Za-z]{3,9}[-/ .]\d{2,4}|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2})`)
)

// metaLabels maps the labels of header lines to what they carry.
var metaLabels = []struct {
	key    string
	labels []string
}{
	{"number", []string{"account number", "account no", "acct no", "nuban", "acc no", "account"}},
	{"name", []string{"account name", "customer name", "name", "account holder"}},
	{"opening", []string{"opening balance", "balance b f", "opening bal", "balance brought forward", "beginning balance"}},
	{"closing", []string{"closing balance", "balance c f", "closing bal", "balance carried forward", "ending balance"}},
	{"debits", []string{"total debit", "total debits", "total withdrawals", "total money out", "total outflow"}},
	{"credits", []string{"total credit", "total credits", "total lodgements", "total deposits", "total money in", "total inflow"}},
	{"currency", []string{"currency"}},
	{"period", []string{"period", "statement period", "date range"}},
}

// readMeta takes what a non-table line says about the statement.
func readMeta(st *Statement, cells []string) {
	var parts []string
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return
	}
	joined := strings.Join(parts, " ")
	if st.BankName == "" {
		if b, ok := bankInText(joined); ok {
			st.BankName = b.Name
		}
	}
	// "Label: value" in one cell, or label and value in neighbouring cells
	label, value := parts[0], strings.Join(parts[1:], " ")
	if i := strings.IndexAny(parts[0], ":"); i > 0 {
		label, value = parts[0][:i], strings.TrimSpace(parts[0][i+1:]+" "+value)
	}
	l := wordsOnly(label)
	for _, m := range metaLabels {
		if !slices.Contains(m.labels, l) {
			continue
		}
		switch m.key {
		case "number":
			if st.AccountNumber == "" {
				if g := reAcctNo.FindString(value); g != "" {
					st.AccountNumber = g
				}
			}
		case "name":
			if st.AccountName == "" && value != "" {
				st.AccountName = value
			}
		case "opening", "closing", "debits", "credits":
			v, ok := parseAmount(value)
			if !ok {
				continue
			}
			switch m.key {
			case "opening":
				st.Opening = &v
			case "closing":
				st.Closing = &v
			case "debits":
				v = abs(v)
				st.Printed.Debits = &v
			case "credits":
				v = abs(v)
				st.Printed.Credits = &v
			}
		case "currency":
			if w := strings.ToUpper(strings.TrimSpace(value)); len(w) == 3 {
				st.Currency = w
			}
		case "period":
			readPeriod(st, value)
		}
		return
	}
	if st.PeriodStart.IsZero() {
		readPeriod(st, joined)
	}
}

func readPeriod(st *Statement, s string) {
	m := rePeriod.FindStringSubmatch(s)
	if m == nil {
		return
	}
	a, ok1 := parseDate(m[1])
	b, ok2 := parseDate(m[2])
	if ok1 && ok2 && !b.Before(a) {
		st.PeriodStart, st.PeriodEnd = a, b
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// maxHeaderSearch is how many lines may come before the header row.
const maxHeaderSearch = 60

// DefaultMaxRows bounds a statement's rows when Options.MaxRows is 0.
const DefaultMaxRows = 1_000_000

// parseTable reads rows into st.
//
// lines, when known, is how many lines the source has: the rows are
// allocated once at that size, where growing the slice row by row
// allocated five times its final size (170 MB for a 20 MB export).
//
// emit, when not nil, takes each row as it is read instead of st.Rows
// holding them all (see Reader.Stream): the row before is handed over
// when the next one starts, since a wrapped narration line still adds to
// it, and the rows go in file order (oldestFirst is the caller's).
func parseTable(format Format, rows tableRows, lines int, opts Options, emit func(*Row) error) (*Statement, error) {
	st := &Statement{Format: format, Currency: "NGN"}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	if lines > 0 && emit == nil {
		st.Rows = make([]Row, 0, min(lines, maxRows+1))
	}
	var pending Row // streaming: the row read last, not yet handed over
	var firstDate time.Time
	count := 0
	last := func() *Row {
		if emit != nil {
			return &pending
		}
		return &st.Rows[len(st.Rows)-1]
	}
	var h *header
	var dp dateParser
	var seen int
	var firstCells []string
	err := rows(func(line int, cells []string) error {
		seen++
		if h == nil {
			if hh, ok := matchHeader(cells); ok {
				h = hh
				return nil
			}
			if seen == 1 {
				firstCells = slices.Clone(cells)
			}
			if seen > maxHeaderSearch {
				return errNoHeader
			}
			readMeta(st, cells)
			return nil
		}
		if count >= maxRows {
			return fmt.Errorf("%w: more than %d rows", ErrTooLarge, maxRows)
		}
		dateText := h.cell(cells, colDate)
		date, ok := dp.parse(dateText)
		narr := h.cell(cells, colNarration)
		if cp := h.cell(cells, colCounterparty); cp != "" {
			narr = strings.TrimSpace(narr + " " + cp)
		}
		if !ok {
			text := wordsOnly(strings.Join(cells, " "))
			switch {
			case strings.Contains(text, "opening balance") || strings.Contains(text, "balance b f") || strings.Contains(text, "brought forward"):
				if v, ok := amount(h.cell(cells, colBalance)); ok {
					st.Opening = &v
				} else {
					readMeta(st, cells)
				}
			case strings.HasPrefix(text, "total") || strings.Contains(text, " total"):
				if v, ok := amount(h.cell(cells, colDebit)); ok {
					v = abs(v)
					st.Printed.Debits = &v
				}
				if v, ok := amount(h.cell(cells, colCredit)); ok {
					v = abs(v)
					st.Printed.Credits = &v
				}
				if st.Printed.Debits == nil && st.Printed.Credits == nil {
					readMeta(st, cells)
				}
			case dateText == "" && narr != "" && count > 0 && h.cell(cells, colDebit) == "" && h.cell(cells, colCredit) == "" && h.cell(cells, colAmount) == "":
				// a narration wrapped onto the next line
				last := last()
				last.Narration = strings.TrimSpace(last.Narration + " " + narr)
			default:
				readMeta(st, cells)
			}
			return nil
		}
		// copies: a CSV reader's cells are slices of the whole record's
		// string, which a row would otherwise keep alive
		r := Row{Date: date, Narration: strings.Clone(narr), Reference: strings.Clone(h.cell(cells, colRef)), Line: line}
		if vd, ok := dp2(h.cell(cells, colValueDate)); ok {
			r.ValueDate = vd
		}
		if h.idx[colDebit] >= 0 || h.idx[colCredit] >= 0 {
			if v, ok := amount(h.cell(cells, colDebit)); ok {
				r.Debit = abs(v)
			}
			if v, ok := amount(h.cell(cells, colCredit)); ok {
				r.Credit = abs(v)
			}
			if r.Debit != 0 && r.Credit != 0 {
				// some exports print the net in both; keep the direction of the larger
				if r.Debit > r.Credit {
					r.Debit, r.Credit = r.Debit-r.Credit, 0
				} else {
					r.Credit, r.Debit = r.Credit-r.Debit, 0
				}
			}
		}
		if r.Debit == 0 && r.Credit == 0 && h.idx[colAmount] >= 0 {
			v, ok := amount(h.cell(cells, colAmount))
			if ok {
				switch t := wordsOnly(h.cell(cells, colType)); t {
				case "dr", "d", "debit", "withdrawal", "out":
					v = -abs(v)
				case "cr", "c", "credit", "deposit", "in":
					v = abs(v)
				}
				if v < 0 {
					r.Debit = -v
				} else {
					r.Credit = v
				}
			}
		}
		if v, ok := amount(h.cell(cells, colBalance)); ok {
			r.Balance = &v
		}
		if r.Debit == 0 && r.Credit == 0 {
			if t := wordsOnly(narr); strings.Contains(t, "opening balance") || strings.Contains(t, "balance b f") {
				st.Opening = r.Balance
			}
			return nil // zero rows carry no transaction
		}
		count++
		if count == 1 {
			firstDate = r.Date
		}
		if emit == nil {
			st.Rows = append(st.Rows, r)
			return nil
		}
		if count > 1 {
			if err := emit(&pending); err != nil {
				return err
			}
		}
		pending = r
		return nil
	})
	if err == nil && emit != nil && count > 0 {
		err = emit(&pending)
	}
	if err == errNoHeader || (err == nil && h == nil) {
		return nil, &LayoutError{Format: format, Found: foundText(firstCells)}
	}
	if err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, &LayoutError{Format: format, Found: fmt.Sprintf("a header row (%s) but no transaction rows under it", strings.Join(nonEmpty(h.names), ", "))}
	}
	if h.profile != nil {
		st.Layout = h.profile.Name
		if st.BankCode == "" {
			st.BankCode = h.profile.BankCode
		}
		if st.BankName == "" {
			if b, ok := bankByCode(h.profile.BankCode); ok {
				st.BankName = b.Name
			}
		}
	}
	if emit == nil {
		oldestFirst(st.Rows)
	} else {
		st.NewestFirst = count > 1 && firstDate.After(pending.Date) // as oldestFirst decides
	}
	return st, nil
}

func dp2(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	return parseDate(s)
}

// oldestFirst puts rows in date order: many apps export newest first. A
// file whose first row is newer than its last is reversed (not sorted, so
// rows of one day keep the order the bank printed).
func oldestFirst(rows []Row) {
	if len(rows) > 1 && rows[0].Date.After(rows[len(rows)-1].Date) {
		slices.Reverse(rows)
	}
}

var errNoHeader = fmt.Errorf("no header row")

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// foundText describes a file whose header was not found, for the
// customer: what its first line holds.
func foundText(first []string) string {
	cells := nonEmpty(first)
	if len(cells) > 8 {
		cells = cells[:8]
	}
	for i, c := range cells {
		if len(c) > 30 {
			cells[i] = c[:30] + "…"
		}
	}
	if len(cells) == 0 {
		return fmt.Sprintf("no header row with a date and an amount (or debit/credit) column in the first %d lines", maxHeaderSearch)
	}
	return fmt.Sprintf("no header row with a date and an amount (or debit/credit) column in the first %d lines; the first line holds: %s", maxHeaderSearch, strings.Join(cells, " | "))
}

// amount is parseAmount with a fast path for the common cell ("1,234.50":
// digits, commas, a point), which long exports are mostly made of.
func amount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var whole, frac int64
	decimals, digits := -1, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if decimals >= 0 {
				decimals++
				if decimals > 2 {
					return parseAmount(s)
				}
				frac = frac*10 + int64(c-'0')
			} else {
				if whole > (1<<62)/10 {
					return 0, false
				}
				whole = whole*10 + int64(c-'0')
			}
		case c == ',' && decimals < 0:
		case c == '.' && decimals < 0:
			decimals = 0
		default:
			return parseAmount(s) // signs, currency, DR/CR, parentheses
		}
	}
	if digits == 0 {
		return 0, false
	}
	if decimals == 1 {
		frac *= 10
	}
	return whole*100 + frac, true
}
