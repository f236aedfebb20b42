package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Response codes of consent steps beyond Mono's (kobo's extension of the
// headless API; clients of credential-login institutions never see them).
const (
	CodeRedirect = 103 // send the customer to data.url; commit {} after they come back
	CodePending  = 104 // the customer approves in their bank app; commit {} again after data.poll_after_ms
	CodeEmbedded = 105 // open the provider's widget (data.script, data.config); commit {"code"} with what it returns
)

// ConsentView is what a client needs to drive a consent step.
type ConsentView struct {
	Kind      string            // kobo.ConsentRedirect, ConsentDecoupled or ConsentEmbedded
	URL       string            // redirect: where to send the customer
	Script    string            // embedded: the provider widget's script
	Config    map[string]string // embedded: its configuration
	PollAfter time.Duration     // decoupled: when to commit again
	ExpiresAt time.Time         // decoupled: when the request lapses
	Approved  bool              // redirect: the customer came back approved; commit {} continues
}

// consentChallengeKind marks a sealed Challenge that holds a consent step
// rather than a bank's OTP/question: the session's one sealed slot for a
// pending step carries either, so the state machine is the same
// (mfa_required, answered by commit).
const consentChallengeKind = "consent:"

// pendingConsent is a consent step in progress, sealed in the session.
type pendingConsent struct {
	Kind     string            `json:"k"`
	Provider string            `json:"p"`
	Ref      string            `json:"r"`
	Verifier string            `json:"v,omitempty"` // PKCE verifier (redirect)
	Nonce    string            `json:"n,omitempty"` // the state's single-use part (redirect); cleared when used
	ReturnTo string            `json:"u,omitempty"` // where the callback sends the customer
	URL      string            `json:"url,omitempty"`
	Script   string            `json:"s,omitempty"`
	Config   map[string]string `json:"c,omitempty"`
	Message  string            `json:"m,omitempty"`
	Interval time.Duration     `json:"i,omitempty"`
	Expires  time.Time         `json:"e,omitzero"`
	NextPoll time.Time         `json:"np,omitzero"`
	Polls    int               `json:"pn,omitempty"`
	// Approved is the bank session the redirect's callback opened, kept
	// until the client's commit continues (to accounts and the code).
	Approved *sealedBankSession `json:"a,omitempty"`
}

// redirectSecrets are made for a redirect login before the provider is
// called: the state and PKCE pair kobo hands it.
type redirectSecrets struct {
	params   kobo.RedirectParams
	nonce    string
	verifier string
	returnTo string
}

// Decoupled polling backs off from the provider's interval to at most this.
const maxPollInterval = 30 * time.Second

func (s *Service) callbackURL(provider string) string {
	return strings.TrimRight(s.publicURL, "/") + "/connect/callback/" + url.PathEscape(provider)
}

// signState makes the redirect's state: the session id, a single-use
// nonce, and an HMAC over both and the provider, so a callback names its
// session without any lookup table and cannot be forged or moved to
// another provider's callback.
func (s *Service) signState(sessionID, nonce, provider string) string {
	m := hmac.New(sha256.New, s.urlKey)
	fmt.Fprintf(m, "connect-state|%s|%s|%s", sessionID, nonce, provider)
	return sessionID + "." + nonce + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Service) newRedirectSecrets(cs *kobo.ConnectSession, provider, returnTo string) *redirectSecrets {
	nonce, verifier := kobo.RandomToken(16), kobo.RandomToken(43)
	sum := sha256.Sum256([]byte(verifier))
	return &redirectSecrets{nonce: nonce, verifier: verifier, returnTo: returnTo, params: kobo.RedirectParams{
		State: s.signState(cs.ID, nonce, provider), CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CallbackURL: s.callbackURL(provider)}}
}

// checkReturnTo validates where a redirect consent sends the customer
// back (login field redirect_url): https, or http on loopback in sandbox.
func (s *Service) checkReturnTo(raw string, live bool) error {
	if raw == "" || (s.publicURL != "" && strings.HasPrefix(raw, strings.TrimRight(s.publicURL, "/")+"/connect/")) {
		return nil // nowhere (kobo's own page), or kobo's widget
	}
	u, err := url.Parse(raw)
	bad := &kobo.Error{Code: kobo.EINVALID, Message: "redirect_url must be an absolute https URL", Fields: map[string]string{"redirect_url": "must be an absolute https URL"}}
	if err != nil || u.Host == "" || len(raw) > 2048 {
		return bad
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && !live && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
	default:
		return bad
	}
	return nil
}

// consentStep answers a provider's Redirect, Decoupled or Embedded step:
// it is sealed into the session (mfa_required) and the client is told
// what to do.
func (s *Service) consentStep(ctx context.Context, cs *kobo.ConnectSession, r route, step kobo.LoginStep, rs *redirectSecrets) (*ConnectStep, error) {
	pc := pendingConsent{Provider: r.name}
	now := s.now()
	if err := checkConsentURLs(step); err != nil {
		_ = s.save(ctx, cs) // release the hold; the session stays where it was
		return nil, err
	}
	switch {
	case step.Redirect != nil:
		if rs == nil {
			_ = s.save(ctx, cs)
			return nil, kobo.Errorf(kobo.EPROVIDER, "the provider asked for a redirect on an auth method that is not a redirect consent")
		}
		pc.Kind, pc.Ref, pc.URL = kobo.ConsentRedirect, step.Redirect.Ref.Reveal(), step.Redirect.URL
		pc.Nonce, pc.Verifier, pc.ReturnTo = rs.nonce, rs.verifier, rs.returnTo
	case step.Decoupled != nil:
		d := step.Decoupled
		pc.Kind, pc.Ref, pc.Message = kobo.ConsentDecoupled, d.Ref.Reveal(), d.Message
		pc.Interval = min(max(d.Interval, time.Second), maxPollInterval)
		pc.Expires = d.ExpiresAt
		if pc.Expires.IsZero() || pc.Expires.After(cs.ExpiresAt) {
			pc.Expires = cs.ExpiresAt
		}
		pc.NextPoll = now.Add(pc.Interval)
	case step.Embedded != nil:
		e := step.Embedded
		pc.Kind, pc.Ref, pc.Script, pc.Config = kobo.ConsentEmbedded, e.Ref.Reveal(), e.Script, e.Config
	}
	if err := s.sealConsent(cs, pc); err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	if cs.State != kobo.SessionMFARequired {
		if err := moveTo(cs, kobo.SessionMFARequired); err != nil {
			return nil, err
		}
	}
	if err := s.save(ctx, cs); err != nil {
		return nil, err
	}
	return s.consentView(cs, pc, now), nil
}

// checkConsentURLs refuses a consent step whose URL the widget would
// navigate to (a redirect's URL) or load as a script (an embedded widget's
// script) unless it is https: a javascript: or data: URL would run in the
// widget's origin, and plain http lets anyone on the customer's network
// rewrite the bank's login page. Plain http is allowed only on loopback
// hosts, which never leave the customer's machine: that is where banksim
// and the tests' banks listen (http://127.0.0.1:port).
func checkConsentURLs(step kobo.LoginStep) error {
	check := func(what, raw string) error {
		if safeConsentURL(raw) {
			return nil
		}
		shown := raw
		if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
			shown = u.Scheme + ":" // the rest may carry the bank's state or a payload
		} else if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return kobo.Errorf(kobo.EPROVIDER, "the bank answered with a consent %s that is not an https URL (%q); kobo does not send the customer there", what, shown)
	}
	switch {
	case step.Redirect != nil:
		return check("redirect URL", step.Redirect.URL)
	case step.Embedded != nil:
		return check("script", step.Embedded.Script)
	}
	return nil
}

func safeConsentURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 8192 {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

func (s *Service) sealConsent(cs *kobo.ConnectSession, pc pendingConsent) error {
	b, err := json.Marshal(pc)
	if err != nil {
		return err
	}
	sealed, err := s.seal(kobo.Challenge{Kind: consentChallengeKind + pc.Kind, Ref: string(b), Tenant: cs.AppID}, "session:"+cs.ID+":challenge")
	if err != nil {
		return err
	}
	cs.Challenge = sealed
	cs.Form = kobo.UIForm{Title: consentTitle(pc.Kind)}
	if pc.Kind == kobo.ConsentEmbedded && pc.Approved == nil {
		cs.Form.Form = []kobo.FormField{{Type: "elements.input", Name: "code", Hint: "The code the provider's widget returned", ContentType: "string"}}
	}
	return nil
}

func consentTitle(kind string) string {
	switch kind {
	case kobo.ConsentRedirect:
		return "Continue at your bank"
	case kobo.ConsentDecoupled:
		return "Approve in your bank app"
	}
	return "Connect with your bank"
}

func (s *Service) consentView(cs *kobo.ConnectSession, pc pendingConsent, now time.Time) *ConnectStep {
	v := &ConsentView{Kind: pc.Kind}
	step := &ConnectStep{Session: cs, Consent: v}
	switch pc.Kind {
	case kobo.ConsentRedirect:
		step.ResponseCode, step.Message = CodeRedirect, "Redirect the customer to their bank"
		v.URL, v.Approved = pc.URL, pc.Approved != nil
		if v.Approved {
			step.Message = "The customer approved at their bank; commit to continue"
		}
	case kobo.ConsentDecoupled:
		step.ResponseCode, step.Message = CodePending, cmpStr(pc.Message, "Approve the request in your bank app")
		v.PollAfter, v.ExpiresAt = max(pc.NextPoll.Sub(now), 0), pc.Expires
	case kobo.ConsentEmbedded:
		step.ResponseCode, step.Message = CodeEmbedded, "Open the provider's widget"
		v.Script, v.Config = pc.Script, pc.Config
	}
	return step
}

// openConsent returns the pending consent a sealed challenge holds, or
// false for an ordinary bank challenge.
func openConsent(ch kobo.Challenge) (pendingConsent, bool, error) {
	if !strings.HasPrefix(ch.Kind, consentChallengeKind) {
		return pendingConsent{}, false, nil
	}
	var pc pendingConsent
	if err := json.Unmarshal([]byte(ch.Ref), &pc); err != nil {
		return pc, true, fmt.Errorf("open pending consent: %w", err)
	}
	return pc, true, nil
}

// commitConsent is a commit on a session waiting for a consent: the
// embedded widget's code, a redirect's approval, or a decoupled poll.
func (s *Service) commitConsent(ctx context.Context, cs *kobo.ConnectSession, inst *kobo.Institution, r route, pc pendingConsent, fields map[string]string, index int, number string) (*ConnectStep, error) {
	if pc.Provider != r.name {
		_ = s.failSession(ctx, cs, "provider changed")
		return nil, kobo.Errorf(kobo.EGONE, "this institution's provider changed during the session; start a new session")
	}
	if err := s.hold(ctx, cs); err != nil {
		return nil, err
	}
	now := s.now()
	if pc.Approved != nil {
		bs := pc.Approved.bankSession()
		return s.advance(ctx, cs, inst, r, kobo.LoginStep{Session: &bs}, nil, index, number, nil)
	}
	consenter, ok := r.consenter()
	if !ok {
		_ = s.failSession(ctx, cs, "provider has no consent steps")
		return nil, kobo.Errorf(kobo.EPROVIDER, "the provider cannot finish this consent")
	}
	creds, err := s.providerCredentials(ctx, cs.AppID, r.name)
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	switch pc.Kind {
	case kobo.ConsentRedirect:
		_ = s.save(ctx, cs)
		return s.consentView(cs, pc, now), nil // still at the bank
	case kobo.ConsentEmbedded:
		code := strings.TrimSpace(fields["code"])
		step, err := consenter.Callback(ctx, kobo.CallbackRequest{Ref: kobo.Secret(pc.Ref), Params: map[string]string{"code": code}, Credentials: creds, Institution: *inst})
		return s.advance(ctx, cs, inst, r, step, err, index, number, nil)
	case kobo.ConsentDecoupled:
		if !now.Before(pc.Expires) {
			_ = s.failSession(ctx, cs, "consent expired")
			return nil, kobo.Errorf(kobo.EGONE, "the customer did not approve the request in time; start a new session")
		}
		if now.Before(pc.NextPoll) {
			_ = s.save(ctx, cs)
			return s.consentView(cs, pc, now), nil // too soon: the bank is not asked
		}
		step, err := consenter.Poll(ctx, kobo.Decoupled{Ref: kobo.Secret(pc.Ref), Message: pc.Message, Interval: pc.Interval, ExpiresAt: pc.Expires}, creds)
		if kobo.BankErrorKindOf(err) == kobo.BankBadCredentials {
			_ = s.failSession(ctx, cs, "consent rejected")
			return nil, kobo.Errorf(kobo.EINVALID, "the customer declined the request in their bank app; start a new session to try again")
		}
		if err == nil && step.Decoupled != nil {
			// still waiting: back off (×1.5 per poll, at most maxPollInterval)
			pc.Polls++
			wait := pc.Interval
			for i := 0; i < pc.Polls && wait < maxPollInterval; i++ {
				wait = wait * 3 / 2
			}
			pc.NextPoll = now.Add(min(wait, maxPollInterval))
			if err := s.sealConsent(cs, pc); err != nil {
				_ = s.save(ctx, cs)
				return nil, err
			}
			if err := s.save(ctx, cs); err != nil {
				return nil, err
			}
			return s.consentView(cs, pc, now), nil
		}
		return s.advance(ctx, cs, inst, r, step, err, index, number, nil)
	}
	_ = s.save(ctx, cs)
	return nil, kobo.Errorf(kobo.EINVALID, "nothing to commit for this consent")
}

// CallbackResult is where the redirect callback sends the customer.
type CallbackResult struct {
	SessionID string
	ReturnTo  string // "" : kobo shows its own page
	Approved  bool
	Message   string
}

// ConsentCallback is GET /connect/callback/{provider}: the customer is
// back from the bank with the state kobo signed. The state is checked
// (signature, provider, single use), the provider finishes the consent
// with the PKCE verifier kept sealed in the session, and the bank session
// waits in the session for the client's commit.
func (s *Service) ConsentCallback(ctx context.Context, provider string, params map[string]string) (*CallbackResult, error) {
	bad := kobo.Errorf(kobo.EINVALID, "this link is not valid or was already used; start again from the app")
	state := params["state"]
	parts := strings.Split(state, ".")
	if len(parts) != 3 || !hmac.Equal([]byte(state), []byte(s.signState(parts[0], parts[1], provider))) {
		return nil, bad
	}
	var cs *kobo.ConnectSession
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		cs, err = tx.ConnectSession(ctx, parts[0])
		return err
	})
	if err != nil {
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil, bad
		}
		return nil, err
	}
	res := &CallbackResult{SessionID: cs.ID}
	if cs.State != kobo.SessionMFARequired || !s.clock.Now().Before(cs.ExpiresAt) {
		return nil, kobo.Errorf(kobo.EGONE, "this connection attempt has ended; start again from the app")
	}
	var ch kobo.Challenge
	if err := s.unseal(cs.Challenge, "session:"+cs.ID+":challenge", &ch); err != nil {
		return nil, err
	}
	pc, isConsent, err := openConsent(ch)
	if err != nil {
		return nil, err
	}
	if !isConsent || pc.Kind != kobo.ConsentRedirect || pc.Provider != provider || pc.Nonce == "" || !hmac.Equal([]byte(pc.Nonce), []byte(parts[1])) {
		return nil, bad
	}
	res.ReturnTo = pc.ReturnTo
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		return nil, err
	}
	r, err := s.sessionRoute(ctx, cs, inst)
	if err != nil {
		return nil, err
	}
	consenter, ok := r.consenter()
	if !ok || r.name != provider {
		return nil, bad
	}
	if err := s.hold(ctx, cs); err != nil {
		return nil, err
	}
	// single use: the nonce goes before the provider is called, so a
	// replayed callback (or a second tab) cannot finish it again
	pc.Nonce = ""
	q := make(map[string]string, len(params))
	for k, v := range params {
		if k != "state" {
			q[k] = v
		}
	}
	creds, err := s.providerCredentials(ctx, cs.AppID, r.name)
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	step, berr := consenter.Callback(ctx, kobo.CallbackRequest{Ref: kobo.Secret(pc.Ref), Params: q, CodeVerifier: kobo.Secret(pc.Verifier), Credentials: creds, Institution: *inst})
	pc.Verifier = ""
	if berr == nil && step.Session == nil {
		berr = &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the provider finished the consent without a session"}
	}
	if berr != nil {
		var be *kobo.BankError
		msg := "The bank did not confirm access"
		if errors.As(berr, &be) && be.Message != "" {
			msg = be.Message
		}
		_ = s.failSession(ctx, cs, "consent refused at bank")
		res.Message = msg
		return res, nil
	}
	bs := sealedFromSession(*step.Session, cs.AppID, r.name)
	pc.Approved = &bs
	if err := s.sealConsent(cs, pc); err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	if err := s.save(ctx, cs); err != nil {
		return nil, err
	}
	res.Approved, res.Message = true, "Your bank confirmed access"
	return res, nil
}

func sealedFromSession(bs kobo.BankSession, tenant, provider string) sealedBankSession {
	return sealedBankSession{Token: bs.Token.Reveal(), ExpiresAt: bs.ExpiresAt, Persist: bs.Persist.Reveal(), Tenant: cmpStr(bs.Tenant, tenant),
		ConsentExpiresAt: bs.ConsentExpiresAt, Provider: provider}
}

func (b sealedBankSession) bankSession() kobo.BankSession {
	return kobo.BankSession{Token: kobo.Secret(b.Token), ExpiresAt: b.ExpiresAt, Persist: kobo.Secret(b.Persist), Tenant: b.Tenant, ConsentExpiresAt: b.ConsentExpiresAt}
}
