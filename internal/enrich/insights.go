package enrich

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Statement insights: the report Mono's statement-insights enrichment
// produces, computed from an account's transactions. The variables are the
// ones support.mono.co's "Statement insights" article lists; the grouping
// (insights, transaction_details, inflow, outflow, recurring_transactions)
// is the record shape client libraries read.

var lagos = time.FixedZone("WAT", 3600)

// Insights is a statement-insights report.
type Insights struct {
	Insights              InsightsSummary    `json:"insights"`
	TransactionDetails    TransactionDetails `json:"transaction_details"`
	Inflow                Flow               `json:"inflow"`
	Outflow               Flow               `json:"outflow"`
	RecurringTransactions []Recurring        `json:"recurring_transactions"`
}

// InsightsSummary is the headline of a report.
type InsightsSummary struct {
	Account             string           `json:"account"`
	StartDate           string           `json:"start_date"` // YYYY-MM-DD
	EndDate             string           `json:"end_date"`
	TransactionLength   int              `json:"transaction_length"` // days
	TransactionCount    int              `json:"transaction_count"`
	BalanceAfterExpense int64            `json:"balance_after_expense"` // credits minus debits
	AccountSummary      AccountSummary   `json:"account_summary"`
	ActivityInsights    ActivityInsights `json:"activity_insights"`
}

// AccountSummary is the totals of the period.
type AccountSummary struct {
	OpeningBalance            int64   `json:"opening_balance"`
	ClosingBalance            int64   `json:"closing_balance"`
	AverageBalance            int64   `json:"average_balance"` // of end-of-day balances
	DebitToCreditRatio        float64 `json:"debit_to_credit_ratio"`
	OverallCredits            int64   `json:"overall_credits"`
	OverallDebits             int64   `json:"overall_debits"`
	NumberOfCreditTransaction int     `json:"number_of_credit_transactions"`
	NumberOfDebitTransaction  int     `json:"number_of_debit_transactions"`
	TotalRecurringCredits     int64   `json:"total_recurring_credits"`
	TotalRecurringDebits      int64   `json:"total_recurring_debits"`
}

// ActivityInsights are the report's flags.
type ActivityInsights struct {
	// a debit of at least half a salary within two days of it
	ImmediateLargeWithdrawalPostPayday bool `json:"immediate_large_withdrawal_post_payday"`
	// a credit paid out again, to the kobo, within a day
	IdenticalDebitVsCredit bool `json:"identical_debit_vs_credit"`
	// cash deposits add up to more than the salaries
	CashDepositsLargerThanSalary bool `json:"cash_deposits_larger_than_salary"`
}

// TransactionDetails are the largest movements.
type TransactionDetails struct {
	HighestDebits  []Brief `json:"highest_debits"`
	HighestCredits []Brief `json:"highest_credits"`
}

// Brief is one transaction in a list of the largest.
type Brief struct {
	Amount    int64  `json:"amount"`
	Date      string `json:"date"`
	Narration string `json:"narration"`
}

// Flow is money in or out, all of it and the recurring part.
type Flow struct {
	AllTransaction     FlowSums `json:"all_transaction"`
	RepeatTransactions FlowSums `json:"repeat_transactions"`
}

// FlowSums are monthly sums and their averages.
type FlowSums struct {
	AveragePerMonth AveragePerMonth    `json:"average_per_month"`
	MonthlySum      []map[string]int64 `json:"monthly_sum"` // [{"2026-03": 123}], oldest first
}

// AveragePerMonth averages a flow over the last 12 months of the period
// and over all of it.
type AveragePerMonth struct {
	Last12Months          int64 `json:"last_12_months"`
	SinceFirstTransaction int64 `json:"since_first_transaction"`
}

// Recurring is a counterparty paid, or paying, in three months or more.
type Recurring struct {
	Narration     string `json:"narration"` // the counterparty, as the narrations name it
	Type          string `json:"type"`      // credit or debit
	Count         int    `json:"count"`
	Months        int    `json:"months"`
	AverageAmount int64  `json:"average_amount"`
	Total         int64  `json:"total"`
	FirstDate     string `json:"first_date"`
	LastDate      string `json:"last_date"`
}

func day(t time.Time) string { return t.In(lagos).Format("2006-01-02") }

// counterparty groups narrations that name the same payer or payee.
func counterparty(t kobo.Transaction) string {
	if t.Type == kobo.Credit {
		return Payer(t.Narration)
	}
	n := strings.ToUpper(t.Narration)
	parts := strings.FieldsFunc(n, func(r rune) bool { return r == '/' || r == '*' })
	if len(parts) >= 3 && (strings.HasPrefix(n, "NIP/") || strings.HasPrefix(n, "MOB/")) {
		return parts[2] // NIP/BANK/NAME/PURPOSE
	}
	// drop digits and dates so "SMS ALERT CHARGES MAR 2026" groups by month
	var kept []string
	for _, w := range strings.Fields(strings.Join(parts, " ")) {
		if strings.IndexFunc(w, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 || monthWords[w] {
			continue
		}
		kept = append(kept, w)
	}
	return strings.Join(kept, " ")
}

// StatementInsights computes the report over txns (any order).
func StatementInsights(account string, txns []kobo.Transaction) Insights {
	rows := slices.Clone(txns)
	slices.SortStableFunc(rows, func(a, b kobo.Transaction) int { return a.Date.Compare(b.Date) })
	in := Insights{RecurringTransactions: []Recurring{}, TransactionDetails: TransactionDetails{HighestDebits: []Brief{}, HighestCredits: []Brief{}}}
	in.Insights.Account = account
	in.Inflow.AllTransaction.MonthlySum, in.Inflow.RepeatTransactions.MonthlySum = []map[string]int64{}, []map[string]int64{}
	in.Outflow.AllTransaction.MonthlySum, in.Outflow.RepeatTransactions.MonthlySum = []map[string]int64{}, []map[string]int64{}
	if len(rows) == 0 {
		return in
	}
	first, last := rows[0], rows[len(rows)-1]
	s := &in.Insights
	s.StartDate, s.EndDate, s.TransactionCount = day(first.Date), day(last.Date), len(rows)
	d0, _ := time.ParseInLocation("2006-01-02", s.StartDate, lagos)
	d1, _ := time.ParseInLocation("2006-01-02", s.EndDate, lagos)
	s.TransactionLength = int(d1.Sub(d0).Hours()/24) + 1
	sum := &s.AccountSummary
	if first.Balance != nil {
		sum.OpeningBalance = *first.Balance - signed(first)
	}
	if last.Balance != nil {
		sum.ClosingBalance = *last.Balance
	}

	// recurring counterparties: three calendar months or more
	type group struct {
		rec    Recurring
		months map[string]bool
	}
	groups := map[string]*group{}
	for _, t := range rows {
		k := string(t.Type) + "|" + counterparty(t)
		g := groups[k]
		if g == nil {
			g = &group{rec: Recurring{Narration: counterparty(t), Type: string(t.Type), FirstDate: day(t.Date)}, months: map[string]bool{}}
			groups[k] = g
		}
		g.rec.Count++
		g.rec.Total += t.Amount
		g.rec.LastDate = day(t.Date)
		g.months[t.Date.In(lagos).Format("2006-01")] = true
	}
	recurring := map[string]bool{}
	for k, g := range groups {
		if len(g.months) < 3 || strings.TrimSpace(g.rec.Narration) == "" {
			continue
		}
		g.rec.Months, g.rec.AverageAmount = len(g.months), g.rec.Total/int64(g.rec.Count)
		recurring[k] = true
		in.RecurringTransactions = append(in.RecurringTransactions, g.rec)
	}
	sort.Slice(in.RecurringTransactions, func(i, j int) bool {
		a, b := in.RecurringTransactions[i], in.RecurringTransactions[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		return a.Narration < b.Narration
	})

	months := map[string][4]int64{} // credits, debits, recurring credits, recurring debits
	var salaries, cash int64
	var balanceDays, balanceSum int64
	bal, lastDay := sum.OpeningBalance, d0
	for i, t := range rows {
		rec := recurring[string(t.Type)+"|"+counterparty(t)]
		m := months[t.Date.In(lagos).Format("2006-01")]
		n := strings.ToUpper(t.Narration)
		if t.Type == kobo.Credit {
			sum.OverallCredits += t.Amount
			sum.NumberOfCreditTransaction++
			m[0] += t.Amount
			if rec {
				m[2] += t.Amount
				sum.TotalRecurringCredits += t.Amount
			}
			if containsAny(n, salaryWords) {
				salaries += t.Amount
				for _, u := range rows[i+1:] {
					if u.Date.Sub(t.Date) > 48*time.Hour {
						break
					}
					if u.Type == kobo.Debit && u.Amount*2 >= t.Amount {
						s.ActivityInsights.ImmediateLargeWithdrawalPostPayday = true
					}
				}
			}
			if containsAny(n, []string{"CASH DEPOSIT", "CASH DEP", "CSH DEP", "TELLER"}) {
				cash += t.Amount
			}
			for _, u := range rows[i+1:] {
				if u.Date.Sub(t.Date) > 24*time.Hour {
					break
				}
				if u.Type == kobo.Debit && u.Amount == t.Amount {
					s.ActivityInsights.IdenticalDebitVsCredit = true
				}
			}
		} else {
			sum.OverallDebits += t.Amount
			sum.NumberOfDebitTransaction++
			m[1] += t.Amount
			if rec {
				m[3] += t.Amount
				sum.TotalRecurringDebits += t.Amount
			}
		}
		months[t.Date.In(lagos).Format("2006-01")] = m
		// end-of-day balances, carried over days without transactions
		td, _ := time.ParseInLocation("2006-01-02", day(t.Date), lagos)
		if td.After(lastDay) {
			gap := int64(td.Sub(lastDay).Hours() / 24)
			balanceSum += bal * gap
			balanceDays += gap
			lastDay = td
		}
		if t.Balance != nil {
			bal = *t.Balance
		} else {
			bal += signed(t)
		}
	}
	balanceSum += bal
	balanceDays++
	sum.AverageBalance = balanceSum / balanceDays
	s.ActivityInsights.CashDepositsLargerThanSalary = cash > salaries
	s.BalanceAfterExpense = sum.OverallCredits - sum.OverallDebits
	if sum.OverallCredits > 0 {
		sum.DebitToCreditRatio = math.Round(float64(sum.OverallDebits)/float64(sum.OverallCredits)*100) / 100
	}

	keys := make([]string, 0, len(months))
	for k := range months {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	flows := []*FlowSums{&in.Inflow.AllTransaction, &in.Outflow.AllTransaction, &in.Inflow.RepeatTransactions, &in.Outflow.RepeatTransactions}
	for i, f := range flows {
		var total, last12 int64
		for j, k := range keys {
			v := months[k][i]
			f.MonthlySum = append(f.MonthlySum, map[string]int64{k: v})
			total += v
			if j >= len(keys)-12 {
				last12 += v
			}
		}
		f.AveragePerMonth.SinceFirstTransaction = total / int64(len(keys))
		f.AveragePerMonth.Last12Months = last12 / int64(min(12, len(keys)))
	}

	top := func(typ kobo.TxnType) []Brief {
		var xs []kobo.Transaction
		for _, t := range rows {
			if t.Type == typ {
				xs = append(xs, t)
			}
		}
		slices.SortStableFunc(xs, func(a, b kobo.Transaction) int {
			if a.Amount != b.Amount {
				return int(b.Amount - a.Amount)
			}
			return b.Date.Compare(a.Date)
		})
		out := []Brief{}
		for _, t := range xs[:min(3, len(xs))] {
			out = append(out, Brief{Amount: t.Amount, Date: day(t.Date), Narration: t.Narration})
		}
		return out
	}
	in.TransactionDetails.HighestDebits, in.TransactionDetails.HighestCredits = top(kobo.Debit), top(kobo.Credit)
	return in
}

func signed(t kobo.Transaction) int64 {
	if t.Type == kobo.Credit {
		return t.Amount
	}
	return -t.Amount
}

// Metadata is what Mono's transaction-metadata enrichment adds to a
// transaction (docs.mono.co/docs/financial-data/enrichment/transaction-metadata):
// "N/A" where the narration does not say, reason "" when there is none.
type Metadata struct {
	Category         string `json:"category"`
	Channel          string `json:"channel"`
	Payee            string `json:"payee"`
	PaymentMethod    string `json:"payment_method"`
	RefNum           string `json:"ref_num"`
	PaymentProcessor string `json:"payment_processor"`
	Location         string `json:"location"`
	Reason           string `json:"reason"`
}

var (
	refPattern = regexp.MustCompile(`\b[A-Z0-9]{10,30}\b`)
	// the most specific place first: "SHOPRITE IKEJA LAGOS" is in Ikeja
	places = []string{"IKEJA", "LEKKI", "YABA", "SURULERE", "VICTORIA ISLAND", "IKOYI", "AJAH", "MARINA", "ALLEN AVENUE", "ADMIRALTY",
		"PORT HARCOURT", "LAGOS", "ABUJA", "IBADAN", "KANO", "KADUNA", "ENUGU", "ABEOKUTA", "ONITSHA", "BENIN"}
	reasons = []struct {
		words  []string
		reason string
	}{
		{[]string{"STAMP DUTY", "EMT LEVY", "ELECTRONIC MONEY TRANSFER LEVY"}, "Stamp duty"},
		{[]string{"VAT ON", "VAT/", "VALUE ADDED TAX"}, "VAT"},
		{[]string{"WHT", "WITHHOLDING TAX"}, "Withholding tax"},
		{[]string{"SMS ALERT", "SMS CHARGE", "ALERT CHARGE"}, "SMS alert fee"},
		{[]string{"CARD MAINTENANCE", "MAINTENANCE FEE", "ACCOUNT MAINTENANCE"}, "Maintenance fee"},
		{[]string{"COMMISSION", "COMM ON TURNOVER", "COT "}, "Commission"},
		{[]string{"TRANSFER FEE", "NIP CHARGE", "NIP FEE"}, "Transfer fee"},
		{[]string{"INTEREST PAID", "INTEREST CREDIT"}, "Interest"},
		{[]string{"REVERSAL", "REVERSED", "RVSL"}, "Reversal"},
	}
)

// TransactionMetadata reads what a narration says about a transaction.
func TransactionMetadata(t kobo.Transaction) Metadata {
	n := " " + strings.ToUpper(t.Narration) + " "
	m := Metadata{Category: Categorize(t.Narration, t.Type, t.Amount), Channel: "N/A", Payee: "N/A", PaymentMethod: "N/A", RefNum: "N/A",
		PaymentProcessor: "N/A", Location: "N/A"}
	for _, c := range []struct{ word, channel string }{{"NIP", "NIP"}, {"NEFT", "NEFT"}, {"POS/WEB", "POS/WEB"}, {"POS", "POS"}, {"WEB", "WEB"}} {
		if strings.Contains(n, c.word) {
			m.Channel = c.channel
			break
		}
	}
	switch {
	case strings.Contains(n, "PSTK") || strings.Contains(n, "PAYSTACK"):
		m.PaymentMethod, m.PaymentProcessor = "Paystack", "Paystack"
	case strings.Contains(n, "FLW") || strings.Contains(n, "RAVE") || strings.Contains(n, "FLUTTERWAVE"):
		m.PaymentMethod, m.PaymentProcessor = "Flutterwave", "Flutterwave"
	case strings.Contains(n, "ISW") || strings.Contains(n, "INTERSWITCH") || strings.Contains(n, "QUICKTELLER"):
		m.PaymentMethod, m.PaymentProcessor = "Interswitch", "Interswitch"
	}
	if p := counterparty(t); (m.Channel == "NIP" || strings.HasPrefix(strings.TrimSpace(n), "MOB/")) && p != "" {
		m.Payee = p // the named counterparty of a transfer
	}
	for _, tok := range refPattern.FindAllString(n, -1) {
		digits := strings.Count(tok, "0") + strings.Count(tok, "1") + strings.Count(tok, "2") + strings.Count(tok, "3") + strings.Count(tok, "4") +
			strings.Count(tok, "5") + strings.Count(tok, "6") + strings.Count(tok, "7") + strings.Count(tok, "8") + strings.Count(tok, "9")
		if digits >= 6 && digits < len(tok) { // letters and digits: a reference, not a phone number
			m.RefNum = tok
			break
		}
	}
	for _, p := range places {
		if strings.Contains(n, " "+p+" ") {
			m.Location = titleCase(p)
			break
		}
	}
	for _, r := range reasons {
		if containsAny(n, r.words) {
			m.Reason = r.reason
			break
		}
	}
	return m
}

// Affordability is a credit-worthiness decision (docs.mono.co/docs/financial-data/credit-worthiness):
// the debt service coverage ratio, net disposable income over total debt
// service, where debt service is the existing loans' monthly repayments
// plus the new loan's instalment P·i / (1 − (1+i)^−n).
type Affordability struct {
	MonthlyPayment      int64   // the new loan's instalment, kobo
	NetDisposableIncome int64   // a month, kobo
	DebtService         int64   // a month, kobo: existing repayments and the instalment
	DSCR                float64 // NetDisposableIncome / DebtService
	Risk                string  // Mono's band for the DSCR
	CanAfford           bool
}

// AffordabilityThreshold is the lowest DSCR kobo calls affordable: the
// bottom of Mono's "low risk" band (1.31–1.50). Mono does not say which band
// makes can_afford true.
const AffordabilityThreshold = 1.31

// Afford decides whether a loan of principal (kobo) at monthlyRate percent
// a month over term months is affordable for an account whose months
// averaged income and spending (kobo a month, spending including the
// existing repayments), with existing monthly repayments.
func Afford(principal int64, monthlyRate float64, term int, income, spending, existing int64) Affordability {
	i := monthlyRate / 100
	var pay float64
	if i == 0 {
		pay = float64(principal) / float64(term)
	} else {
		pay = float64(principal) * i / (1 - math.Pow(1+i, -float64(term)))
	}
	a := Affordability{MonthlyPayment: int64(math.Round(pay))}
	// what is left each month before debt: income less what is spent on
	// everything but the loans already being repaid
	a.NetDisposableIncome = income - (spending - existing)
	a.DebtService = existing + a.MonthlyPayment
	if a.DebtService > 0 {
		a.DSCR = math.Round(float64(a.NetDisposableIncome)/float64(a.DebtService)*100) / 100
	}
	switch d := a.DSCR; {
	case d > 2:
		a.Risk = "minimal"
	case d > 1.5:
		a.Risk = "very_low"
	case d > 1.3:
		a.Risk = "low"
	case d > 1.2:
		a.Risk = "moderate"
	case d > 1.1:
		a.Risk = "high"
	default:
		a.Risk = "critical"
	}
	a.CanAfford = a.DSCR >= AffordabilityThreshold
	return a
}

// titleCase capitalises each word of an ASCII name.
func titleCase(s string) string {
	w := strings.Fields(strings.ToLower(s))
	for i, x := range w {
		w[i] = strings.ToUpper(x[:1]) + x[1:]
	}
	return strings.Join(w, " ")
}
