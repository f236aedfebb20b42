package enrich

import (
	"math"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Income analysis
//
// AnalyzeIncome estimates what an account holder earns from the credits
// in their history:
//
//  1. Candidate credits: every credit except reversals and refunds, loan
//     disbursements, and transfers between the holder's own accounts
//     (narrations naming "SELF" or "OWN ACCOUNT").
//  2. Payers: each credit's narration is reduced to its counterparty
//     ("SALARY ANDELA NIGERIA LTD JUN 2026" and "NIP FRM ANDELA NIGERIA
//     LTD/SALARY FOR JUN 2026" are both ANDELA NIGERIA LTD): transfer
//     prefixes, bank codes, purposes after "/", month names, dates and
//     numbers are removed.
//  3. Streams: credits are grouped by payer. Only payers that look like
//     earnings count: narrations that say salary/payroll/wages, or invoice,
//     payment for, commission, contract, sales; or a payer that is a
//     business (LTD, PLC, LIMITED, …). Money from people (friends and family,
//     however regular) is not income. An earning stream is regular when it
//     pays roughly monthly (median interval 25–35 days) at least twice with
//     similar amounts (coefficient of variation ≤ 0.2, or any spread when
//     labelled salary), or when it is labelled salary and has paid once so
//     far; other earning streams are irregular income. A regular stream
//     whose last payment is more than 45 days old has ended (a job change):
//     it counts in the averages but not in today's monthly income.
//  4. Figures, per calendar month of the analysed window (from the first
//     credit, at most `months` back, to now):
//     - monthly_income: what regular streams pay a month now (each
//     stream's median over its last three payments), plus the monthly
//     average of irregular income;
//     - yearly_income: monthly_income × 12 (Mono's example relation);
//     - average_income: the average single income payment;
//     - aggregated monthly averages: all, regular and irregular income
//     divided by the months analysed.
//  5. The v1 summary: type INCOME with the largest regular stream's
//     monthly amount and payer (the employer), or AVG_INCOME with the
//     monthly average of irregular income when there is no regular
//     stream.
//
// Confidence (0..1) starts from 0.95 for a regular stream (0.6 for
// irregular income only) and is multiplied by:
//   - history: min(1, payments/6), so three months of salary give 0.5;
//   - amount stability: max(0.2, 1 − 2·CV) of the stream's amounts;
//   - cadence: max(0.2, 1 − |median interval − 30.4| / 10) and the share of
//     months in the stream's span that had a payment (missed months lower it).
//
// It never looks at balances: income is what comes in, not what is left.

// Stream is one source of income.
type Stream struct {
	Payer         string
	Regular       bool
	Payments      int
	MonthlyAmount int64 // what it pays a month (regular: recent median; irregular: monthly average)
	Total         int64
	CV            float64 // coefficient of variation of amounts
	MedianGapDays float64
	First, Last   time.Time
	Confidence    float64
	LastAmount    int64 // the most recent payment
	Salary        bool  // a narration says salary, payroll or wages
	Months        int   // calendar months with at least one payment
}

// IncomeReport is the analysis of an account.
type IncomeReport struct {
	Type           string // "INCOME" (regular income found) or "AVG_INCOME"
	Amount         int64  // monthly, kobo
	Employer       string
	Confidence     float64
	AverageIncome  int64 // average single income payment
	MonthlyIncome  int64
	YearlyIncome   int64
	IncomeSources  int
	Streams        []Stream
	MonthsAnalysed int
	// Mono v2's aggregated monthly averages (renamed 2025-03-10).
	AggregatedMonthlyAverage          int64
	AggregatedMonthlyAverageRegular   int64
	AggregatedMonthlyAverageIrregular int64
	FirstPayment, LastPayment         *time.Time
	// The window's credits (all of them, income or not) and what regular
	// and irregular streams paid in total: Mono's report fields.
	FirstCredit, LastCredit      *time.Time
	RegularTotal, IrregularTotal int64
}

var (
	excludeCredit = []string{"REVERSAL", "REV/", "RVSL", "REVERSED", "REFUND", "RETURNED", "CHARGEBACK", "LOAN", "DISBURSE", "CARBON", "FAIRMONEY",
		"RENMONEY", "PALMCREDIT", "OKASH", "AELLA", " SELF", "OWN ACCOUNT", "INTEREST", "WHT"}
	salaryWords  = []string{"SALARY", "SAL/", "SAL ", "PAYROLL", "WAGES", "STIPEND", "PENSION"}
	earningWords = []string{"INVOICE", "PAYMENT FOR", "COMMISSION", "CONTRACT", "SALES", "CONSULT", "PROCEEDS", "FEES FOR", "PROFESSIONAL"}
	businessWord = []string{" LTD", " LIMITED", " PLC", " NIGERIA", " ENTERPRISE", " VENTURES", " TECHNOLOGIES", " TECHNOLOGY", " SERVICES", " MEDIA",
		" FINANCIAL", " SOLUTIONS", " GROUP", " HOLDINGS", " COMPANY", " CO", " INC", " INTL", " PAYMENTS", " SAVINGS", " MFB", " BANK"}
	monthWords = map[string]bool{"JAN": true, "FEB": true, "MAR": true, "APR": true, "MAY": true, "JUN": true, "JUL": true, "AUG": true, "SEP": true,
		"SEPT": true, "OCT": true, "NOV": true, "DEC": true, "JANUARY": true, "FEBRUARY": true, "MARCH": true, "APRIL": true, "JUNE": true, "JULY": true,
		"AUGUST": true, "SEPTEMBER": true, "OCTOBER": true, "NOVEMBER": true, "DECEMBER": true}
	noiseWords = map[string]bool{"NIP": true, "FRM": true, "FROM": true, "TRF": true, "TRANSFER": true, "SALARY": true, "SAL": true, "PAYROLL": true,
		"WAGES": true, "PAYMENT": true, "FOR": true, "THE": true, "OF": true, "MOB": true, "UTO": true, "FT": true, "FIP": true, "NEFT": true,
		"INWARD": true, "CREDIT": true, "TO": true, "AND": true, "MONTH": true, "STIPEND": true, "PENSION": true, "BY": true, "VIA": true, "-": true}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// Payer reduces a credit's narration to its counterparty.
func Payer(narration string) string {
	n := strings.ToUpper(narration)
	// "NIP FRM NAME/PURPOSE": the payer is before the first "/" after FRM
	if i := strings.Index(n, " FRM "); i >= 0 {
		n = n[i+5:]
	} else if strings.HasPrefix(n, "NIP FRM ") {
		n = n[8:]
	}
	if strings.HasPrefix(n, "SAL/") {
		n = n[4:]
	}
	if i := strings.IndexByte(n, '/'); i > 0 {
		n = n[:i]
	}
	words := strings.FieldsFunc(n, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ':' })
	out := words[:0]
	for _, w := range words {
		if noiseWords[w] || monthWords[w] || isDateish(w) {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// isDateish says whether a word is a number, a year or a date like JUN26.
func isDateish(w string) bool {
	digits := 0
	for _, r := range w {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if digits == len(w) || strings.ContainsAny(w, "-.") {
		return true
	}
	for m := range monthWords { // JUN26, JUNE2026
		if strings.HasPrefix(w, m) {
			return true
		}
	}
	return false
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

func cv(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	if mean == 0 {
		return 0
	}
	return math.Sqrt(v/float64(len(xs))) / mean
}

// monthsBetween counts calendar months touched by [a, b].
func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month()) + 1
}

// AnalyzeIncome estimates income from txns (any order), looking back at
// most `months` months from now (0 = 12).
func AnalyzeIncome(txns []kobo.Transaction, now time.Time, months int) IncomeReport {
	if months <= 0 {
		months = 12
	}
	start := now.AddDate(0, -months, 0)
	type pay struct {
		at     time.Time
		amount int64
		salary bool
		earn   bool
	}
	byPayer := map[string][]pay{}
	var first, last time.Time
	for _, t := range txns {
		if t.Type != kobo.Credit || t.Date.Before(start) || t.Date.After(now) || t.Amount <= 0 {
			continue
		}
		n := " " + strings.ToUpper(t.Narration) + " "
		if containsAny(n, excludeCredit) {
			continue
		}
		p := Payer(t.Narration)
		if p == "" {
			continue
		}
		byPayer[p] = append(byPayer[p], pay{at: t.Date, amount: t.Amount, salary: containsAny(n, salaryWords), earn: containsAny(n, earningWords)})
		if first.IsZero() || t.Date.Before(first) {
			first = t.Date
		}
		if t.Date.After(last) {
			last = t.Date
		}
	}
	r := IncomeReport{Type: "AVG_INCOME"}
	if first.IsZero() {
		return r
	}
	r.MonthsAnalysed = max(1, monthsBetween(first, now))
	r.FirstCredit, r.LastCredit = &first, &last
	var regularMonthly, irregularTotal, incomeTotal int64
	var incomePayments int
	for payer, ps := range byPayer {
		sort.Slice(ps, func(i, j int) bool { return ps[i].at.Before(ps[j].at) })
		amounts := make([]float64, len(ps))
		salary, earn := false, false
		var total int64
		for i, p := range ps {
			amounts[i] = float64(p.amount)
			salary, earn = salary || p.salary, earn || p.earn
			total += p.amount
		}
		var gaps []float64
		for i := 1; i < len(ps); i++ {
			gaps = append(gaps, ps[i].at.Sub(ps[i-1].at).Hours()/24)
		}
		gap := median(gaps)
		monthly := len(ps) >= 2 && gap >= 25 && gap <= 35
		months := map[string]bool{}
		for _, p := range ps {
			months[p.at.Format("2006-01")] = true
		}
		s := Stream{Payer: payer, Payments: len(ps), Total: total, CV: cv(amounts), MedianGapDays: gap, First: ps[0].at, Last: ps[len(ps)-1].at,
			LastAmount: ps[len(ps)-1].amount, Salary: salary, Months: len(months)}
		business := containsAny(" "+payer, businessWord)
		if !salary && !earn && !business {
			continue // money from people, however regular, is not income
		}
		switch {
		case (monthly && (s.CV <= 0.2 || salary)) || (salary && len(ps) == 1):
			s.Regular = true
			recent := amounts[max(0, len(amounts)-3):]
			s.MonthlyAmount = int64(median(recent))
			cadence := 1.0
			if len(ps) >= 2 {
				cadence = math.Max(0.2, 1-math.Abs(gap-30.4)/10)
			}
			coverage := math.Min(1, float64(len(ps))/float64(monthsBetween(s.First, s.Last)))
			s.Confidence = 0.95 * math.Min(1, float64(len(ps))/6) * math.Max(0.2, 1-2*s.CV) * cadence * coverage
			if now.Sub(s.Last) <= 45*24*time.Hour {
				regularMonthly += s.MonthlyAmount
			}
			r.RegularTotal += total
		default:
			s.MonthlyAmount = total / int64(r.MonthsAnalysed)
			s.Confidence = 0.6 * math.Min(1, float64(r.MonthsAnalysed)/6) * math.Max(0.2, 1-s.CV)
			irregularTotal += total
			r.IrregularTotal += total
		}
		incomeTotal += total
		incomePayments += len(ps)
		r.Streams = append(r.Streams, s)
		if r.FirstPayment == nil || s.First.Before(*r.FirstPayment) {
			f := s.First
			r.FirstPayment = &f
		}
		if r.LastPayment == nil || s.Last.After(*r.LastPayment) {
			l := s.Last
			r.LastPayment = &l
		}
	}
	active := func(s Stream) bool { return s.Regular && now.Sub(s.Last) <= 45*24*time.Hour }
	sort.Slice(r.Streams, func(i, j int) bool {
		a, b := r.Streams[i], r.Streams[j]
		if active(a) != active(b) {
			return active(a)
		}
		if a.Regular != b.Regular {
			return a.Regular
		}
		if a.MonthlyAmount != b.MonthlyAmount {
			return a.MonthlyAmount > b.MonthlyAmount
		}
		return a.Payer < b.Payer
	})
	r.IncomeSources = len(r.Streams)
	if incomePayments > 0 {
		r.AverageIncome = incomeTotal / int64(incomePayments)
	}
	irregularMonthly := irregularTotal / int64(r.MonthsAnalysed)
	r.MonthlyIncome = regularMonthly + irregularMonthly
	r.YearlyIncome = r.MonthlyIncome * 12
	r.AggregatedMonthlyAverage = incomeTotal / int64(r.MonthsAnalysed)
	r.AggregatedMonthlyAverageIrregular = irregularMonthly
	r.AggregatedMonthlyAverageRegular = r.AggregatedMonthlyAverage - irregularMonthly
	if len(r.Streams) == 0 {
		return r
	}
	top := r.Streams[0]
	r.Employer, r.Confidence = top.Payer, round2(top.Confidence)
	if active(top) {
		r.Type, r.Amount = "INCOME", top.MonthlyAmount
	} else {
		r.Amount = irregularMonthly
	}
	return r
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
