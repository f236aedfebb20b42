package kobo

import (
	"context"
	"errors"
	"time"
)

// Provider is a bank connector: the one seam through which kobo reaches a
// bank. The first implementation talks to banksim over HTTP; a connector for
// real banks implements the same interface with an open-banking Account
// Information API.
//
// Every error a Provider returns is a *BankError (or wraps one), so the
// callers above it decide retries, responseCodes and re-authorisation from
// the Kind alone, never from the text.
type Provider interface {
	// Login submits the institution form's fields. The bank either opens a
	// session or asks for more (a Challenge). With Interactive false (a
	// background sync logging in again with stored credentials) a bank that
	// wants a human answers BankMFARequired instead of a Challenge.
	Login(ctx context.Context, req LoginRequest) (LoginStep, error)
	// Answer answers a Challenge. The bank may chain another Challenge.
	Answer(ctx context.Context, challenge Challenge, fields map[string]Secret) (LoginStep, error)
	// Accounts lists the accounts the session can see.
	Accounts(ctx context.Context, s BankSession) ([]BankAccount, error)
	// Balance returns an account's current balance.
	Balance(ctx context.Context, s BankSession, accountRef string) (BankBalance, error)
	// Transactions streams an account's transactions in q's date range, a
	// page at a time, oldest first. fn's error stops the stream and is
	// returned as is.
	Transactions(ctx context.Context, s BankSession, accountRef string, q TxnQuery, fn func(page []BankTransaction) error) error
	// Identity returns the account holder's identity.
	Identity(ctx context.Context, s BankSession, accountRef string) (BankIdentity, error)
}

// LoginRequest is a login at a bank.
type LoginRequest struct {
	Institution Institution
	AuthMethod  string
	Fields      map[string]Secret // the form's fields, by name (interactive logins)
	Persist     Secret            // a background re-login: BankSession.Persist from an earlier login, instead of Fields
	Interactive bool              // a human is present and can answer a Challenge
	Tenant      string            // sandbox world (the app id); empty for live banks
	// Credentials are the app's keys at this provider (never the
	// customer's); empty for providers that need none.
	Credentials ProviderCredentials
	// Redirect is filled for auth methods of kind ConsentRedirect: what
	// the provider puts in the URL it answers with.
	Redirect *RedirectParams
	// Live says the app is live: a provider that is not Real refuses it.
	Live bool
}

// LoginStep is the bank's answer to a login or a challenge answer: exactly
// one of Session, Challenge, Redirect, Decoupled and Embedded is set (the
// last three only from a Consenter).
type LoginStep struct {
	Session   *BankSession
	Challenge *Challenge
	Redirect  *Redirect
	Decoupled *Decoupled
	Embedded  *Embedded
}

// Challenge is the bank asking for more: an OTP, a security answer, a PIN,
// a hardware token code.
type Challenge struct {
	Ref    string // the bank's handle for this challenge; pass back to Answer
	Kind   string // "otp", "question", "pin" or "token"
	UI     UIForm // what to ask the user, with the field names to send back
	Tenant string
	// Credentials are the app's provider keys, filled by kobo before
	// Answer and never sealed with the challenge.
	Credentials ProviderCredentials `json:"-"`
}

// BankSession is an authenticated session at a bank. Token is what the
// bank's data calls need; Persist is what kobo stores, encrypted, to log in
// again for later syncs without the user (a refresh token or, for banks
// without one, the credentials).
type BankSession struct {
	Token     Secret
	ExpiresAt time.Time
	Persist   Secret
	Tenant    string
	// ConsentExpiresAt is when the customer's grant ends (an open-banking
	// consent's validity); nil for grants that do not expire.
	ConsentExpiresAt *time.Time
	// Credentials are the app's provider keys, filled by kobo on every
	// call and never sealed into the stored session.
	Credentials ProviderCredentials
}

// BankAccount is an account as the bank lists it.
type BankAccount struct {
	Ref      string // the bank's id for the account
	Number   AccountNumber
	Name     string
	Type     string // the bank's free text: "SAVINGS ACCOUNT", "CURRENT ACCOUNT"
	Currency string
	Balance  int64  // minor units
	Status   string // "active", ...
	BVN      BVN    // may be empty
	// Identifiers are the other names of the account (IBAN, sort code and
	// number); Number stays the one kobo shows as account_number.
	Identifiers []AccountIdentifier
	Institution string // the bank's name when one provider reaches many (SimpleFIN's org)
}

// BankBalance is an account's balance.
type BankBalance struct {
	Ref       string
	Balance   int64 // minor units, ledger balance
	Available int64 // minor units
	Currency  string
	AsOf      time.Time
}

// TxnQuery bounds a transaction fetch. Zero From means the bank's earliest;
// zero To means now.
type TxnQuery struct {
	From     time.Time
	To       time.Time
	PageSize int
}

// BankTransaction is one transaction as the bank reports it. Ref is stable:
// the same transaction keeps its Ref across fetches, which is what lets a
// merge drop repeats.
type BankTransaction struct {
	Ref       string
	Date      time.Time // UTC
	Type      TxnType
	Amount    int64  // positive minor units
	Balance   *int64 // running balance after the transaction, when given
	Narration string
	Currency  string
	// Pending says the bank has not posted it yet. PendingRef, on a posted
	// row, is the Ref of the pending row it replaces, when the source links
	// them; kobo then drops the pending row.
	Pending    bool
	PendingRef string
	// ProviderID says Ref is the source's own stable id (merge by it);
	// false means Ref was made by kobo from date+amount+narration.
	ProviderID bool
	// Meta is what the source reports that Mono's transaction shape has no
	// field for, under the keys of TxnMeta (nil when there is none).
	Meta TxnMeta
}

// BankIdentity is the account holder's identity as the bank reports it.
type BankIdentity struct {
	FullName      string
	Email         string
	Phone         string
	Gender        string
	DOB           string // YYYY-MM-DD
	BVN           BVN
	MaritalStatus string
	AddressLine1  string
	AddressLine2  string
	StateOfOrigin string
	LGAOfOrigin   string
}

// BankErrorKind classifies what went wrong at a bank.
type BankErrorKind string

const (
	BankBadCredentials BankErrorKind = "bad_credentials" // wrong login, OTP or answer
	BankLocked         BankErrorKind = "locked"          // the bank has locked the user
	BankMFARequired    BankErrorKind = "mfa_required"    // a human must log in again (re-authorisation)
	BankTokenExpired   BankErrorKind = "token_expired"   // the session ended; log in again with stored credentials
	BankUnavailable    BankErrorKind = "unavailable"     // 5xx, timeouts, resets, circuit open; transient
	BankRateLimited    BankErrorKind = "rate_limited"    // the bank says slow down; transient
	BankInvalidData    BankErrorKind = "invalid_data"    // the bank answered something we cannot parse
	BankNotFound       BankErrorKind = "not_found"       // unknown account, challenge or user
	// BankAppCredentials: the provider refused the app's own keys at it
	// (Mono's 401/403 to a wrong secret key), not the customer's login.
	// Only the partner can fix it (PUT /v1/apps/{id}/providers/{provider}),
	// so it is neither retried nor a re-authorisation.
	BankAppCredentials BankErrorKind = "app_credentials"
)

// BankError is a classified bank failure.
type BankError struct {
	Kind       BankErrorKind
	Message    string // safe to show the end user ("Invalid OTP")
	RetryAfter time.Duration
	Err        error
}

func (e *BankError) Error() string {
	s := "bank: " + string(e.Kind)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *BankError) Unwrap() error { return e.Err }

// Transient reports whether retrying the same call later may succeed.
func (e *BankError) Transient() bool {
	return e.Kind == BankUnavailable || e.Kind == BankRateLimited
}

// BankErrorKindOf returns the Kind of the first *BankError in err's chain,
// or "" if there is none.
func BankErrorKindOf(err error) BankErrorKind {
	var be *BankError
	if errors.As(err, &be) {
		return be.Kind
	}
	return ""
}

// SandboxUser is a banksim test user, listed for partners
// (/v2/connect/sandbox and the dashboard).
type SandboxUser struct {
	Username            string            `json:"username"`
	Password            string            `json:"password"`
	Description         string            `json:"description"`
	HasMultipleAccounts bool              `json:"hasMultipleAccounts"`
	MFA                 string            `json:"mfa,omitempty"`    // "", "otp", "question", "pin", "token"
	Inputs              map[string]string `json:"inputs,omitempty"` // the MFA answers, by field name
	Values              map[string]string `json:"values,omitempty"` // what to type into the login form, by field name
}

// Sandbox is the control surface of a simulated bank, used by kobo's
// sandbox endpoints; live providers do not implement it.
type Sandbox interface {
	// Users lists the test users, with the values each would type into the
	// institution's form for authMethod.
	Users(ctx context.Context, inst Institution, authMethod string) ([]SandboxUser, error)
	// AdvanceClock moves the tenant's simulated time forward.
	AdvanceClock(ctx context.Context, tenant string, d time.Duration) (time.Time, error)
	// Now returns the tenant's simulated time.
	Now(ctx context.Context, tenant string) (time.Time, error)
	// RequireMFA makes the next non-interactive login of the user behind
	// the session demand MFA (drives re-authorisation).
	RequireMFA(ctx context.Context, s BankSession) error
}
