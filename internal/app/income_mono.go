package app

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/kobo-oss/kobo/internal/enrich"
)

// MonoIncome is Mono's income report: the data of the
// mono.events.account_income webhook and the income{…} of each
// income-records entry. Field names follow the webhook sample on
// https://docs.mono.co/docs/quickstart, the 2025-03-10 renames on
// https://docs.mono.co/api/bank-data/accounts/income-records (only the new
// aggregated_* names are sent) and the changelog's 2024-12-06 summary
// fields (total_income, annual_income, monthly_income).
type MonoIncome struct {
	Account                           string             `json:"account"`
	IncomeSummary                     MonoIncomeSummary  `json:"income_summary"`
	IncomeStreams                     []MonoIncomeStream `json:"income_streams"`
	IncomeSourceType                  string             `json:"income_source_type"`
	FirstTransactionDate              *string            `json:"first_transaction_date"`
	LastTransactionDate               *string            `json:"last_transaction_date"`
	Period                            string             `json:"period"`
	NumberOfIncomeStreams             int                `json:"number_of_income_streams"`
	TotalIncome                       int64              `json:"total_income"`
	AnnualIncome                      int64              `json:"annual_income"`
	MonthlyIncome                     int64              `json:"monthly_income"`
	AggregatedMonthlyAverage          int64              `json:"aggregated_monthly_average"`
	AggregatedMonthlyAverageRegular   int64              `json:"aggregated_monthly_average_regular"`
	AggregatedMonthlyAverageIrregular int64              `json:"aggregated_monthly_average_irregular"`
	TotalRegularIncomeAmount          int64              `json:"total_regular_income_amount"`
	TotalIrregularIncomeAmount        int64              `json:"total_irregular_income_amount"`
}

// MonoIncomeSummary is the headline: with too little history Mono still
// sends it, with total_income 0 and an empty employer.
type MonoIncomeSummary struct {
	TotalIncome int64  `json:"total_income"`
	Employer    string `json:"employer"`
}

// MonoIncomeStream is one income_streams[] item. Each stream keeps its own
// monthly_average (the 2025 rename was of the report-level fields only).
type MonoIncomeStream struct {
	IncomeType            string  `json:"income_type"` // SALARY (regular), WAGES (other earnings)
	Frequency             string  `json:"frequency"`   // MONTHLY or VARIABLE
	MonthlyAverage        int64   `json:"monthly_average"`
	AverageIncomeAmount   float64 `json:"average_income_amount"` // may be fractional, as in Mono's fixtures
	LastIncomeAmount      int64   `json:"last_income_amount"`
	LastIncomeDescription string  `json:"last_income_description"`
	LastIncomeDate        string  `json:"last_income_date"`
	FirstIncomeDate       string  `json:"first_income_date"`
	Currency              string  `json:"currency"`
	Stability             float64 `json:"stability"` // 0..1
	PeriodsWithIncome     int     `json:"periods_with_income"`
	NumberOfIncomes       int     `json:"number_of_incomes"`
	NumberOfMonths        int     `json:"number_of_months"`
}

func day(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format("2006-01-02")
	return &s
}

// NewMonoIncome shapes an analysis of months months of an account.
//
// total_income is the sum of the streams' monthly averages (the changelog's
// definition); monthly_income is what the income pays a month now (regular
// streams' recent payments plus the irregular average) and annual_income
// twelve of those.
func NewMonoIncome(account string, months int, r enrich.IncomeReport) MonoIncome {
	out := MonoIncome{Account: account, IncomeStreams: []MonoIncomeStream{}, IncomeSourceType: "BANK",
		FirstTransactionDate: day(r.FirstCredit), LastTransactionDate: day(r.LastCredit),
		Period: strconv.Itoa(months) + " months", NumberOfIncomeStreams: len(r.Streams),
		AnnualIncome: r.YearlyIncome, MonthlyIncome: r.MonthlyIncome,
		AggregatedMonthlyAverage: r.AggregatedMonthlyAverage, AggregatedMonthlyAverageRegular: r.AggregatedMonthlyAverageRegular,
		AggregatedMonthlyAverageIrregular: r.AggregatedMonthlyAverageIrregular,
		TotalRegularIncomeAmount:          r.RegularTotal, TotalIrregularIncomeAmount: r.IrregularTotal}
	if r.Type == "INCOME" {
		out.IncomeSummary.Employer = r.Employer
	}
	for _, st := range r.Streams {
		ms := MonoIncomeStream{IncomeType: "WAGES", Frequency: "VARIABLE", MonthlyAverage: st.MonthlyAmount,
			LastIncomeAmount: st.LastAmount, LastIncomeDescription: st.Payer, Currency: "NGN",
			LastIncomeDate: st.Last.UTC().Format("2006-01-02"), FirstIncomeDate: st.First.UTC().Format("2006-01-02"),
			Stability:         math.Round(math.Max(0, math.Min(1, 1-st.CV))*100) / 100,
			PeriodsWithIncome: st.Months, NumberOfIncomes: st.Payments, NumberOfMonths: r.MonthsAnalysed}
		if st.Regular {
			ms.IncomeType, ms.Frequency = "SALARY", "MONTHLY"
		}
		if st.Payments > 0 {
			ms.AverageIncomeAmount = math.Round(float64(st.Total)/float64(st.Payments)*100) / 100
		}
		out.TotalIncome += st.MonthlyAmount
		out.IncomeStreams = append(out.IncomeStreams, ms)
	}
	out.IncomeSummary.TotalIncome = out.TotalIncome
	return out
}

// Fields is the report as a JSON object's fields (for the webhook payload).
func (m MonoIncome) Fields() map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// StoredIncome reads a stored analysis result. Records written before kobo
// sent Mono's shape hold {income_summary{type, employer, …}, income_streams[{payer, …}]};
// they are carried over field by field so old records list in the new shape.
func StoredIncome(account string, months int, raw []byte) (MonoIncome, bool) {
	var probe struct {
		Period     string  `json:"period"`
		SourceType *string `json:"income_source_type"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return MonoIncome{}, false
	}
	// Mono's shape always has income_source_type; an upstream's report may
	// lack the period
	if probe.Period != "" || probe.SourceType != nil {
		var m MonoIncome
		if json.Unmarshal(raw, &m) != nil {
			return MonoIncome{}, false
		}
		return m, true
	}
	var old IncomeResult
	if json.Unmarshal(raw, &old) != nil {
		return MonoIncome{}, false
	}
	r := enrich.IncomeReport{Type: old.Summary.Type, Employer: old.Summary.Employer, MonthlyIncome: old.Summary.MonthlyIncome,
		YearlyIncome: old.Summary.YearlyIncome, MonthsAnalysed: old.Summary.MonthsAnalysed,
		AggregatedMonthlyAverage: old.Summary.AggregatedMonthlyAverage, AggregatedMonthlyAverageRegular: old.Summary.AggregatedMonthlyAverageRegular,
		AggregatedMonthlyAverageIrregular: old.Summary.AggregatedMonthlyAverageIrregular}
	for _, st := range old.Streams {
		first, _ := time.Parse("2006-01-02", st.FirstPayment)
		last, _ := time.Parse("2006-01-02", st.LastPayment)
		r.Streams = append(r.Streams, enrich.Stream{Payer: st.Payer, Regular: st.Regular, MonthlyAmount: st.MonthlyAmount, Payments: st.Payments,
			First: first, Last: last, Total: st.MonthlyAmount * int64(max(1, old.Summary.MonthsAnalysed))})
	}
	return NewMonoIncome(account, months, r), true
}
