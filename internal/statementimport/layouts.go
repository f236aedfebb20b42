package statementimport

import "strings"

// PDF bank layouts as data. A layout names the bank (as its statements
// print it, for detection), its CBN code, the words each column header
// uses and the date forms its cells print. The table reader in pdftable.go
// is generic: it finds a header line whose words match a layout's column
// synonyms and reads columns by x-position, so supporting a new bank is a
// new row here, not new code.
//
// The column headers below follow the statements these banks issue to
// customers (internet banking and app exports); where a bank varies by
// channel, the synonyms list every variant we know of.

// pdfColKind is what a statement column holds.
type pdfColKind int

const (
	pdfColDate      pdfColKind = iota + 1 // booking / transaction date (required)
	pdfColValueDate                       // value date
	pdfColNarration                       // description, remarks, details
	pdfColReference                       // reference, transaction id, cheque number
	pdfColDebit                           // money out
	pdfColCredit                          // money in
	pdfColAmount                          // one signed amount, or with DR/CR
	pdfColBalance                         // running balance (required)
	pdfColOther                           // printed but not stored (branch, channel, category)
	nPDFCols                              // how many kinds there are, for arrays indexed by kind
)

// isMoney reports whether the column holds amounts.
func (k pdfColKind) isMoney() bool {
	return k == pdfColDebit || k == pdfColCredit || k == pdfColAmount || k == pdfColBalance
}

// isText reports whether continuation lines of a wrapped cell may carry
// text in this column.
func (k pdfColKind) isText() bool {
	return k == pdfColNarration || k == pdfColReference || k == pdfColOther
}

// pdfColumn is one column a layout prints, with every header spelling.
// Synonyms are compared after normalising (lower case, punctuation and
// currency marks dropped), word by word.
type pdfColumn struct {
	Kind     pdfColKind
	Synonyms []string
}

// pdfLayout is one bank's statement layout.
type pdfLayout struct {
	Name     string   // profile id reported in Statement.Layout
	Bank     string   // bank name to report
	BankCode string   // CBN / NIP institution code
	Marks    []string // lower-case phrases that identify the bank in page text
	Columns  []pdfColumn
	// DateFormats are tried first for this bank's date cells (Go layouts);
	// the shared forms in values.go are the fallback.
	DateFormats []string

	synToks [][][]string // Columns[i].Synonyms split into words, by prepare
}

// prepare splits the synonyms into words once, so matching a line is
// comparisons only.
func (l *pdfLayout) prepare() {
	l.synToks = make([][][]string, len(l.Columns))
	for i, c := range l.Columns {
		for _, s := range c.Synonyms {
			l.synToks[i] = append(l.synToks[i], strings.Fields(s))
		}
	}
}

// pdfLayouts returns the layout table. It is a function rather than a
// package variable so no parser can change another's table.
func pdfLayouts() []pdfLayout {
	// synonyms shared by many banks, so each row stays short
	synBalance := []string{"balance", "running balance", "balance after", "closing balance", "bal", "available balance", "ledger balance"}
	synValue := []string{"value date", "val date", "valuedate", "value dt"}
	synRef := []string{"reference", "ref", "ref no", "reference no", "reference number", "transaction reference", "trans ref", "chq no", "cheque no", "check no", "transaction id", "session id"}
	return []pdfLayout{
		{
			Name: "gtbank", Bank: "Guaranty Trust Bank", BankCode: "058",
			Marks: []string{"guaranty trust", "gtbank", "gtco", "gtworld"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"trans date", "tran date", "transaction date"}},
				{pdfColValueDate, synValue},
				{pdfColReference, synRef},
				{pdfColDebit, []string{"debits", "debit"}},
				{pdfColCredit, []string{"credits", "credit"}},
				{pdfColBalance, synBalance},
				{pdfColOther, []string{"originating branch", "branch"}},
				{pdfColNarration, []string{"remarks", "narration"}},
			},
			DateFormats: []string{"02-Jan-2006", "02-Jan-06", "02/01/2006"},
		},
		{
			Name: "zenith", Bank: "Zenith Bank", BankCode: "057",
			Marks: []string{"zenith bank", "zenithbank"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"date posted", "posted date", "trans date"}},
				{pdfColNarration, []string{"description", "narration"}},
				{pdfColDebit, []string{"debit", "debits"}},
				{pdfColCredit, []string{"credit", "credits"}},
				{pdfColValueDate, synValue},
				{pdfColBalance, synBalance},
			},
			DateFormats: []string{"02/01/2006", "02-Jan-2006"},
		},
		{
			Name: "access", Bank: "Access Bank", BankCode: "044",
			Marks: []string{"access bank", "accessbank", "accessmore"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"posted date", "post date", "transaction date", "trans date"}},
				{pdfColValueDate, synValue},
				{pdfColNarration, []string{"description", "narration", "transaction details"}},
				{pdfColDebit, []string{"debit", "debits", "withdrawals"}},
				{pdfColCredit, []string{"credit", "credits", "lodgements"}},
				{pdfColBalance, synBalance},
			},
			DateFormats: []string{"02-Jan-06", "02-Jan-2006", "02/01/2006"},
		},
		{
			Name: "firstbank", Bank: "First Bank of Nigeria", BankCode: "011",
			Marks: []string{"first bank", "firstbank", "fbn"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"trans date", "transdate", "transaction date", "tran date"}},
				{pdfColReference, synRef},
				{pdfColNarration, []string{"transaction details", "details", "narration", "description"}},
				{pdfColValueDate, synValue},
				{pdfColDebit, []string{"withdrawals", "withdrawal", "debit", "debits"}},
				{pdfColCredit, []string{"lodgements", "lodgement", "deposits", "credit", "credits"}},
				{pdfColBalance, synBalance},
			},
			DateFormats: []string{"02-Jan-2006", "02/01/2006", "02-Jan-06"},
		},
		{
			Name: "uba", Bank: "United Bank for Africa", BankCode: "033",
			Marks: []string{"united bank for africa", "uba plc", "ubagroup", "uba "},
			Columns: []pdfColumn{
				{pdfColDate, []string{"tran date", "trans date", "transaction date", "date"}},
				{pdfColValueDate, synValue},
				{pdfColNarration, []string{"narration", "description", "details"}},
				{pdfColReference, []string{"chq no", "cheque no", "reference", "ref"}},
				{pdfColDebit, []string{"debit", "debits", "withdrawals"}},
				{pdfColCredit, []string{"credit", "credits", "deposits"}},
				{pdfColBalance, synBalance},
			},
			DateFormats: []string{"02-Jan-2006", "02/01/2006", "2006-01-02"},
		},
		{
			Name: "kuda", Bank: "Kuda Microfinance Bank", BankCode: "50211",
			Marks: []string{"kuda"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"date time", "date", "date and time"}},
				{pdfColCredit, []string{"money in", "inflow"}},
				{pdfColDebit, []string{"money out", "outflow"}},
				{pdfColOther, []string{"category"}},
				// the counterparty: part of the narration, which is what
				// categorisation reads ("CHUKWUEMEKA NWOSU Transfer")
				{pdfColNarration, []string{"to from", "to or from"}},
				{pdfColNarration, []string{"description"}},
				{pdfColBalance, synBalance},
			},
			DateFormats: []string{"02/01/06 15:04:05", "02/01/2006 15:04:05", "02/01/06"},
		},
		{
			Name: "opay", Bank: "OPay Digital Services", BankCode: "999992",
			Marks: []string{"opay"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"trans time", "transaction time", "trans date", "date"}},
				{pdfColValueDate, synValue},
				{pdfColNarration, []string{"description", "narration"}},
				{pdfColDebit, []string{"debit", "debits"}},
				{pdfColCredit, []string{"credit", "credits"}},
				{pdfColBalance, []string{"balance after", "balance"}},
				{pdfColOther, []string{"channel"}},
				{pdfColReference, []string{"transaction reference", "reference"}},
			},
			DateFormats: []string{"02 Jan 2006 15:04:05", "02 Jan 2006", "2006-01-02 15:04:05"},
		},
		{
			Name: "moniepoint", Bank: "Moniepoint Microfinance Bank", BankCode: "50515",
			Marks: []string{"moniepoint"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"date", "transaction date"}},
				{pdfColNarration, []string{"narration", "description"}},
				{pdfColReference, []string{"reference", "transaction ref"}},
				{pdfColDebit, []string{"debit", "debits"}},
				{pdfColCredit, []string{"credit", "credits"}},
				{pdfColBalance, synBalance},
			},
			DateFormats: []string{"2006-01-02 15:04:05", "2006-01-02", "02/01/2006"},
		},
		{
			// kobo's own statement (internal/statement), so a statement kobo
			// issued can be uploaded elsewhere and read back.
			Name: "kobo", Bank: "", BankCode: "",
			Marks: []string{"generated by kobo"},
			Columns: []pdfColumn{
				{pdfColDate, []string{"date"}},
				{pdfColValueDate, []string{"value date"}}, // printed when the source gave value dates
				{pdfColNarration, []string{"narration"}},
				{pdfColReference, []string{"reference"}}, // and references
				{pdfColDebit, []string{"debit"}},
				{pdfColCredit, []string{"credit"}},
				{pdfColBalance, []string{"balance"}},
			},
			DateFormats: []string{"02 Jan 2006"},
		},
	}
}

// genericLayout is the fallback for a bank with no row: every synonym any
// layout uses, plus the shared lists, so an unknown bank whose table has a
// date, amounts and a balance still reads.
func genericLayout(all []pdfLayout) pdfLayout {
	seen := map[pdfColKind]map[string]bool{}
	add := func(k pdfColKind, ss []string) {
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		for _, s := range ss {
			seen[k][s] = true
		}
	}
	for _, l := range all {
		for _, c := range l.Columns {
			add(c.Kind, c.Synonyms)
		}
	}
	add(pdfColDebit, []string{"debit", "debits", "withdrawal", "withdrawals", "dr", "debit amount", "money out", "outflow"})
	add(pdfColCredit, []string{"credit", "credits", "deposit", "deposits", "lodgement", "lodgements", "cr", "credit amount", "money in", "inflow"})
	add(pdfColNarration, []string{"narration", "description", "remarks", "details", "transaction details", "particulars", "narrative"})
	add(pdfColAmount, []string{"amount", "transaction amount", "amount ngn"})
	add(pdfColDate, []string{"date", "txn date", "posting date", "booking date"})
	g := pdfLayout{Name: "generic"}
	for _, k := range []pdfColKind{pdfColDate, pdfColValueDate, pdfColNarration, pdfColReference, pdfColDebit, pdfColCredit, pdfColAmount, pdfColBalance, pdfColOther} {
		var ss []string
		for s := range seen[k] {
			ss = append(ss, s)
		}
		g.Columns = append(g.Columns, pdfColumn{k, ss})
	}
	return g
}
