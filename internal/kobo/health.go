package kobo

import (
	"context"
	"time"
)

// Institution health: how kobo's own calls to a bank have been going,
// counted in the database so every replica computes the same status.

// Institution statuses as the API shows them. There is no "unknown": an
// institution kobo has too few recent calls to judge is up.
const (
	InstitutionUp       = "up"
	InstitutionDegraded = "degraded"
	InstitutionDown     = "down"
)

// HealthScopeLive is the scope of live calls, shared by every live app:
// they all reach the same real bank. Sandbox calls are counted per app
// (HealthScopeSandbox), because each app's sandbox bank misbehaves only
// as that app's own fault users make it.
const HealthScopeLive = "live"

// HealthScopeSandbox is the scope of an app's sandbox calls.
func HealthScopeSandbox(appID string) string { return "test:" + appID }

// BankCalls is a count of calls to one institution in one scope and
// minute, added to what the database already holds for it.
type BankCalls struct {
	Scope         string
	InstitutionID string
	Minute        time.Time // the start of the minute the calls were made in
	Calls         int       // calls the bank answered or failed to (customer errors are answers)
	Errors        int       // calls that failed at the bank: 5xx, timeouts, rate limits, garbled answers
	Slow          int       // calls slower than the slow-call threshold
	LastErrorAt   *time.Time
}

// InstitutionHealthRow sums an institution's counters in one scope: over
// the status window (Calls, Errors, Slow) and, for LastErrorAt, over
// everything kept.
type InstitutionHealthRow struct {
	InstitutionID string
	Calls         int
	Errors        int
	Slow          int
	LastErrorAt   *time.Time
}

// InstitutionNote is the operator's word on an institution (planned
// maintenance, a known outage): shown to partners and customers in place
// of kobo's own note, and Status, when set, in place of kobo's own status.
type InstitutionNote struct {
	InstitutionID string
	Status        string // "" (kobo's own), InstitutionDegraded or InstitutionDown
	Note          string
	By            string
	UpdatedAt     time.Time
}

// InstitutionHealthStore keeps bank call counters and operator notes.
type InstitutionHealthStore interface {
	// AddBankCalls adds each entry to its (scope, institution, minute)
	// counter, creating it when new; LastErrorAt keeps the latest.
	AddBankCalls(ctx context.Context, calls []BankCalls) error
	// InstitutionHealth sums scope's counters per institution: Calls,
	// Errors and Slow over minutes from since on, LastErrorAt over minutes
	// from errorsSince on. Institutions without counters are left out.
	InstitutionHealth(ctx context.Context, scope string, since, errorsSince time.Time) ([]InstitutionHealthRow, error)
	// PruneBankCalls deletes counters of minutes before before, at most
	// limit of them.
	PruneBankCalls(ctx context.Context, before time.Time, limit int) (int, error)
	// InstitutionNotes lists every operator note, by institution id.
	InstitutionNotes(ctx context.Context) ([]*InstitutionNote, error)
	// PutInstitutionNote inserts or replaces the note of n.InstitutionID.
	PutInstitutionNote(ctx context.Context, n *InstitutionNote) error
	// DeleteInstitutionNote removes a note; no error if there was none.
	DeleteInstitutionNote(ctx context.Context, institutionID string) error
}
