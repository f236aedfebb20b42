package kobo

import (
	"context"
	"net/http"
	"time"
)

// Consent kinds: how a customer grants kobo access at a provider. A
// credential login (the form, then OTP/question challenges) is the
// simulator's and most Nigerian banks'; real open-banking sources add the
// others. An auth method names its kind (AuthMethod.Consent); empty means
// ConsentCredentials.
const (
	ConsentCredentials = "credentials" // the login form and Challenges
	ConsentRedirect    = "redirect"    // to the bank's page and back to /connect/callback/{provider}
	ConsentDecoupled   = "decoupled"   // the customer approves in their bank app; kobo polls
	ConsentToken       = "token"       // the customer pastes a setup token the provider issued
	ConsentEmbedded    = "embedded"    // kobo's widget hosts the provider's own widget and receives its code
)

// Redirect is a provider asking kobo to send the customer to URL. The
// provider builds URL with the State and CodeChallenge kobo gives it
// (RedirectParams); kobo signs the state, keeps it single use, and hands
// the callback's query to Consenter.Callback.
type Redirect struct {
	URL string
	Ref Secret // the provider's handle for this consent (sealed in the session)
}

// RedirectParams are what kobo gives a provider to build a Redirect.
type RedirectParams struct {
	State         string // signed, single use; the provider must put it in the URL as is
	CodeChallenge string // PKCE S256 challenge
	CallbackURL   string // https://<kobo>/connect/callback/{provider}
}

// Decoupled is a provider waiting for the customer to approve in their bank
// app. kobo calls Consenter.Poll no sooner than Interval (backing off) until
// a Session, a rejection (BankBadCredentials) or ExpiresAt.
type Decoupled struct {
	Ref       Secret
	Message   string // what to tell the customer ("Approve the request in your bank app")
	Interval  time.Duration
	ExpiresAt time.Time
}

// Embedded is a provider whose own widget kobo's widget opens; the widget
// receives a code from it and posts it back, and kobo hands it to
// Consenter.Callback as {"code": …}.
type Embedded struct {
	Script string            // the provider widget's script URL
	Config map[string]string // what the provider widget needs (its public key, …); shown to the browser
	Ref    Secret
}

// ScriptHost is implemented by providers with an embedded consent: the
// origins ("https://connect.withmono.com") their widget's script, frames
// and calls come from, which kobo's widget page allows in its
// Content-Security-Policy (it allows nothing else from elsewhere).
type ScriptHost interface {
	ScriptOrigins() []string
}

// Consenter is implemented by providers with consent kinds beyond the
// credential form. Login may then answer a LoginStep with Redirect,
// Decoupled or Embedded set, and kobo finishes the consent here.
type Consenter interface {
	// Callback finishes a redirect or embedded consent with what came back
	// (the callback's query, or {"code": …} from an embedded widget) and
	// the PKCE verifier kobo kept for the redirect (empty for embedded).
	Callback(ctx context.Context, req CallbackRequest) (LoginStep, error)
	// Poll asks once whether a decoupled consent was approved: a Session,
	// the same Decoupled again (still waiting), or an error.
	Poll(ctx context.Context, d Decoupled, creds ProviderCredentials) (LoginStep, error)
}

// CallbackRequest is the end of a redirect or embedded consent.
type CallbackRequest struct {
	Ref          Secret
	Params       map[string]string
	CodeVerifier Secret
	Credentials  ProviderCredentials
	Institution  Institution
}

// ProviderCredentials are an app's keys at a provider (Mono's secret key,
// an OBIE client id and certificate), by the provider's own field names,
// or the deployment's default from the environment. kobo stores them
// sealed, passes them on every call (LoginRequest and BankSession carry
// them, never persisted in a sealed session) and never returns them.
type ProviderCredentials map[string]Secret

// ProviderPolicy is what kobo enforces before it calls a provider out.
type ProviderPolicy struct {
	// Real providers reach real banks: live apps may use only these, and
	// sandbox apps may use them too. The simulator is not Real.
	Real bool
	// MinSyncInterval is the shortest gap between two background syncs of
	// one account (SimpleFIN refreshes daily); zero means kobo's default.
	MinSyncInterval time.Duration
	// MinManualSyncInterval is the shortest gap between two partner-asked
	// syncs of one account (Mono: 2 minutes); a sooner one answers 429.
	MinManualSyncInterval time.Duration
	// CallsPerMinute caps calls to the provider per app; zero is no cap.
	CallsPerMinute int
	// Credentials names the fields an app configures for this provider
	// (PUT /v1/apps/{id}/providers/{provider}); empty means none are needed.
	Credentials []string
	// OverlapWindow is how far back every sync re-reads, so late-posting
	// and pending-to-posted changes are seen.
	OverlapWindow time.Duration
}

// Policied is implemented by providers with a policy; the others get the
// zero ProviderPolicy (not Real, no limits).
type Policied interface {
	Policy() ProviderPolicy
}

// ProviderHealth is the answer of a credential check.
type ProviderHealth struct {
	OK        bool
	Message   string // why not
	CheckedAt time.Time
}

// CredentialChecker is implemented by providers that can verify an app's
// credentials without a customer (a cheap authenticated call).
type CredentialChecker interface {
	CheckCredentials(ctx context.Context, creds ProviderCredentials) ProviderHealth
}

// ProviderEventKind is what a provider's own webhook tells kobo.
type ProviderEventKind string

const (
	ProviderAccountUpdated  ProviderEventKind = "account_updated"  // new data upstream: sync
	ProviderReauthRequired  ProviderEventKind = "reauth_required"  // the customer must re-authorise
	ProviderAccountUnlinked ProviderEventKind = "account_unlinked" // the upstream link is gone
	ProviderConsentRevoked  ProviderEventKind = "consent_revoked"
	ProviderIncomeReady     ProviderEventKind = "income_ready" // the upstream's income report (Income set)
)

// ProviderEvent is one event from a provider webhook, naming the account
// by the provider's ref (Account.ProviderRef).
type ProviderEvent struct {
	Kind       ProviderEventKind
	AccountRef string
	At         time.Time
	Income     *ProviderIncome // ProviderIncomeReady only
}

// WebhookReceiver is implemented by providers that push events to kobo
// (POST /v1/providers/{provider}/webhooks/{app_id}). Verify the request
// with the app's credentials and decode it; a request that does not verify
// is an EUNAUTHORIZED *Error.
type WebhookReceiver interface {
	ReceiveWebhook(ctx context.Context, creds ProviderCredentials, h http.Header, body []byte) ([]ProviderEvent, error)
}

// Consent is an account's grant of access at its provider, kept as data:
// credential logins have no expiry; open-banking consents do.
type Consent struct {
	Kind      string     // a Consent* kind
	Provider  string     // "banksim", "mono", "simplefin", …
	ExpiresAt *time.Time // nil: does not expire
}

// Account identifier schemes, beyond the NUBAN kobo has always kept in
// Account.AccountNumber.
const (
	SchemeNUBAN     = "nuban"
	SchemeIBAN      = "iban"
	SchemeSortCode  = "sort_code_account_number" // UK: "SSSSSS" + "NNNNNNNN"
	SchemeUSRouting = "us_routing_account_number"
	SchemeOther     = "other"
)

// AccountIdentifier is one way a bank names an account.
type AccountIdentifier struct {
	Scheme string
	Value  AccountNumber
}

// EventConsentExpiring is kobo's event (Mono has none) announcing, once per
// consent, that an account's consent ends within a week; the partner
// re-authorises the account before then (POST /accounts/{id}/reauthorise).
const EventConsentExpiring = "mono.events.consent_expiring"
