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
