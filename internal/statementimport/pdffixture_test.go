package statementimport

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
)

// Test fixtures: each bank's statement layout drawn with fpdf, with the
// rows the drawing holds, so a parse is checked against what was drawn.

type fxCol struct {
	kind   pdfColKind
	header string
	width  float64 // mm
	party  bool    // a counterparty column, printed before the narration
}

// fxBank is how one bank draws its statement.
type fxBank struct {
	layout    string // the profile the parser should report
	title     string // printed at the top
	cols      []fxCol
	dateFmt   string // Go layout of the date cells
	timed     bool   // dates carry a time of day
	money     func(v int64) string
	balance   func(v int64) string // nil: money
	unicode   bool                 // draw with DejaVu (₦), else core Helvetica
	landscape bool
	bf        string // the opening row's label
	totals    bool   // a "Total" line after the table
}

func plain(v int64) string { return commas(v) }
func naira(v int64) string { return "₦" + commas(v) }
func ngn(v int64) string   { return "NGN " + commas(v) }
func crdr(v int64) string {
	if v < 0 {
		return commas(-v) + " DR"
	}
	return commas(v) + " CR"
}

func commas(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	whole := fmt.Sprint(v / 100)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	fmt.Fprintf(&b, ".%02d", v%100)
	return b.String()
}

func fxBanks() map[string]fxBank {
	return map[string]fxBank{
		"gtbank": {layout: "gtbank", title: "Guaranty Trust Bank Ltd - Customer Statement", landscape: true,
			cols: []fxCol{{pdfColDate, "Trans. Date", 24, false}, {pdfColValueDate, "Value Date", 24, false}, {pdfColReference, "Reference", 34, false}, {pdfColDebit, "Debits", 28, false},
				{pdfColCredit, "Credits", 28, false}, {pdfColBalance, "Balance", 30, false}, {pdfColOther, "Originating Branch", 38, false}, {pdfColNarration, "Remarks", 70, false}},
			dateFmt: "02-Jan-2006", money: plain, bf: "Balance B/F", totals: true},
		"zenith": {layout: "zenith", title: "ZENITH BANK PLC  STATEMENT OF ACCOUNT", unicode: true,
			cols: []fxCol{{pdfColDate, "DATE POSTED", 22, false}, {pdfColNarration, "DESCRIPTION", 62, false}, {pdfColDebit, "DEBIT", 26, false}, {pdfColCredit, "CREDIT", 26, false},
				{pdfColValueDate, "VALUE DATE", 22, false}, {pdfColBalance, "BALANCE", 28, false}},
			dateFmt: "02/01/2006", money: naira, bf: "Opening Balance"},
		"access": {layout: "access", title: "Access Bank Plc - Account Statement",
			cols: []fxCol{{pdfColDate, "Posted Date", 22, false}, {pdfColValueDate, "Value Date", 22, false}, {pdfColNarration, "Description", 62, false}, {pdfColDebit, "Debit", 26, false},
				{pdfColCredit, "Credit", 26, false}, {pdfColBalance, "Balance", 28, false}},
			dateFmt: "02-Jan-06", money: plain, bf: "Opening Balance", totals: true},
		"firstbank": {layout: "firstbank", title: "FirstBank - Statement of Account",
			cols: []fxCol{{pdfColDate, "Trans Date", 22, false}, {pdfColReference, "Reference", 26, false}, {pdfColNarration, "Transaction Details", 52, false}, {pdfColValueDate, "Value Date", 22, false},
				{pdfColDebit, "Withdrawals", 24, false}, {pdfColCredit, "Lodgements", 24, false}, {pdfColBalance, "Balance", 26, false}},
			dateFmt: "2-Jan-2006", money: plain, bf: "Balance B/F"},
		"uba": {layout: "uba", title: "United Bank for Africa Plc - Account Statement",
			cols: []fxCol{{pdfColDate, "Tran Date", 22, false}, {pdfColValueDate, "Value Date", 22, false}, {pdfColNarration, "Narration", 58, false}, {pdfColReference, "Chq. No", 18, false},
				{pdfColDebit, "Debit", 22, false}, {pdfColCredit, "Credit", 22, false}, {pdfColBalance, "Balance", 30, false}},
			dateFmt: "2006-01-02", money: plain, balance: crdr, bf: "Balance B/F"},
		"kuda": {layout: "kuda", title: "Kuda Microfinance Bank - Account Statement", unicode: true,
			cols: []fxCol{{pdfColDate, "Date/Time", 30, false}, {pdfColCredit, "Money In", 24, false}, {pdfColDebit, "Money Out", 24, false}, {pdfColOther, "Category", 22, false},
				{pdfColOther, "To / From", 34, true}, {pdfColNarration, "Description", 46, false}, {pdfColBalance, "Balance", 26, false}},
			dateFmt: "02/01/06 15:04:05", timed: true, money: naira, bf: "Opening Balance"},
		"opay": {layout: "opay", title: "OPay Account Statement", unicode: true, landscape: true,
			cols: []fxCol{{pdfColDate, "Trans. Time", 36, false}, {pdfColValueDate, "Value Date", 24, false}, {pdfColNarration, "Description", 70, false}, {pdfColDebit, "Debit(₦)", 26, false},
				{pdfColCredit, "Credit(₦)", 26, false}, {pdfColBalance, "Balance After(₦)", 30, false}, {pdfColOther, "Channel", 20, false}, {pdfColReference, "Transaction Reference", 44, false}},
			dateFmt: "02 Jan 2006 15:04:05", timed: true, money: plain, bf: "Opening Balance"},
		// a bank with no layout row: the generic layout reads it
		"unlisted": {layout: "generic", title: "Example Savings and Loans Ltd - e-Statement",
			cols: []fxCol{{pdfColDate, "Txn Date", 24, false}, {pdfColNarration, "Particulars", 80, false}, {pdfColAmount, "Amount", 34, false},
				{pdfColBalance, "Balance", 34, false}},
			dateFmt: "02-Jan-2006", money: plain, balance: crdr, bf: "Balance Brought Forward"},
		"moniepoint": {layout: "moniepoint", title: "Moniepoint Microfinance Bank - Statement",
			cols: []fxCol{{pdfColDate, "Date", 34, false}, {pdfColNarration, "Narration", 62, false}, {pdfColReference, "Reference", 30, false}, {pdfColDebit, "Debit", 22, false},
				{pdfColCredit, "Credit", 22, false}, {pdfColBalance, "Balance", 24, false}},
			dateFmt: "2006-01-02 15:04:05", timed: true, money: ngn, bf: "Opening Balance"},
	}
}

// fxStatement is what a fixture holds.
type fxStatement struct {
	bank    fxBank
	name    string
	number  string
	from    time.Time
	to      time.Time
	opening int64
	rows    []Row
}

// fxParty is the counterparty a "To / From" column prints.
const fxParty = "EMEKA NWOSU"

var fxNarrations = []string{
	"POS PURCHASE SHOPRITE IKEJA",
	"NIP TRANSFER FROM ADEBAYO OLUWASEUN OKONKWO FOR SCHOOL FEES AND BOOKS SECOND TERM 2025",
	"AIRTIME MTN 08031234567",
	"SALARY DECEMBER ACME NIGERIA LIMITED",
	"ATM WITHDRAWAL GTB ATM LEKKI PHASE ONE",
	"TRANSFER TO CHUKWUEMEKA NWOSU REF RENT PAYMENT FOR FLAT 3 BLOCK B GBAGADA ESTATE",
	"DSTV SUBSCRIPTION",
	"ELECTRICITY IKEDC PREPAID TOKEN",
}

// makeFx makes n rows from seed, over months months from December 2025.
func makeFx(bank fxBank, n, months int, seed uint64) fxStatement {
	r := rand.New(rand.NewPCG(seed, 7))
	from := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, months, -1)
	fx := fxStatement{bank: bank, name: "ADAEZE NNEKA OKAFOR", number: "0123456789", from: from, to: to, opening: 15000000 + int64(r.IntN(1000000))}
	bal := fx.opening
	span := to.Sub(from) + 24*time.Hour
	for i := 0; i < n; i++ {
		at := from.Add(time.Duration(int64(span) * int64(i) / int64(n)))
		row := Row{Narration: fxNarrations[r.IntN(len(fxNarrations))], Reference: fmt.Sprintf("FT25%07d", r.IntN(10000000))}
		if bank.timed {
			row.Date = at.Truncate(time.Second) // rows in time order
		} else {
			row.Date = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		}
		amt := int64(100+r.IntN(5000000)) * 1
		if r.IntN(3) == 0 || bal < amt {
			row.Credit = amt
			bal += amt
		} else {
			row.Debit = amt
			bal -= amt
		}
		b := bal
		row.Balance = &b
		fx.rows = append(fx.rows, row)
	}
	party := false
	for _, c := range bank.cols {
		party = party || c.party
	}
	for i := range fx.rows {
		if party {
			fx.rows[i].Narration = fxParty + " " + fx.rows[i].Narration
		}
		if hasKind(bank, pdfColValueDate) {
			d := fx.rows[i].Date
			fx.rows[i].ValueDate = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		}
		if !hasKind(bank, pdfColReference) {
			fx.rows[i].Reference = ""
		}
	}
	return fx
}

func hasKind(b fxBank, k pdfColKind) bool {
	for _, c := range b.cols {
		if c.kind == k {
			return true
		}
	}
	return false
}

type fxOpts struct {
	amountFont     func(row int) string // draw this row's amounts in another font
	noHeaderRepeat bool
	carry          bool // "Balance C/F" and "B/F" rows at each page break
}

// render draws the statement: a title block with the account details, the
// table with its header repeated on every page, wrapped narrations, the
// opening row, a totals line, and a footer with the page number.
func (fx fxStatement) render(t testing.TB, o fxOpts) []byte {
	t.Helper()
	b := fx.bank
	orient := "P"
	if b.landscape {
		orient = "L"
	}
	pdf := fpdf.New(orient, "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.SetCreator("Fixture Bank Reports", false)
	pdf.SetProducer("fpdf fixture", false)
	pdf.SetCreationDate(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	font := "Helvetica"
	if b.unicode {
		dir := filepath.Join("..", "statement", "fonts")
		reg, err := os.ReadFile(filepath.Join(dir, "DejaVuSansCondensed.ttf"))
		if err != nil {
			t.Fatal(err)
		}
		bold, err := os.ReadFile(filepath.Join(dir, "DejaVuSansCondensed-Bold.ttf"))
		if err != nil {
			t.Fatal(err)
		}
		pdf.AddUTF8FontFromBytes("dv", "", reg)
		pdf.AddUTF8FontFromBytes("dv", "B", bold)
		font = "dv"
	}
	pdf.SetMargins(10, 10, 10)
	pdf.SetAutoPageBreak(false, 0)
	_, pageH := pdf.GetPageSize()
	bottom := pageH - 18
	if b.landscape {
		bottom = 210 - 18
	}
	lineH := 4.0
	fmtDate := func(d time.Time) string {
		if b.timed {
			return d.In(time.FixedZone("WAT", 3600)).Format(b.dateFmt)
		}
		return d.Format(b.dateFmt)
	}
	dateOnly := b.dateFmt
	if b.timed {
		dateOnly = strings.Fields(b.dateFmt)[0]
		if strings.Contains(b.dateFmt, "Jan") {
			dateOnly = "02 Jan 2006"
		}
	}
	balance := b.balance
	if balance == nil {
		balance = b.money
	}
	header := func() {
		pdf.SetFont(font, "B", 7.5)
		for _, c := range b.cols {
			align := "L"
			if c.kind.isMoney() {
				align = "R"
			}
			pdf.CellFormat(c.width, 6, c.header, "B", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont(font, "", 7.5)
	}
	page := 0
	footer := func() {
		pdf.SetXY(10, bottom+6)
		pdf.SetFont(font, "", 6.5)
		pdf.CellFormat(150, 4, "This statement is computer generated. Please report any discrepancy within 15 days to your branch.", "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 4, fmt.Sprintf("Page %d", page), "", 0, "R", false, 0, "")
	}
	newPage := func() {
		if page > 0 {
			footer()
		}
		pdf.AddPage()
		page++
		pdf.SetFont(font, "B", 11)
		pdf.CellFormat(0, 7, b.title, "", 1, "L", false, 0, "")
		if page == 1 {
			pdf.SetFont(font, "", 8)
			kv := [][2]string{{"Account Name:", fx.name}, {"Account Number:", fx.number},
				{"Period:", fx.from.Format(dateOnly) + " to " + fx.to.Format(dateOnly)}, {"Currency:", "NGN"}}
			for _, p := range kv {
				pdf.CellFormat(32, 5, p[0], "", 0, "L", false, 0, "")
				pdf.CellFormat(100, 5, p[1], "", 1, "L", false, 0, "")
			}
			pdf.Ln(3)
		}
		if page == 1 || !o.noHeaderRepeat {
			header()
		}
	}
	narrWidth := 0.0
	for _, c := range b.cols {
		if c.kind == pdfColNarration {
			narrWidth = c.width - 4
		}
	}
	newPage()
	// a balance row: the opening "B/F" row, and with o.carry the "C/F" at
	// the foot of each page and "B/F" at the head of the next
	balanceRow := func(label string, bal int64, d time.Time) {
		first := true
		for _, c := range b.cols {
			txt := ""
			switch c.kind {
			case pdfColNarration:
				if first {
					txt = label
				}
				first = false
			case pdfColBalance:
				txt = balance(bal)
			case pdfColDate:
				txt = fmtDate(d)
			}
			align := "L"
			if c.kind.isMoney() {
				align = "R"
			}
			pdf.CellFormat(c.width, 5, txt, "", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	balanceRow(b.bf, fx.opening, fx.from)
	bal := fx.opening
	var deb, cre int64
	for i, r := range fx.rows {
		pdf.SetFont(font, "", 7.5)
		lines := wrap(pdf, strings.TrimPrefix(r.Narration, fxParty+" "), narrWidth)
		h := float64(len(lines))*lineH + 1.5
		if pdf.GetY()+h+5 > bottom {
			if o.carry {
				balanceRow("Balance C/F", bal, r.Date)
			}
			newPage()
			pdf.SetFont(font, "", 7.5)
			if o.carry {
				balanceRow("Balance B/F", bal, r.Date)
			}
		}
		y := pdf.GetY()
		x := 10.0
		for _, c := range b.cols {
			pdf.SetXY(x, y)
			txt, align := "", "L"
			switch c.kind {
			case pdfColDate:
				txt = fmtDate(r.Date)
			case pdfColValueDate:
				txt = r.ValueDate.Format(dateOnly)
			case pdfColReference:
				txt = r.Reference
			case pdfColOther:
				txt = "LAGOS"
				if c.party {
					txt = fxParty
				}
			case pdfColDebit:
				align = "R"
				if r.Debit != 0 {
					txt = b.money(r.Debit)
				}
			case pdfColCredit:
				align = "R"
				if r.Credit != 0 {
					txt = b.money(r.Credit)
				}
			case pdfColBalance:
				align, txt = "R", balance(*r.Balance)
			case pdfColAmount:
				align, txt = "R", crdr(r.Credit-r.Debit)
			}
			if c.kind == pdfColNarration {
				for k, ln := range lines {
					pdf.SetXY(x, y+float64(k)*lineH)
					pdf.CellFormat(c.width, lineH, ln, "", 0, "L", false, 0, "")
				}
			} else {
				if c.kind.isMoney() && o.amountFont != nil {
					if f := o.amountFont(i); f != "" {
						pdf.SetFont(f, "", 7.5)
					}
				}
				pdf.CellFormat(c.width, lineH, txt, "", 0, align, false, 0, "")
				pdf.SetFont(font, "", 7.5)
			}
			x += c.width
		}
		pdf.SetXY(10, y+h)
		deb += r.Debit
		cre += r.Credit
		bal = *r.Balance
	}
	if b.totals {
		if pdf.GetY()+8 > bottom {
			newPage()
		}
		pdf.SetFont(font, "B", 7.5)
		for _, c := range b.cols {
			txt, align := "", "L"
			switch c.kind {
			case pdfColDate:
				txt = "Total"
			case pdfColDebit:
				txt, align = b.money(deb), "R"
			case pdfColCredit:
				txt, align = b.money(cre), "R"
			}
			pdf.CellFormat(c.width, 6, txt, "T", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	footer()
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wrap breaks s into lines no wider than w (mm) at the current font.
func wrap(pdf *fpdf.Fpdf, s string, w float64) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		try := strings.TrimSpace(cur + " " + word)
		if cur != "" && pdf.GetStringWidth(try) > w {
			out = append(out, cur)
			cur = word
			continue
		}
		cur = try
	}
	return append(out, cur)
}
