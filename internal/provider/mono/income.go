package mono

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

var _ kobo.IncomeAnalyst = (*Provider)(nil)

// StartIncome implements kobo.IncomeAnalyst with Mono's income v2:
// GET /v2/accounts/{id}/income[?period=N] answers at once with data null
// and Mono sends the report later as mono.events.account_income
// (docs.mono.co/docs/quickstart, docs.mono.co/docs/financial-data/income).
func (p *Provider) StartIncome(ctx context.Context, s kobo.BankSession, ref string, months int) error {
	sk, err := secretKey(s.Credentials, nil)
	if err != nil {
		return err
	}
	if ref, err = p.refOf(s, ref); err != nil {
		return err
	}
	path := "/v2/accounts/" + url.PathEscape(ref) + "/income"
	if months > 0 {
		path += "?period=" + strconv.Itoa(months)
	}
	// a GET, so retried like the reads: a second request only makes Mono
	// analyse the account twice
	res, err := p.do(ctx, call{method: "GET", path: path, key: sk, retry: true, read: true})
	if err != nil {
		return err
	}
	var env struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(res.body, &env); err != nil {
		return invalid("income", err)
	}
	if env.Status != "" && !strings.EqualFold(env.Status, "successful") {
		return &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono did not take the income request", Err: fmt.Errorf("status %q", env.Status)}
	}
	return nil
}

// maxIncomePages bounds one read of the income records: kobo wants the
// newest report, and Mono's list grows by one per request.
const maxIncomePages = 20

// IncomeReports implements kobo.IncomeAnalyst:
// GET /v2/accounts/{id}/income-records (?page=, following meta.next),
// each entry {income{…}, app, created_at, updated_at}
// (docs.mono.co/api/bank-data/accounts/income-records). Newest first by
// created_at, whatever order Mono lists them in.
func (p *Provider) IncomeReports(ctx context.Context, s kobo.BankSession, ref string) ([]kobo.ProviderIncome, error) {
	sk, err := secretKey(s.Credentials, nil)
	if err != nil {
		return nil, err
	}
	if ref, err = p.refOf(s, ref); err != nil {
		return nil, err
	}
	var out []kobo.ProviderIncome
	for page, n := 1, 0; page > 0; n++ {
		if n >= maxIncomePages {
			break // the newest are on the first pages in every sample; kobo needs no more
		}
		res, err := p.do(ctx, call{method: "GET", path: "/v2/accounts/" + url.PathEscape(ref) + "/income-records?page=" + strconv.Itoa(page),
			key: sk, retry: true, read: true})
		if err != nil {
			return nil, err
		}
		reps, next, err := parseIncomeRecords(res.body)
		if err != nil {
			return nil, err
		}
		out = append(out, reps...)
		if next != 0 && next <= page {
			return nil, invalid("income records paging", errors.New("the next page goes backwards"))
		}
		page = next
	}
	slices.SortStableFunc(out, func(a, b kobo.ProviderIncome) int { return b.At.Compare(a.At) })
	return out, nil
}

// parseIncomeRecords reads one page of income records: the reports and
// the next page (0: none).
func parseIncomeRecords(body []byte) ([]kobo.ProviderIncome, int, error) {
	var env struct {
		Data []struct {
			Income    json.RawMessage `json:"income"`
			CreatedAt string          `json:"created_at"`
			UpdatedAt string          `json:"updated_at"`
		} `json:"data"`
		Meta *pageMeta `json:"meta"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, 0, invalid("income records", err)
	}
	out := make([]kobo.ProviderIncome, 0, len(env.Data))
	for i, d := range env.Data {
		rep, err := normaliseIncome(d.Income)
		if err != nil {
			return nil, 0, invalid(fmt.Sprintf("income record %d", i), err)
		}
		at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(cmp.Or(d.CreatedAt, d.UpdatedAt)))
		if err != nil {
			return nil, 0, invalid(fmt.Sprintf("income record %d", i), fmt.Errorf("created_at: %w", err))
		}
		out = append(out, kobo.ProviderIncome{At: at.UTC(), Report: rep})
	}
	next := 0
	if m := env.Meta; m != nil && m.Next != nil && *m.Next != "" {
		u, err := url.Parse(*m.Next)
		if err != nil {
			return nil, 0, invalid("income records paging", err)
		}
		n, err := strconv.Atoi(u.Query().Get("page"))
		if err != nil || n < 1 {
			return nil, 0, invalid("income records paging", errors.New("next link without a page"))
		}
		next = n
	}
	return out, next, nil
}

// incomeWire is Mono's income report as it arrives: the webhook's data
// (docs.mono.co/docs/quickstart) or a record's income{…}. Numbers are
// read loosely (Mono's fixtures write some as fractions) and the pre-2025-03-10
// report-level names (monthly_average, …) are accepted.
type incomeWire struct {
	IncomeSummary *struct {
		TotalIncome json.Number `json:"total_income"`
		Employer    string      `json:"employer"`
	} `json:"income_summary"`
	IncomeStreams                     *[]streamWire `json:"income_streams"`
	IncomeSourceType                  string        `json:"income_source_type"`
	FirstTransactionDate              *string       `json:"first_transaction_date"`
	LastTransactionDate               *string       `json:"last_transaction_date"`
	Period                            string        `json:"period"`
	NumberOfIncomeStreams             json.Number   `json:"number_of_income_streams"`
	TotalIncome                       json.Number   `json:"total_income"`
	AnnualIncome                      json.Number   `json:"annual_income"`
	MonthlyIncome                     json.Number   `json:"monthly_income"`
	AggregatedMonthlyAverage          json.Number   `json:"aggregated_monthly_average"`
	AggregatedMonthlyAverageRegular   json.Number   `json:"aggregated_monthly_average_regular"`
	AggregatedMonthlyAverageIrregular json.Number   `json:"aggregated_monthly_average_irregular"`
	MonthlyAverage                    json.Number   `json:"monthly_average"`
	MonthlyAverageRegular             json.Number   `json:"monthly_average_regular"`
	MonthlyAverageIrregular           json.Number   `json:"monthly_average_irregular"`
	TotalRegularIncomeAmount          json.Number   `json:"total_regular_income_amount"`
	TotalIrregularIncomeAmount        json.Number   `json:"total_irregular_income_amount"`
}

type streamWire struct {
	IncomeType            string      `json:"income_type"`
	Frequency             string      `json:"frequency"`
	MonthlyAverage        json.Number `json:"monthly_average"`
	AverageIncomeAmount   json.Number `json:"average_income_amount"`
	LastIncomeAmount      json.Number `json:"last_income_amount"`
	LastIncomeDescription string      `json:"last_income_description"`
	LastIncomeDate        string      `json:"last_income_date"`
	FirstIncomeDate       string      `json:"first_income_date"`
	Currency              string      `json:"currency"`
	Stability             json.Number `json:"stability"`
	PeriodsWithIncome     json.Number `json:"periods_with_income"`
	NumberOfIncomes       json.Number `json:"number_of_incomes"`
	NumberOfMonths        json.Number `json:"number_of_months"`
}

// normaliseIncome checks one of Mono's reports and writes it in kobo's
// form. A report has an income_summary or income_streams (with too little
// history Mono still sends the summary, total 0).
func normaliseIncome(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("the income report is not an object")
	}
	var w incomeWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.IncomeSummary == nil && w.IncomeStreams == nil {
		return nil, errors.New("the income report has neither income_summary nor income_streams")
	}
	var errs []error
	num := func(n json.Number, name string) int64 {
		v, err := wholeAmount(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		return v
	}
	// counts are whole and small; one past int32 is not a count
	count := func(n json.Number, name string) int {
		v := num(n, name)
		if v < 0 || v > math.MaxInt32 {
			errs = append(errs, fmt.Errorf("%s: %q is not a count", name, n))
			return 0
		}
		return int(v)
	}
	frac := func(n json.Number, name string) float64 {
		if n == "" {
			return 0
		}
		f, err := n.Float64()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
			errs = append(errs, fmt.Errorf("%s: %q is not a number", name, n))
		}
		return f
	}
	out := kobo.MonoIncome{IncomeStreams: []kobo.MonoIncomeStream{}, IncomeSourceType: clip(w.IncomeSourceType, 32), Period: clip(w.Period, 32),
		FirstTransactionDate: dateOf(w.FirstTransactionDate), LastTransactionDate: dateOf(w.LastTransactionDate),
		TotalIncome:                       num(w.TotalIncome, "total_income"),
		AnnualIncome:                      num(w.AnnualIncome, "annual_income"),
		MonthlyIncome:                     num(w.MonthlyIncome, "monthly_income"),
		AggregatedMonthlyAverage:          num(cmp.Or(w.AggregatedMonthlyAverage, w.MonthlyAverage), "aggregated_monthly_average"),
		AggregatedMonthlyAverageRegular:   num(cmp.Or(w.AggregatedMonthlyAverageRegular, w.MonthlyAverageRegular), "aggregated_monthly_average_regular"),
		AggregatedMonthlyAverageIrregular: num(cmp.Or(w.AggregatedMonthlyAverageIrregular, w.MonthlyAverageIrregular), "aggregated_monthly_average_irregular"),
		TotalRegularIncomeAmount:          num(w.TotalRegularIncomeAmount, "total_regular_income_amount"),
		TotalIrregularIncomeAmount:        num(w.TotalIrregularIncomeAmount, "total_irregular_income_amount")}
	if w.IncomeSummary != nil {
		out.IncomeSummary = kobo.MonoIncomeSummary{TotalIncome: num(w.IncomeSummary.TotalIncome, "income_summary.total_income"), Employer: clip(w.IncomeSummary.Employer, 200)}
	}
	if w.IncomeStreams != nil {
		if len(*w.IncomeStreams) > 1000 {
			return nil, errors.New("too many income streams")
		}
		for _, st := range *w.IncomeStreams {
			out.IncomeStreams = append(out.IncomeStreams, kobo.MonoIncomeStream{IncomeType: clip(st.IncomeType, 32), Frequency: clip(st.Frequency, 32),
				MonthlyAverage: num(st.MonthlyAverage, "monthly_average"), AverageIncomeAmount: frac(st.AverageIncomeAmount, "average_income_amount"),
				LastIncomeAmount: num(st.LastIncomeAmount, "last_income_amount"), LastIncomeDescription: clip(st.LastIncomeDescription, 200),
				LastIncomeDate: clip(st.LastIncomeDate, 32), FirstIncomeDate: clip(st.FirstIncomeDate, 32), Currency: currency(st.Currency),
				Stability: frac(st.Stability, "stability"), PeriodsWithIncome: count(st.PeriodsWithIncome, "periods_with_income"),
				NumberOfIncomes: count(st.NumberOfIncomes, "number_of_incomes"), NumberOfMonths: count(st.NumberOfMonths, "number_of_months")})
		}
	}
	out.NumberOfIncomeStreams = count(w.NumberOfIncomeStreams, "number_of_income_streams")
	if w.NumberOfIncomeStreams == "" {
		out.NumberOfIncomeStreams = len(out.IncomeStreams)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// wholeAmount reads a count or an amount in minor units; a fraction (of a
// kobo) is rounded, as Mono's averages are not always whole.
func wholeAmount(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	if v, err := n.Int64(); err == nil {
		return v, nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%q is not an amount", n)
	}
	return int64(math.Round(f)), nil
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n]
	}
	return s
}

func dateOf(s *string) *string {
	if s == nil {
		return nil
	}
	v := clip(*s, 32)
	return &v
}
