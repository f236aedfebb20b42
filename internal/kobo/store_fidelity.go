package kobo

import (
	"context"
	"time"
)

// Enrichment kinds.
const (
	EnrichInsights       = "statement_insights"
	EnrichCreditworthy   = "creditworthiness"
	EnrichCategorisation = "transaction_categorisation"
	EnrichMetadata       = "transaction_metadata"
)

// Enrichment is an asynchronous analysis of a linked account (Mono's
// enrichment jobs and credit-worthiness): queued, computed by a job from
// the account's stored data, announced by webhook.
type Enrichment struct {
	ID        string
	AccountID string
	AppID     string
	Kind      string // Enrich…
	Status    string // processing, finished, failed
	Args      []byte // the request, JSON
	Result    []byte // what the job computed, JSON
	CreatedAt time.Time
	DoneAt    *time.Time
}

// EnrichmentStore keeps enrichment jobs and what they write back.
type EnrichmentStore interface {
	CreateEnrichment(ctx context.Context, e *Enrichment) error
	// Enrichment returns ENOTFOUND if missing.
	Enrichment(ctx context.Context, id string) (*Enrichment, error)
	// UpdateEnrichment writes Status, Result and DoneAt; ENOTFOUND if missing.
	UpdateEnrichment(ctx context.Context, e *Enrichment) error
	// Enrichments lists an account's jobs of a kind, newest first.
	Enrichments(ctx context.Context, accountID, kind string) ([]*Enrichment, error)
	// SetTransactionCategories sets the category of an account's
	// transactions by id and says how many changed.
	SetTransactionCategories(ctx context.Context, accountID string, categories map[string]string) (int, error)
}

// CustomerFilter selects an app's customers, newest first.
type CustomerFilter struct {
	AppID  string
	Live   bool
	Email  string // exact, case-insensitive; "" for all
	Limit  int
	Offset int
}

// CustomerAdminStore is what Mono's /v2/customers needs beyond creating
// and finding customers.
type CustomerAdminStore interface {
	// UpdateCustomer writes every mutable field; ENOTFOUND if missing.
	UpdateCustomer(ctx context.Context, c *Customer) error
	// DeleteCustomer removes a customer for good and detaches its
	// accounts; ENOTFOUND if missing.
	DeleteCustomer(ctx context.Context, id string) error
	// ListCustomers lists what f selects and how many there are in all.
	ListCustomers(ctx context.Context, f CustomerFilter) ([]*Customer, int, error)
	// AccountsByCustomer lists a customer's linked accounts, newest first.
	AccountsByCustomer(ctx context.Context, customerID string) ([]*Account, error)
}

// Enrichment events (Mono's names).
const (
	EventStatementInsights   = "mono.events.statement_insights"
	EventTxnCategorisation   = "mono.events.transaction_categorisation"
	EventTxnMetadata         = "mono.events.transaction_metadata"
	EventAccountCreditWorthy = "mono.events.account_credit_worthiness"
)
