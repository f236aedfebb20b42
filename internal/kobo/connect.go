package kobo

import (
	"encoding/json"
	"time"
)

// SessionState is where a connect session is in the flow. The transition
// table lives in package app (ConnectTransition) and is tested
// exhaustively.
//
//	created ──login──▶ mfa_required ──commit──▶ (mfa_required | account_select | linked)
//	   ├──login──▶ account_select ──commit{account}──▶ linked ──exchange──▶ exchanged
//	   └──login──▶ linked (single account)
//	any live state ──expiry / too many wrong answers──▶ failed
type SessionState string

const (
	SessionCreated       SessionState = "created"
	SessionMFARequired   SessionState = "mfa_required"
	SessionAccountSelect SessionState = "account_select"
	SessionLinked        SessionState = "linked"
	SessionExchanged     SessionState = "exchanged"
	SessionFailed        SessionState = "failed"
)

// Session scopes.
const (
	ScopeAuth   = "auth"
	ScopeReauth = "reauth"
)

// ConnectSession is one run of the connect flow (headless API, widget, or
// re-authorisation). Sealed fields hold bank-side state encrypted with the
// Sealer; they never leave the server.
type ConnectSession struct {
	ID            string // sess_…
	AppID         string
	Live          bool
	InstitutionID string
	AuthMethod    string
	Scope         string // ScopeAuth or ScopeReauth
	State         SessionState
	CustomerID    string
	CustomerName  string
	CustomerEmail string
	Reference     string // the partner's meta.ref / widget reference
	AccountID     string // the account being re-authorised, or the one created at exchange
	Form          UIForm // the last form sent to the client; commit fields are checked against its names
	Challenge     Sealed // the bank's pending Challenge
	BankSession   Sealed // the bank session after login
	Accounts      Sealed // the bank accounts offered (101), or the chosen one
	Attempts      int    // wrong answers so far
	Failure       string // why the session failed
	CodeHash      string // SHA-256 of the single-use auth code
	CodeExpiresAt *time.Time
	BusyUntil     *time.Time // a request holds the session until then (one commit at a time)
	ViaLink       bool       // opened by a Connect Link: kobo exchanges the code, and a partner's own exchange returns the same account
	ExpiresAt     time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Sealed is ciphertext made by a Sealer: "<key id>.<base64 nonce+sealed
// data>". The key id travels with the data so keys can rotate.
type Sealed string

// Sealer encrypts secrets at rest (bank credentials, bank sessions).
type Sealer interface {
	Seal(plaintext []byte, aad string) (Sealed, error)
	Open(s Sealed, aad string) ([]byte, error)
	// CurrentKeyID is the id of the key new seals use; values sealed
	// under any other key are what a rotation re-seals.
	CurrentKeyID() string
}

// JobStatus is the state of a background job.
type JobStatus string

const (
	JobAvailable JobStatus = "available"
	JobRunning   JobStatus = "running"
	JobCompleted JobStatus = "completed"
	JobFailed    JobStatus = "failed" // out of attempts
	JobCancelled JobStatus = "cancelled"
)

// Job is a unit of durable background work. It is inserted in the same
// transaction as the change that needs it, so it exists exactly when the
// change committed.
type Job struct {
	ID          string
	Kind        string
	Args        json.RawMessage
	UniqueKey   string // while a job with this key is available or running, inserting another is a no-op
	Status      JobStatus
	Priority    int // lower runs first
	Attempt     int // attempts started so far
	MaxAttempts int
	RunAt       time.Time
	LockedBy    string
	LockedUntil *time.Time
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
	AccountID   string          // the account the job works on, if any
	Result      json.RawMessage // what a finished job reports (sync outcome, ...)

	// TakenFrom is set by ClaimJobs when the claim took the job over from
	// a worker whose lease had lapsed (it crashed or stalled): that worker.
	TakenFrom string
}

// Event is something a partner is told about by webhook and event feed.
// Payload is the Mono-shaped `data` object, rendered when the event is
// recorded so retries and replays send exactly what happened.
type Event struct {
	Seq       int64  // commit-ordered position in the store, set by RecordEvent
	ID        string // event_id, stable across retries and redeliveries
	AppID     string
	Live      bool
	Type      string // mono.events.account_updated, ...
	AccountID string
	Payload   json.RawMessage
	CreatedAt time.Time
}

// Event types (Mono's names).
const (
	EventAccountConnected      = "mono.events.account_connected"
	EventAccountUpdated        = "mono.events.account_updated"
	EventReauthRequired        = "mono.events.reauthorisation_required"
	EventAccountReauthorized   = "mono.events.account_reauthorized"
	EventSyncFailed            = "mono.events.sync_failed"
	EventAccountUnlinked       = "mono.events.account_unlinked"
	EventJobUpdate             = "mono.accounts.jobs.update"
	EventWebhookTest           = "mono.events.webhook_test"
	EventStatementJobCompleted = "mono.events.statement_job_completed"
	EventAccountIncome         = "mono.events.account_income"
)

// EventFacts is what happened, in domain terms; an EventRenderer turns it
// into Mono's webhook payload.
type EventFacts struct {
	Type          string
	App           *App
	Account       *Account // a snapshot at event time (Institution filled)
	DataStatus    DataStatus
	SyncStatus    string // SUCCESSFUL, FAILED, REAUTHORISATION_REQUIRED
	HasNewData    *bool
	JobID         string
	JobName       string
	JobStatus     string
	RetrievedData []string
	Live          bool           // for events without an account (webhook tests)
	Extra         map[string]any // event-specific fields (statement path, income id, ...)
}

// EventRenderer renders Mono's webhook `data` object for an event.
type EventRenderer interface {
	Render(f EventFacts) (json.RawMessage, error)
}

// IdempotencyRecord remembers the first response to a request sent with an
// Idempotency-Key, so a retry gets the same answer without redoing work.
type IdempotencyRecord struct {
	AppID       string
	Live        bool // keys are scoped to the app and its mode: sandbox and live never share one
	Key         string
	RequestHash string // SHA-256 of method, path and body
	Status      int    // 0 while the first request is in flight
	Body        []byte
	ContentType string
	CreatedAt   time.Time
}
