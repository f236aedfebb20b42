package app

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/kobo-oss/kobo/internal/enrich"
	"github.com/kobo-oss/kobo/internal/kobo"
)

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
func NewMonoIncome(account string, months int, r enrich.IncomeReport) kobo.MonoIncome {
	out := kobo.MonoIncome{Account: account, IncomeStreams: []kobo.MonoIncomeStream{}, IncomeSourceType: "BANK",
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
		ms := kobo.MonoIncomeStream{IncomeType: "WAGES", Frequency: "VARIABLE", MonthlyAverage: st.MonthlyAmount,
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

// StoredIncome reads a stored analysis result. Records written before kobo
// sent Mono's shape hold {income_summary{type, employer, …}, income_streams[{payer, …}]};
// they are carried over field by field so old records list in the new shape.
func StoredIncome(account string, months int, raw []byte) (kobo.MonoIncome, bool) {
	var probe struct {
		Period     string  `json:"period"`
		SourceType *string `json:"income_source_type"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return kobo.MonoIncome{}, false
	}
	// Mono's shape always has income_source_type; an upstream's report may
	// lack the period
	if probe.Period != "" || probe.SourceType != nil {
		var m kobo.MonoIncome
		if json.Unmarshal(raw, &m) != nil {
			return kobo.MonoIncome{}, false
		}
		return m, true
	}
	var old IncomeResult
	if json.Unmarshal(raw, &old) != nil {
		return kobo.MonoIncome{}, false
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
