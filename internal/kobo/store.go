package kobo

import (
	"context"
	"time"
)

// Store is the persistence contract; internal/sqlite and internal/postgres
// implement it, and internal/storetest holds the one conformance suite both
// must pass.
//
// Reads and writes go through a Tx: View runs fn on a read path (SQLite's
// read pool, a Postgres pool connection, no transaction needed for single
// statements), Update runs fn in one read-write transaction (SQLite's single
// writer with BEGIN IMMEDIATE, a Postgres transaction). Everything fn writes
// commits together or not at all, which is how events and jobs are recorded
// in the same transaction as the change that causes them.
//
// Methods return *Error with ENOTFOUND for missing rows and ECONFLICT for
// unique violations; other failures are wrapped driver errors (EINTERNAL).
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// MigrationStatus reports applied and pending migrations.
	MigrationStatus(ctx context.Context) (MigrationStatus, error)
	// Engine names the engine: "sqlite" or "postgres".
	Engine() string
	Close() error
	StatsStore
}

// MigrationStatus lists migrations by version.
type MigrationStatus struct {
	Applied []Migration
	Pending []Migration
}

// Migration is one schema migration.
type Migration struct {
	Version   int
	Name      string
	Checksum  string
	AppliedAt *time.Time
}

// Tx is the set of queries, usable inside View (reads only) or Update.
type Tx interface {
	PartnerStore
	AppStore
	InstitutionStore
	ConnectStore
	CustomerStore
	AccountStore
	JobStore
	EventStore
	IdempotencyStore
	SyncStore
	WebhookStore
	WebhookRunStore
	RequestLogStore
	ReplayStore
	KeyCheckStore
	SandboxStateStore
	RequestLogCapStore
	StatementUploadStore
	StatementStagingStore
	ThrottleStore
	LifecycleStore
	SealedStore
	EnrichmentStore
	CustomerAdminStore
	ProviderRefStore
	ProviderStore
	FlashStore
	KeyExpiryStore
	TeamStore
	AuditStore
	AccountSearchStore
	LiveWebhookStore
	OperatorStore
	InstitutionHealthStore
	TPPKeyStore
	PartnerExperienceStore
	FunnelStore
	UsageStore
}

// APIRequest is one line of an app's API request log: what was called and
// how it went, never bodies, keys or query strings.
type APIRequest struct {
	ID        string
	AppID     string
	Live      bool
	Method    string
	Path      string // the URL path only
	Route     string // the route pattern, e.g. "GET /accounts/{id}"
	Status    int
	LatencyUS int64
	RequestID string
	// ErrorBody is, for a 4xx or 5xx, the error JSON kobo answered with:
	// kobo's own public message, never the request, cut to 1 KiB with
	// anything shaped like an account number, BVN or key masked.
	ErrorBody string
	CreatedAt time.Time
}

// APIRequestFilter selects request log lines, newest first.
type APIRequestFilter struct {
	AppID       string
	Live        *bool
	Method      string
	StatusClass int    // 2, 4 or 5 for 2xx, 4xx, 5xx; 0 for all
	PathPrefix  string // e.g. "/v2/accounts"
	RequestID   string // exact X-Request-Id
	Before      *time.Time
	Limit       int
}

// RequestLogStore keeps the per-app API request log the dashboard shows.
type RequestLogStore interface {
	// InsertAPIRequests stores a batch of log lines.
	InsertAPIRequests(ctx context.Context, rs []APIRequest) error
	// ListAPIRequests returns lines matching f, newest first.
	ListAPIRequests(ctx context.Context, f APIRequestFilter) ([]APIRequest, error)
	// PruneAPIRequests deletes lines older than before, at most limit of them.
	PruneAPIRequests(ctx context.Context, before time.Time, limit int) (int, error)
}

// PartnerStore persists partners and their bearer tokens.
type PartnerStore interface {
	// CreatePartner inserts p. ECONFLICT if the email is taken.
	CreatePartner(ctx context.Context, p *Partner) error
	// PartnerByID returns ENOTFOUND if missing.
	PartnerByID(ctx context.Context, id string) (*Partner, error)
	// PartnerByEmail looks up by lower-cased email; ENOTFOUND if missing.
	PartnerByEmail(ctx context.Context, email string) (*Partner, error)
	// UpdatePartnerPassword sets a new hash; ENOTFOUND if missing.
	UpdatePartnerPassword(ctx context.Context, id, hash string, at time.Time) error
	// CreatePartnerToken stores a token hash.
	CreatePartnerToken(ctx context.Context, t *PartnerToken) error
	// PartnerTokenByHash returns ENOTFOUND if missing (expiry is the caller's check).
	PartnerTokenByHash(ctx context.Context, hash string) (*PartnerToken, error)
	// DeletePartnerToken removes one token; no error if already gone.
	DeletePartnerToken(ctx context.Context, hash string) error
	// DeletePartnerTokens removes all of a partner's tokens (password change).
	DeletePartnerTokens(ctx context.Context, partnerID string) error
}

// AppStore persists apps and their keys.
type AppStore interface {
	// CreateApp inserts a.
	CreateApp(ctx context.Context, a *App) error
	// App returns a live (not deleted) app; ENOTFOUND if missing.
	App(ctx context.Context, id string) (*App, error)
	// AppsByPartner lists a partner's apps, oldest first.
	AppsByPartner(ctx context.Context, partnerID string) ([]*App, error)
	// UpdateApp writes every field of a; ENOTFOUND if missing.
	UpdateApp(ctx context.Context, a *App) error
	// DeleteApp soft-deletes an app and revokes its keys; ENOTFOUND if missing.
	DeleteApp(ctx context.Context, id string, at time.Time) error
	// CreateAPIKey inserts k.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// APIKeysByPrefix returns unrevoked keys with this prefix (usually one).
	APIKeysByPrefix(ctx context.Context, prefix string) ([]*APIKey, error)
	// APIKeysByApp returns the app's unrevoked keys.
	APIKeysByApp(ctx context.Context, appID string) ([]*APIKey, error)
	// RevokeAPIKeys revokes the app's unrevoked keys of this mode.
	RevokeAPIKeys(ctx context.Context, appID string, mode Mode, at time.Time) error
}

// InstitutionStore persists the institutions catalog.
type InstitutionStore interface {
	// UpsertInstitution inserts or replaces the entry with in.ID.
	UpsertInstitution(ctx context.Context, in *Institution) error
	// Institution returns ENOTFOUND if missing.
	Institution(ctx context.Context, id string) (*Institution, error)
	// Institutions lists the whole catalog, ordered by name then type. The
	// catalog is small and app filters it in memory.
	Institutions(ctx context.Context) ([]*Institution, error)
}

// ConnectStore persists connect sessions.
type ConnectStore interface {
	CreateConnectSession(ctx context.Context, s *ConnectSession) error
	// ConnectSession returns ENOTFOUND if missing.
	ConnectSession(ctx context.Context, id string) (*ConnectSession, error)
	// ConnectSessionByCode finds the session that issued a code (by hash).
	ConnectSessionByCode(ctx context.Context, codeHash string) (*ConnectSession, error)
	// UpdateConnectSession writes every mutable field and clears BusyUntil.
	UpdateConnectSession(ctx context.Context, s *ConnectSession) error
	// ClaimConnectSession marks the session busy until `until` unless a
	// request already holds it (BusyUntil after now): ECONFLICT then. This
	// makes concurrent commits on one session exclusive on both engines.
	ClaimConnectSession(ctx context.Context, id string, now, until time.Time) error
}

// CustomerStore persists the partner's end users.
type CustomerStore interface {
	CreateCustomer(ctx context.Context, c *Customer) error
	// Customer returns ENOTFOUND if missing.
	Customer(ctx context.Context, id string) (*Customer, error)
	// CustomerByEmail finds an app's customer by lower-cased email in a mode.
	CustomerByEmail(ctx context.Context, appID string, live bool, email string) (*Customer, error)
}

// AccountStore persists linked accounts, their transactions and identity.
type AccountStore interface {
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns ENOTFOUND if missing (or unlinked).
	Account(ctx context.Context, id string) (*Account, error)
	// AccountState returns the few columns a read of the account's data
	// checks (owner, mode, status, history version and size): the hot
	// path of every transactions page. ENOTFOUND if missing.
	AccountState(ctx context.Context, id string) (*AccountState, error)
	// UpdateAccount writes every mutable field, Credentials included.
	UpdateAccount(ctx context.Context, a *Account) error
	// AccountsByFingerprint lists an app's linked accounts with a fingerprint.
	AccountsByFingerprint(ctx context.Context, appID string, live bool, fingerprint string) ([]*Account, error)
	// ListAccounts lists an app's linked accounts in one mode, newest
	// first, and how many there are in all.
	ListAccounts(ctx context.Context, appID string, live bool, limit, offset int) ([]*Account, int, error)
	// InsertTransactions merges bank rows into an account's history by
	// ProviderRef: new rows are added, rows the bank changed (amount,
	// narration, date, balance, type) are updated, identical repeats are
	// ignored. Changes advance the account's change counter (Seq).
	InsertTransactions(ctx context.Context, accountID string, txns []Transaction) (TxnMerge, error)
	// CountTransactions counts an account's (not removed) transactions.
	CountTransactions(ctx context.Context, accountID string) (int, error)
	// CountPostedTransactionsBetween counts the posted (not pending) ones
	// dated in [from, to]: a sync compares it with what the bank reports,
	// and a pending hold the bank stops reporting is no missing row.
	CountPostedTransactionsBetween(ctx context.Context, accountID string, from, to time.Time) (int, error)
	// TransactionRefsBetween lists the bank references of those dated in [from, to].
	TransactionRefsBetween(ctx context.Context, accountID string, from, to time.Time) ([]string, error)
	// RekeyTransaction gives a stored row a new bank reference (and says
	// whether it is the source's own id), keeping its id and content: the
	// same transaction as another provider names it. It reports whether a
	// row had oldRef; a newRef already stored is ECONFLICT.
	RekeyTransaction(ctx context.Context, accountID, oldRef, newRef string, providerID bool) (bool, error)
	// RemoveTransactions marks rows the bank no longer reports as removed.
	RemoveTransactions(ctx context.Context, accountID string, refs []string, at time.Time) (int, error)
	// ListTransactions pages through an account's history (removed rows
	// excluded), newest first unless f.Ascending, using the (date, id)
	// index: no scan grows with the history's length except Offset.
	ListTransactions(ctx context.Context, f TxnFilter) ([]Transaction, error)
	// CountFiltered counts what f selects; unfiltered counts come from a
	// counter kept on the account, not from the rows.
	CountFiltered(ctx context.Context, f TxnFilter) (int, error)
	// TransactionChanges lists rows changed after seq (added, modified or
	// removed), in seq order.
	TransactionChanges(ctx context.Context, accountID string, afterSeq int64, limit int) ([]Transaction, error)
	// MonthlyTotals sums credits and debits per Lagos calendar month in [from, to].
	MonthlyTotals(ctx context.Context, accountID string, from, to time.Time) ([]MonthTotal, error)
	// ClosingBalances is, for each 24-hour day counted from from that has a
	// transaction carrying a balance in [from, to], the balance of its
	// newest one (by date, then id, as ListTransactions orders them),
	// oldest day first: a balance chart without reading every row.
	ClosingBalances(ctx context.Context, accountID string, from, to time.Time) ([]DayBalance, error)
	CreateStatement(ctx context.Context, st *Statement) error
	// Statement returns ENOTFOUND if missing; withPDF loads the document.
	Statement(ctx context.Context, id string, withPDF bool) (*Statement, error)
	UpdateStatement(ctx context.Context, st *Statement) error
	CreateIncomeRecord(ctx context.Context, r *IncomeRecord) error
	// IncomeRecord returns ENOTFOUND if missing.
	IncomeRecord(ctx context.Context, id string) (*IncomeRecord, error)
	UpdateIncomeRecord(ctx context.Context, r *IncomeRecord) error
	// IncomeRecords lists an account's analyses, newest first.
	IncomeRecords(ctx context.Context, accountID string) ([]*IncomeRecord, error)
	// UpsertIdentity inserts or replaces an account's identity.
	UpsertIdentity(ctx context.Context, id *Identity) error
	// Identity returns ENOTFOUND if the account has none.
	Identity(ctx context.Context, accountID string) (*Identity, error)
}

// JobStore is the durable job queue.
type JobStore interface {
	// EnqueueJob inserts j unless a job with the same UniqueKey is
	// available or running; it reports whether j was inserted.
	EnqueueJob(ctx context.Context, j *Job) (bool, error)
	// ClaimJobs leases up to n runnable jobs (available and due, or running
	// with an expired lease) to worker until now+lease, and returns them
	// with Attempt incremented. On Postgres concurrent claimers never get
	// the same job (FOR UPDATE SKIP LOCKED).
	ClaimJobs(ctx context.Context, worker string, n int, now time.Time, lease time.Duration) ([]*Job, error)
	// CompleteJob marks a job the worker holds completed.
	CompleteJob(ctx context.Context, id, worker string, now time.Time) error
	// RetryJob releases a job the worker holds to run again at runAt.
	RetryJob(ctx context.Context, id, worker string, runAt time.Time, lastError string, now time.Time) error
	// FailJob marks a job the worker holds failed for good.
	FailJob(ctx context.Context, id, worker, lastError string, now time.Time) error
	// ExtendJobLease keeps a long job leased; ENOTFOUND if the worker lost it.
	ExtendJobLease(ctx context.Context, id, worker string, until time.Time) error
	// Job returns ENOTFOUND if missing.
	Job(ctx context.Context, id string) (*Job, error)
	// NextJobAt returns when the earliest available job is due, or nil.
	NextJobAt(ctx context.Context) (*time.Time, error)
	// PruneJobs deletes completed, failed and cancelled jobs finished before t.
	PruneJobs(ctx context.Context, before time.Time) (int, error)
	// QueueStats counts the work due at now and how long the oldest of it
	// has waited: jobs by kind, and webhook deliveries (for /metrics).
	QueueStats(ctx context.Context, now time.Time) (QueueStats, error)
}

// QueueStats is the backlog of background work.
type QueueStats struct {
	Jobs       []QueueDepth // by kind, jobs available and due
	Deliveries QueueDepth   // webhook deliveries ready and due
}

// QueueDepth is one queue's backlog: how much is due and since when the
// oldest of it has been due (nil when nothing is).
type QueueDepth struct {
	Kind      string
	Depth     int
	OldestDue *time.Time
}

// EventStore records events for webhooks and the event feed.
type EventStore interface {
	// RecordEvent stores e and sets e.Seq.
	RecordEvent(ctx context.Context, e *Event) error
	// Event returns ENOTFOUND if missing.
	Event(ctx context.Context, id string) (*Event, error)
	// Events lists an app's events in seq order matching f.
	Events(ctx context.Context, f EventFilter) ([]*Event, error)
	// EventsByAccount lists an account's events, oldest first.
	EventsByAccount(ctx context.Context, accountID string) ([]*Event, error)
}

// IdempotencyStore remembers responses to requests with Idempotency-Key.
type IdempotencyStore interface {
	// InsertIdempotency stores r (Status 0, in flight) unless the key is
	// known; it returns the existing record, or nil when r was inserted.
	InsertIdempotency(ctx context.Context, r *IdempotencyRecord) (*IdempotencyRecord, error)
	// CompleteIdempotency stores the response of the first request.
	CompleteIdempotency(ctx context.Context, appID string, live bool, key string, status int, body []byte, contentType string) error
	// DeleteIdempotency forgets a key (the first request failed in a way a
	// retry should redo).
	DeleteIdempotency(ctx context.Context, appID string, live bool, key string) error
	// PruneIdempotency deletes records created before t.
	PruneIdempotency(ctx context.Context, before time.Time) (int, error)
}

// SyncStore holds what sync, re-authorisation and unlink need.
type SyncStore interface {
	// ClaimDueAccounts takes up to limit accounts whose next sync is due
	// (and that do not need re-authorisation), clears their NextSyncAt so no
	// other scheduler takes them, and returns them.
	ClaimDueAccounts(ctx context.Context, now time.Time, limit int) ([]*Account, error)
	// DeleteAccount removes an account with its transactions, identity and
	// credentials. ENOTFOUND if missing.
	DeleteAccount(ctx context.Context, id string) error
	// SetJobResult records what a job found, for status endpoints.
	SetJobResult(ctx context.Context, id string, result []byte) error
	// LatestJob returns the newest job of kind (any kind if "") for an
	// account created at or after since; ENOTFOUND if none.
	LatestJob(ctx context.Context, accountID, kind string, since time.Time) (*Job, error)
	CreateReauthToken(ctx context.Context, t *ReauthToken) error
	// ReauthToken returns ENOTFOUND if missing.
	ReauthToken(ctx context.Context, hash string) (*ReauthToken, error)
	DeleteReauthToken(ctx context.Context, hash string) error
}

// WebhookStore persists webhook deliveries and their attempts.
type WebhookStore interface {
	CreateDelivery(ctx context.Context, d *Delivery) error
	// ClaimDeliveries leases up to n due deliveries to worker, at most one
	// per (app, account) at a time and only the earliest pending event of
	// each, so an account's events arrive in order while its endpoint is
	// healthy. Deliveries of apps whose endpoint is disabled are not
	// claimed. Event is filled.
	ClaimDeliveries(ctx context.Context, worker string, n int, now time.Time, lease time.Duration) ([]*Delivery, error)
	// FinishDeliveries records attempts and moves deliveries on, in one
	// statement batch.
	FinishDeliveries(ctx context.Context, worker string, outcomes []DeliveryOutcome, now time.Time) error
	// ReleaseDeliveries hands claimed deliveries back untried (the worker
	// is at its limit for their app): pending again at `at`, attempt count
	// restored.
	ReleaseDeliveries(ctx context.Context, worker string, ids []string, at time.Time) error
	// NextDeliveryAt is when the earliest pending delivery is due, or nil.
	NextDeliveryAt(ctx context.Context) (*time.Time, error)
	// Delivery returns ENOTFOUND if missing; Event is filled.
	Delivery(ctx context.Context, id string) (*Delivery, error)
	// Deliveries lists deliveries for the delivery log.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error)
	// DeliveryAttempts lists a delivery's attempts in order.
	DeliveryAttempts(ctx context.Context, deliveryID string) ([]*DeliveryAttempt, error)
	// RequeueDelivery makes a delivery pending again, due now (redeliver).
	RequeueDelivery(ctx context.Context, id string, now time.Time) error
	// SetWebhookHealth records an app endpoint's failing/disabled times.
	SetWebhookHealth(ctx context.Context, appID string, failingSince, disabledAt *time.Time) error
}
