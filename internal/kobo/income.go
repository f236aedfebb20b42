package kobo

import (
	"context"
	"encoding/json"
	"time"
)

// IncomeAnalyst is implemented by providers whose upstream analyses an
// account's income itself (Mono's income v2): for an account linked
// through one, kobo's income request is the upstream's, and the partner
// gets the upstream's report rather than kobo's own analysis of the
// transactions it copied. The upstream answers later: by its webhook (a
// ProviderIncomeReady event from WebhookReceiver) or in IncomeReports,
// which kobo polls until one of the two arrives.
type IncomeAnalyst interface {
	// StartIncome asks the upstream to analyse months months of the
	// account's history (0: all it holds). It returns once the upstream
	// took the request, not when the report is ready.
	StartIncome(ctx context.Context, s BankSession, ref string, months int) error
	// IncomeReports lists the reports the upstream has made for the
	// account, newest first.
	IncomeReports(ctx context.Context, s BankSession, ref string) ([]ProviderIncome, error)
}

// ProviderIncome is one income report an upstream made. Report is in the
// shape of Mono's mono.events.account_income data (income_summary,
// income_streams, the aggregated_* averages, …), which is the shape kobo
// serves: the provider checks it, kobo keeps and forwards it.
type ProviderIncome struct {
	At     time.Time // when the upstream made it (zero: not said)
	Report json.RawMessage
}

// EventAccountIncomeFailed is kobo's event (Mono has none) saying that an
// asynchronous income analysis ended without a report: data.account, and
// data.message saying why (the upstream never answered, or refused).
const EventAccountIncomeFailed = "kobo.events.account_income_failed"

// EventProviderHealth is kobo's event (Mono has none) sent to an app when
// a provider it uses changes health: once when the app's keys stop
// working there or the provider refuses them, once when they work again,
// never for each failed call. data: provider, status ("down" or "up"),
// message, checked_at.
const EventProviderHealth = "kobo.events.provider_health"

// MonoIncome is Mono's income report, the shape kobo keeps, serves and
// forwards whether kobo analysed the account or an upstream did (an
// upstream's report has no account: kobo names its own): the data of the
// mono.events.account_income webhook and the income{…} of each
// income-records entry. Field names follow the webhook sample on
// https://docs.mono.co/docs/quickstart, the 2025-03-10 renames on
// https://docs.mono.co/api/bank-data/accounts/income-records (only the new
// aggregated_* names are sent) and the changelog's 2024-12-06 summary
// fields (total_income, annual_income, monthly_income).
type MonoIncome struct {
	Account                           string             `json:"account,omitempty"`
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

// Fields is the report as a JSON object's fields (for the webhook payload).
func (m MonoIncome) Fields() map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
