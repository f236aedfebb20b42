package kobo

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// LifecycleStore ends what kobo keeps once it has no use: a deleted app's
// customers and their data, and the records that outlive their purpose
// (events and delivery logs, connect sessions, customers that never
// linked, statement PDFs, expired tokens). Deletes run in bounded batches
// so a large purge never holds the writer for long.
type LifecycleStore interface {
	// DeletedApp returns an app whether or not it is deleted (webhook
	// deliveries of a deleted app's last events need its endpoint);
	// ENOTFOUND if there never was one.
	DeletedApp(ctx context.Context, id string) (*App, error)
	// StopAppWork clears the next sync of every account of the app and
	// cancels its accounts' queued jobs, so nothing reaches the bank for
	// it again.
	StopAppWork(ctx context.Context, appID string, now time.Time) error
	// ScheduleAppPurge sets when a deleted app's data goes.
	ScheduleAppPurge(ctx context.Context, appID string, at time.Time) error
	// AppAccounts lists an app's accounts (both modes) with ids after
	// afterID, in id order, at most limit.
	AppAccounts(ctx context.Context, appID, afterID string, limit int) ([]*Account, error)
	// SetUnlinkCursor records how far a deleted app's accounts have been
	// announced unlinked: the last account id done ("" before the first),
	// nil when all are.
	SetUnlinkCursor(ctx context.Context, appID string, cursor *string) error
	// UnlinkCursor returns an app's cursor (nil: nothing to announce).
	UnlinkCursor(ctx context.Context, appID string) (*string, error)
	// AppsUnlinkPending lists apps with accounts still to announce.
	AppsUnlinkPending(ctx context.Context, limit int) ([]string, error)
	// AppsDueForPurge lists deleted apps whose purge time is at or before
	// now, whose accounts are all announced and whose data is not purged
	// yet.
	AppsDueForPurge(ctx context.Context, now time.Time, limit int) ([]string, error)
	// PurgeAppBatch deletes up to limit of the app's accounts with
	// everything that hangs off them; when none are left it deletes the
	// app's customers, connect sessions, idempotency records, request log
	// and its events (all but account_unlinked, which are still on their
	// way to the partner) and their deliveries, marks the app purged at
	// `at` and reports done.
	PurgeAppBatch(ctx context.Context, appID string, limit int, at time.Time) (done bool, err error)
	// UpdateEventPayload replaces an event's payload (redaction).
	UpdateEventPayload(ctx context.Context, id string, payload json.RawMessage) error
	// Prune deletes up to limit rows of one kind older than before (see
	// the Prune* kinds) and reports how many went.
	Prune(ctx context.Context, kind PruneKind, before time.Time, limit int) (int, error)
}

// PruneKind names what Prune deletes.
type PruneKind string

const (
	// PruneEvents deletes events created before the cutoff and webhook
	// deliveries (with their attempt logs) created before it that are no
	// longer pending.
	PruneEvents PruneKind = "events"
	// PruneSessions deletes connect sessions that expired before the cutoff.
	PruneSessions PruneKind = "connect_sessions"
	// PruneCustomers deletes customers last updated before the cutoff that
	// have no linked account.
	PruneCustomers PruneKind = "customers"
	// PruneStatements deletes statement builds (their PDFs) created before
	// the cutoff.
	PruneStatements PruneKind = "statements"
	// PruneTokens deletes partner tokens and re-authorisation tokens that
	// expired before the cutoff.
	PruneTokens PruneKind = "tokens"
)

// PruneKinds lists every kind, in the order housekeeping prunes them
// (sessions before the customers they name).
var PruneKinds = []PruneKind{PruneEvents, PruneSessions, PruneCustomers, PruneStatements, PruneTokens}

// SealedField names one stored column that holds sealed values: the
// at-rest sealing seals and opens it, migrates its old plaintext, and the
// master-key rotation re-seals it.
type SealedField string

// The sealed fields. Each value is bound (as additional authenticated
// data) to its field and row, so a value copied to another row or column
// does not open.
const (
	FieldAccountNumber  SealedField = "accounts.account_number"
	FieldCredentials    SealedField = "accounts.credentials" // sealed by app (bank session and persisted login)
	FieldBVN            SealedField = "identities.bvn"
	FieldWebhookSecret  SealedField = "apps.webhook_secret"
	FieldCustomerID     SealedField = "customers.id_number"
	FieldEventPayload   SealedField = "events.payload"
	FieldIdempotency    SealedField = "idempotency_keys.body"
	FieldStatementPDF   SealedField = "statements.pdf"
	FieldSessionBank    SealedField = "connect_sessions.bank_session" // sealed by app
	FieldSessionAccts   SealedField = "connect_sessions.accounts"     // sealed by app
	FieldSessionChallen SealedField = "connect_sessions.challenge"    // sealed by app
	FieldDerivedKey     SealedField = "derived_keys.value"
	FieldAppProvider    SealedField = "app_providers.credentials" // sealed by app (an app's keys at a provider)
	FieldAccountIdent   SealedField = "account_identifiers.value" // an IBAN, sort code and number, …; row "<account> <scheme>"
	FieldTPPKey         SealedField = "tpp_keys.material"         // kobo's certificates and keys at banks; row: the key's name
	// The identity the bank reports, but for its categories (gender,
	// marital status, state and LGA of origin), and a customer's name and
	// phone (the email stays clear: customers are found by it).
	FieldIdentityName     SealedField = "identities.full_name"
	FieldIdentityEmail    SealedField = "identities.email"
	FieldIdentityPhone    SealedField = "identities.phone"
	FieldIdentityDOB      SealedField = "identities.dob"
	FieldIdentityAddress1 SealedField = "identities.address_line1"
	FieldIdentityAddress2 SealedField = "identities.address_line2"
	FieldCustomerName     SealedField = "customers.name"
	FieldCustomerPhone    SealedField = "customers.phone"
	FieldCustomerAddress  SealedField = "customers.address"
	// Where a dashboard or Partner API session was made from; row: the
	// token's hash.
	FieldSessionIP SealedField = "partner_tokens.ip"
	FieldSessionUA SealedField = "partner_tokens.user_agent"
)

// SealedFields lists every sealed field.
var SealedFields = []SealedField{FieldAccountNumber, FieldCredentials, FieldBVN, FieldWebhookSecret, FieldCustomerID,
	FieldEventPayload, FieldIdempotency, FieldStatementPDF, FieldSessionBank, FieldSessionAccts, FieldSessionChallen, FieldDerivedKey,
	FieldIdentityName, FieldIdentityEmail, FieldIdentityPhone, FieldIdentityDOB, FieldIdentityAddress1, FieldIdentityAddress2,
	FieldCustomerName, FieldCustomerPhone, FieldCustomerAddress, FieldAppProvider, FieldAccountIdent, FieldTPPKey, FieldSessionIP, FieldSessionUA}

// LegacyFields are the sealed fields kobo stored in plaintext before
// migration 0008, which the upgrade seals (and the customer address,
// sealed from its first day, listed by migration 0020 so the upgrade
// treats it like the others; and sessions' IP and user agent, stored in
// plaintext until migration 0038 listed them).
var LegacyFields = []SealedField{FieldAccountNumber, FieldBVN, FieldCustomerID, FieldWebhookSecret, FieldEventPayload,
	FieldIdempotency, FieldStatementPDF, FieldIdentityName, FieldIdentityEmail, FieldIdentityPhone, FieldIdentityDOB,
	FieldIdentityAddress1, FieldIdentityAddress2, FieldCustomerName, FieldCustomerPhone, FieldCustomerAddress,
	FieldSessionIP, FieldSessionUA}

// AAD is the additional authenticated data a field's value on a row is
// sealed with. The fields app seals keep the names they always had.
func (f SealedField) AAD(row string) string {
	switch f {
	case FieldCredentials:
		return CredentialsAAD(row)
	case FieldSessionBank:
		return "session:" + row + ":bank"
	case FieldSessionAccts:
		return "session:" + row + ":accounts"
	case FieldSessionChallen:
		return "session:" + row + ":challenge"
	case FieldAppProvider:
		app, provider, _ := strings.Cut(row, " ")
		return AppProviderAAD(app, provider)
	}
	return string(f) + ":" + row
}

// AppProviderAAD is what an app's keys at a provider are bound to; the
// row key of FieldAppProvider is "<app id> <provider>".
func AppProviderAAD(appID, provider string) string { return "app_provider:" + appID + ":" + provider }

// CredentialsAAD is what an account's stored bank credentials are bound to.
func CredentialsAAD(accountID string) string { return "account:" + accountID }

// SealedValue is one stored value of a sealed field: its row's key and the
// value as stored (sealed, or plaintext a migration has yet to seal).
type SealedValue struct {
	Row   string
	Value string
}

// SealedStore gives the at-rest sealing and the key rotation raw access to
// the sealed fields, a batch at a time.
type SealedStore interface {
	// SealedValues lists a field's non-empty stored values on rows whose
	// key sorts after `after`, in key order, at most limit.
	SealedValues(ctx context.Context, f SealedField, after string, limit int) ([]SealedValue, error)
	// ReplaceSealedValue writes to on the row if it still holds from, and
	// reports whether it did (a concurrent write wins; its value is
	// already sealed under the current key).
	ReplaceSealedValue(ctx context.Context, f SealedField, row, from, to string) (bool, error)
	// SealBacklog lists the fields whose old plaintext has not all been
	// sealed yet (migration 0008 records them); SealDone clears one.
	SealBacklog(ctx context.Context) ([]SealedField, error)
	SealDone(ctx context.Context, f SealedField) error
	// DerivedKey returns the sealed key stored for purpose, storing
	// ifAbsent first when there is none (the first replica to store one
	// wins; every replica gets the same).
	DerivedKey(ctx context.Context, purpose string, ifAbsent Sealed) (Sealed, error)
}

// KeyID returns the id of the key s was sealed with ("" if s is not a
// sealed value: empty, or plaintext from before sealing).
func (s Sealed) KeyID() string {
	id, rest, ok := strings.Cut(string(s), ".")
	if !ok || len(id) != 8 || rest == "" {
		return ""
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return id
}
