package kobo

import (
	"context"
	"time"
)

// KeyCheck proves, without revealing it, which master key sealed the
// database's secrets: an HMAC of a fixed label under the key, by key id.
// Replicas compare theirs at start, so one with another KOBO_MASTER_KEY
// refuses to start instead of sealing what the others cannot open.
type KeyCheck struct {
	KeyID     string
	Check     string
	CreatedAt time.Time
}

// KeyCheckStore records the master keys a database accepts.
type KeyCheckStore interface {
	// KeyChecks lists the recorded checks. In Update it holds them against
	// concurrent change until the transaction ends, so two replicas
	// starting on an empty database cannot record different keys.
	KeyChecks(ctx context.Context) ([]KeyCheck, error)
	// AddKeyCheck records a check (ECONFLICT if its key id is recorded).
	AddKeyCheck(ctx context.Context, kc *KeyCheck) error
	// AnyCredentials returns one account's id and sealed credentials
	// (ENOTFOUND when none has any): a database that predates key checks
	// proves which key it was sealed with by opening them.
	AnyCredentials(ctx context.Context) (accountID string, sealed Sealed, err error)
}

// SandboxEntry is one piece of the sandbox bank's state (a tenant's clock
// offset, a "next login needs MFA" flag, a custom test user), kept in the
// database so every replica's simulator sees the same bank and a restart
// does not reset it. Kind namespaces keys; the simulator owns both.
type SandboxEntry struct {
	Kind, Key string
	Value     []byte
	N         int64 // a counter (the clock offset), updated atomically
	UpdatedAt time.Time
}

// SandboxStateStore keeps SandboxEntries.
type SandboxStateStore interface {
	// SandboxEntry returns one entry (ENOTFOUND when unset).
	SandboxEntry(ctx context.Context, kind, key string) (*SandboxEntry, error)
	// SandboxEntries lists a kind's entries by key.
	SandboxEntries(ctx context.Context, kind string) ([]SandboxEntry, error)
	// PutSandboxEntry creates or replaces an entry's value (N is kept).
	PutSandboxEntry(ctx context.Context, e *SandboxEntry) error
	// AddSandboxCounter adds delta to an entry's N, creating it at delta,
	// in one statement, and returns the new N.
	AddSandboxCounter(ctx context.Context, kind, key string, delta int64, now time.Time) (int64, error)
	// DeleteSandboxEntry removes an entry; removing none is not an error.
	DeleteSandboxEntry(ctx context.Context, kind, key string) error
}
