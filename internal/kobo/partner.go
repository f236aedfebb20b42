package kobo

import "time"

// Partner is a business that uses kobo: it signs up with an email and a
// password, owns apps, and logs in to the Partner API and the dashboard.
type Partner struct {
	ID           string
	Name         string
	Email        string // stored lower-cased; unique
	PasswordHash string // argon2id, PHC string format
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// PartnerToken is a bearer session for the Partner API or the dashboard.
// Only the SHA-256 of the token is stored, so a database leak does not leak
// sessions.
type PartnerToken struct {
	Hash      string // hex SHA-256 of the bearer token
	PartnerID string
	Kind      string // "api" or "dashboard"
	CreatedAt time.Time
	ExpiresAt time.Time
	// where the session was made, for the partner's Sessions page
	UserAgent  string
	IP         string
	LastSeenAt *time.Time // nil: not used since it was made
}

// SyncFrequency is how often scheduled sync runs for an app's accounts.
type SyncFrequency int

// Allowed sync frequencies, in hours (Mono: 24 h by default, 12 h or 6 h on
// request).
const (
	SyncEvery24h SyncFrequency = 24
	SyncEvery12h SyncFrequency = 12
	SyncEvery6h  SyncFrequency = 6
)

// Valid reports whether f is one of the allowed frequencies.
func (f SyncFrequency) Valid() bool {
	return f == SyncEvery24h || f == SyncEvery12h || f == SyncEvery6h
}

// RelinkPolicy says what happens when a customer links a bank account that
// is already linked to the same app.
type RelinkPolicy string

const (
	// RelinkNew mints a new account id each time, as Mono, Plaid and
	// GoCardless do.
	RelinkNew RelinkPolicy = "new"
	// RelinkReuse returns the existing account id with its history.
	RelinkReuse RelinkPolicy = "reuse"
)

// App is a partner's integration. It has sandbox keys from birth and live
// keys once Live is set; each key reaches only the data of its own mode.
type App struct {
	ID            string
	PartnerID     string
	Name          string
	DisplayName   string
	Icon          string
	Live          bool
	WebhookURL    string
	WebhookSecret Secret // sent as mono-webhook-secret and used to sign deliveries
	SyncFrequency SyncFrequency
	Relink        RelinkPolicy
	HistoryMonths int // how far back a first fetch reads (DefaultHistoryMonths)
	// What the Connect widget shows besides the name and logo: links to
	// the partner's privacy policy and terms, and an accent colour
	// ("#rrggbb"); empty means kobo's own.
	PrivacyURL string
	TermsURL   string
	BrandColor string
	// WebhookFailingSince is when the endpoint started failing every
	// delivery; WebhookDisabledAt is when kobo stopped sending to it.
	WebhookFailingSince *time.Time
	WebhookDisabledAt   *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// AppUpdate is a patch: nil fields are left alone.
type AppUpdate struct {
	Name          *string
	DisplayName   *string
	Icon          *string
	Live          *bool
	WebhookURL    *string
	SyncFrequency *SyncFrequency
	Relink        *RelinkPolicy
	HistoryMonths *int
}

// An app's first fetch reads DefaultHistoryMonths of history unless the
// app asks for another number of months, up to MaxHistoryMonths. A bank
// that keeps less returns what it has.
const (
	DefaultHistoryMonths = 12
	MaxHistoryMonths     = 24
)

// KeyKind says whether a key is public (widget) or secret (server).
type KeyKind string

const (
	PublicKey KeyKind = "pk"
	SecretKey KeyKind = "sk"
)

// Mode is sandbox ("test") or live. A key's mode decides which data it can
// reach; sandbox keys never see live data.
type Mode string

const (
	ModeTest Mode = "test"
	ModeLive Mode = "live"
)

// IsLive reports whether m is ModeLive.
func (m Mode) IsLive() bool { return m == ModeLive }

// ModeOf returns ModeLive for true and ModeTest for false.
func ModeOf(live bool) Mode {
	if live {
		return ModeLive
	}
	return ModeTest
}

// APIKey is one key of an app. Public keys are stored whole (they are not
// secret). Secret keys are stored as a lookup prefix plus a SHA-256 hash;
// the full key is shown once, when it is created.
type APIKey struct {
	ID        string
	AppID     string
	Kind      KeyKind
	Mode      Mode
	Prefix    string // the first characters of the key, indexed, for lookup
	Hash      string // hex SHA-256 of the whole key (secret keys); the whole key (public keys)
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Caller is who made an API request, resolved by the auth middleware from a
// key. Every data access is scoped by AppID and Mode.
type Caller struct {
	App  App
	Key  APIKey
	Mode Mode
}
