package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Connect flow limits.
const (
	SessionTTL     = 15 * time.Minute // a connect session's lifetime
	CodeTTL        = 10 * time.Minute // an auth code's lifetime (Mono: 10 minutes)
	MaxWrongTries  = 3                // wrong passwords or answers before a session fails
	sessionHoldFor = 2 * time.Minute  // how long one request may hold a session
)

// Response codes of the connect flow (Mono's).
const (
	CodeLinked        = 99  // done: here is the code
	CodeSelectAccount = 101 // choose one of several accounts
	CodeMoreInput     = 102 // answer the form (OTP, question, PIN, token)
	CodeBadInput      = 400 // wrong credentials or input
)

// allowedTransitions is the connect state machine: from each state, the
// states a request may move the session to. Everything else is refused.
var allowedTransitions = map[kobo.SessionState][]kobo.SessionState{
	kobo.SessionCreated:       {kobo.SessionCreated, kobo.SessionMFARequired, kobo.SessionAccountSelect, kobo.SessionLinked, kobo.SessionFailed},
	kobo.SessionMFARequired:   {kobo.SessionMFARequired, kobo.SessionAccountSelect, kobo.SessionLinked, kobo.SessionFailed},
	kobo.SessionAccountSelect: {kobo.SessionAccountSelect, kobo.SessionLinked, kobo.SessionFailed},
	kobo.SessionLinked:        {kobo.SessionExchanged, kobo.SessionFailed},
	kobo.SessionExchanged:     nil,
	kobo.SessionFailed:        nil,
}

// CanTransition reports whether the state machine allows from → to.
func CanTransition(from, to kobo.SessionState) bool {
	return slices.Contains(allowedTransitions[from], to)
}

func moveTo(cs *kobo.ConnectSession, to kobo.SessionState) error {
	if !CanTransition(cs.State, to) {
		return fmt.Errorf("connect session %s: illegal transition %s → %s", cs.ID, cs.State, to)
	}
	cs.State = to
	return nil
}

// BankAccountView is an account offered for selection (responseCode 101).
type BankAccountView struct {
	Index         int
	AccountNumber string
	Name          string
	Type          string
	Currency      string
	Status        string
	Balance       int64
}

// ConnectStep is the outcome of a login or commit.
type ConnectStep struct {
	ResponseCode int
	Message      string
	Code         string            // 99: the auth code
	Accounts     []BankAccountView // 101
	Form         *kobo.UIForm      // 102
	Consent      *ConsentView      // 103, 104, 105
	// Linked is the account a 99 linked, when the bank named it (the
	// widget's success screen shows its bank and masked number)
	Linked  *BankAccountView
	Session *kobo.ConnectSession
}

// SessionInput starts a connect session.
type SessionInput struct {
	AppID         string // v1 body "app": must be the caller's app when given
	InstitutionID string
	AuthMethod    string
	Scope         string // "financial_data" / "auth" (default) or "reauth"
	AccountID     string // reauth: the account to re-authorise
	CustomerID    string
	CustomerName  string
	CustomerEmail string
	Reference     string
	ViaLink       bool // opened by a Connect Link
	// ReauthToken is the widget's proof that the partner asked for this
	// re-authorisation (a token from POST /accounts/{id}/reauthorise).
	ReauthToken string
}

// sealed shapes: private so the raw secrets never meet kobo.Secret's
// redacting marshaller.
type sealedBankSession struct {
	Token     string    `json:"t"`
	ExpiresAt time.Time `json:"e"`
	Persist   string    `json:"p"`
	Tenant    string    `json:"n"`
	// ConsentExpiresAt is when the customer's grant ends (nil: never);
	// Provider the connector the session belongs to.
	ConsentExpiresAt *time.Time `json:"c,omitempty"`
	Provider         string     `json:"v,omitempty"`
}

type sealedAccounts struct {
	List     []sealedAccount `json:"l"`
	Selected int             `json:"s"` // index into List, -1 if none
}

type sealedAccount struct {
	Ref, Number, Name, Type, Currency, Status, BVN string
	Balance                                        int64
	// IDs are the account's other identifiers (IBAN, sort code and
	// number), kept with the account when it links
	IDs []sealedIdentifier `json:",omitempty"`
}

type sealedIdentifier struct {
	Scheme, Value string
}

// otherIdentifiers are the identifiers worth keeping beside the account
// number: one per scheme, none empty, and not the account number itself
// again as a NUBAN.
func otherIdentifiers(a kobo.BankAccount) []sealedIdentifier {
	var out []sealedIdentifier
	seen := map[string]bool{}
	for _, id := range a.Identifiers {
		scheme, v := strings.TrimSpace(id.Scheme), strings.TrimSpace(string(id.Value))
		if scheme == "" || v == "" || seen[scheme] || (scheme == kobo.SchemeNUBAN && v == string(a.Number)) || len(v) > 64 {
			continue
		}
		seen[scheme] = true
		out = append(out, sealedIdentifier{Scheme: scheme, Value: v})
	}
	return out
}

func (s *Service) seal(v any, aad string) (kobo.Sealed, error) {
	if s.sealer == nil {
		return "", errors.New("no sealer configured")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return s.sealer.Seal(b, aad)
}

func (s *Service) unseal(sealed kobo.Sealed, aad string, v any) error {
	if s.sealer == nil {
		return errors.New("no sealer configured")
	}
	b, err := s.sealer.Open(sealed, aad)
	if err != nil {
		// kobo's own key problem (another KOBO_MASTER_KEY, a dropped old
		// key), never the bank's: its own code and an error in the log
		what, _, _ := strings.Cut(aad, ":")
		keyID, _, _ := strings.Cut(string(sealed), ".")
		s.log.Error("a stored secret does not open with this replica's master key", "secret", aad, "kind", what, "sealed_with_key", keyID, "err", err)
		return &kobo.Error{Code: kobo.EUNSEAL, Message: "kobo cannot open a stored secret with its master key; the operator must check KOBO_MASTER_KEY", Err: err}
	}
	return json.Unmarshal(b, v)
}

// CreateSession starts a connect session for the caller's app.
func (s *Service) CreateSession(ctx context.Context, c *kobo.Caller, in SessionInput) (*kobo.ConnectSession, *kobo.Institution, error) {
	v := kobo.Invalid{}
	if in.AppID != "" && in.AppID != c.App.ID {
		v.Add("app", "does not match the app of the key you are using")
	}
	if in.InstitutionID == "" && in.AccountID == "" {
		v.Add("institution", "is required (an _id from GET /v1/institutions)")
	}
	scope := kobo.ScopeAuth
	switch in.Scope {
	case "", "auth", "financial_data":
	case "reauth":
		scope = kobo.ScopeReauth
	default:
		v.Add("scope", `must be "financial_data" or "auth"`)
	}
	if len(in.Reference) > 100 {
		v.Add("reference", "must be at most 100 characters")
	}
	if in.CustomerEmail != "" && !validEmail(strings.ToLower(in.CustomerEmail)) {
		v.Add("customer.email", "must be a valid email address")
	}
	checkCustomerText(v, in.CustomerName, in.CustomerEmail, in.Reference, "reference")
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var acct *kobo.Account
	if scope == kobo.ScopeReauth {
		var err error
		if acct, err = s.ownedAccount(ctx, c, in.AccountID); err != nil {
			return nil, nil, err
		}
		in.InstitutionID = acct.InstitutionID
		if in.AuthMethod == "" {
			in.AuthMethod = acct.AuthMethod
		}
	}
	inst, err := s.Institution(ctx, in.InstitutionID)
	if err != nil {
		return nil, nil, &kobo.Error{Code: kobo.EINVALID, Message: "institution " + strconvQuote(in.InstitutionID) + " does not exist; list institutions with GET /v1/institutions",
			Fields: map[string]string{"institution": "does not exist"}}
	}
	if in.AuthMethod == "" {
		in.AuthMethod = inst.AuthMethods[0].Type
	}
	method, ok := inst.AuthMethod(in.AuthMethod)
	if in.AuthMethod == kobo.AuthStatementUpload {
		// every bank offers an upload beside its logins; there is nothing
		// to re-authorise on an account built from files
		if scope == kobo.ScopeReauth || s.statements == nil {
			return nil, nil, &kobo.Error{Code: kobo.EINVALID, Message: "statement uploads cannot re-authorise an account; upload a newer statement instead",
				Fields: map[string]string{"auth_method": "is not available here"}}
		}
		method, ok = uploadMethod(), true
	}
	if !ok {
		var have []string
		for _, m := range inst.AuthMethods {
			have = append(have, m.Type)
		}
		return nil, nil, &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("auth_method must be one of %s for %s", strings.Join(have, ", "), inst.Name),
			Fields: map[string]string{"auth_method": "is not offered by this institution"}}
	}
	if method.Type != kobo.AuthStatementUpload {
		// live keys reach real banks only: refuse before anything is made
		// (a missing connector still fails at login, as it always has)
		if _, err := s.routeFor(ctx, c.App.ID, c.Mode.IsLive(), inst, ""); kobo.ErrorCode(err) == kobo.EFORBIDDEN {
			return nil, nil, err
		}
	}
	now := s.now()
	cs := &kobo.ConnectSession{
		ID: "sess_" + kobo.RandomToken(24), AppID: c.App.ID, Live: c.Mode.IsLive(), InstitutionID: inst.ID, AuthMethod: method.Type,
		Scope: scope, State: kobo.SessionCreated, CustomerID: in.CustomerID, CustomerName: strings.TrimSpace(in.CustomerName),
		CustomerEmail: strings.ToLower(strings.TrimSpace(in.CustomerEmail)), Reference: in.Reference, Form: method.UI,
		ExpiresAt: now.Add(SessionTTL), CreatedAt: now, UpdatedAt: now, ViaLink: in.ViaLink,
	}
	if acct != nil {
		cs.AccountID, cs.CustomerID = acct.ID, acct.CustomerID
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := s.capPublicKey(ctx, tx, c, s.throttles.sessions(), "connect sessions"); err != nil {
			return err
		}
		if acct == nil {
			id, created, err := resolveCustomer(ctx, tx, c.App.ID, cs.Live, cs.CustomerID, cs.CustomerName, cs.CustomerEmail, now)
			if err != nil {
				return err
			}
			if created {
				if err := s.capPublicKey(ctx, tx, c, s.throttles.customers(), "new customers"); err != nil {
					return err
				}
			}
			cs.CustomerID = id
		}
		if err := tx.CreateConnectSession(ctx, cs); err != nil {
			return err
		}
		// a kobo session is made for the institution it links (the widget
		// asks for the bank first), so it starts with one chosen
		for _, st := range []kobo.FunnelStage{kobo.StageStarted, kobo.StageChosen} {
			if _, err := tx.MarkConnectStage(ctx, cs.ID, st, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return cs, inst, nil
}

// resolveCustomer finds or creates the customer a connect flow names: an
// existing id must belong to the app; an email finds or creates one.
// created says a customer was made.
func resolveCustomer(ctx context.Context, tx kobo.Tx, appID string, live bool, id, name, email string, now time.Time) (string, bool, error) {
	switch {
	case id != "":
		cust, err := tx.Customer(ctx, id)
		if err != nil || cust.AppID != appID || cust.Live != live {
			return "", false, &kobo.Error{Code: kobo.EINVALID, Message: "customer.id does not name a customer of this app", Fields: map[string]string{"customer.id": "is unknown"}}
		}
		return id, false, nil
	case email != "":
		cust, err := tx.CustomerByEmail(ctx, appID, live, email)
		switch kobo.ErrorCode(err) {
		case "":
			return cust.ID, false, nil
		case kobo.ENOTFOUND:
			cust = &kobo.Customer{ID: kobo.NewID(now), AppID: appID, Live: live, Name: name, Email: email, CreatedAt: now, UpdatedAt: now}
			return cust.ID, true, tx.CreateCustomer(ctx, cust)
		default:
			return "", false, err
		}
	}
	return "", false, nil
}

func strconvQuote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// liveSession loads a session the caller may drive. Another app's session
// (or another mode's) is ENOTFOUND. An expired session is failed here.
func (s *Service) liveSession(ctx context.Context, c *kobo.Caller, id string) (*kobo.ConnectSession, error) {
	if id == "" {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "x-session-id header is required (the id from POST /v1/connect/session)", Fields: map[string]string{"x-session-id": "is required"}}
	}
	var cs *kobo.ConnectSession
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		cs, err = tx.ConnectSession(ctx, id)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND || (err == nil && (cs.AppID != c.App.ID || cs.Live != c.Mode.IsLive())) {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "connect session not found; create one with POST /v1/connect/session")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case cs.State == kobo.SessionFailed:
		return nil, kobo.Errorf(kobo.EGONE, "this connect session has failed (%s); start a new session", cmpStr(cs.Failure, "failed"))
	case cs.State == kobo.SessionExchanged:
		return nil, kobo.Errorf(kobo.EGONE, "this connect session is complete; start a new session to link another account")
	case !s.clock.Now().Before(cs.ExpiresAt):
		_ = s.failSession(ctx, cs, "expired")
		return nil, kobo.Errorf(kobo.EGONE, "this connect session has expired (sessions last %d minutes); start a new session", int(SessionTTL.Minutes()))
	}
	return cs, nil
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Service) failSession(ctx context.Context, cs *kobo.ConnectSession, why string) error {
	if err := moveTo(cs, kobo.SessionFailed); err != nil {
		return err
	}
	cs.Failure, cs.UpdatedAt = why, s.now()
	cs.Challenge, cs.BankSession, cs.Accounts = "", "", "" // nothing sensitive outlives the session
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.UpdateConnectSession(ctx, cs); err != nil {
			return err
		}
		if why == "expired" {
			// running out of time is abandonment, not a failure the
			// funnel blames on the bank or the customer's answers
			return nil
		}
		_, err := tx.MarkConnectStage(ctx, cs.ID, kobo.StageFailed, cs.UpdatedAt)
		return err
	})
}

// checkFields validates submitted form fields against the names of the
// form the client was last sent: unknown names and missing ones are 400s
// naming them. extra lists names accepted beyond the form.
func checkFields(form kobo.UIForm, fields map[string]string, extra ...string) error {
	names := form.Names()
	v := kobo.Invalid{}
	var unknown []string
	for k := range fields {
		if !slices.Contains(names, k) && !slices.Contains(extra, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		v.Add(k, "is not a field of this form (expected "+strings.Join(names, ", ")+")")
	}
	for _, f := range form.Form {
		val, ok := fields[f.Name]
		switch {
		case !ok || strings.TrimSpace(val) == "":
			v.Add(f.Name, "is required")
		case f.MaxLength > 0 && len([]rune(val)) > f.MaxLength:
			v.Add(f.Name, fmt.Sprintf("must be at most %d characters", f.MaxLength))
		case len(val) > 512:
			v.Add(f.Name, "is too long")
		}
	}
	return v.Err()
}

// onlyFields keeps the fields form asks for (and the extra names).
func onlyFields(form kobo.UIForm, fields map[string]string, extra ...string) map[string]string {
	names := form.Names()
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if slices.Contains(names, k) || slices.Contains(extra, k) {
			out[k] = v
		}
	}
	return out
}

func secrets(fields map[string]string, except ...string) map[string]kobo.Secret {
	out := make(map[string]kobo.Secret, len(fields))
	for k, v := range fields {
		if !slices.Contains(except, k) {
			out[k] = kobo.Secret(v)
		}
	}
	return out
}

// hold claims the session for one request, so concurrent logins or commits
// on a session cannot both proceed, and re-reads it: a request that waited
// for another must see what that one did. It refuses (ECONFLICT) when the
// session is no longer in the state the request was validated against.
func (s *Service) hold(ctx context.Context, cs *kobo.ConnectSession) error {
	return s.holdAt(ctx, cs, "")
}

// holdAt is hold that also records a stage of the link funnel (when not
// ""), in the hold's own transaction rather than one of its own: a
// write transaction fewer on every login.
func (s *Service) holdAt(ctx context.Context, cs *kobo.ConnectSession, stage kobo.FunnelStage) error {
	now := s.clock.Now()
	var fresh *kobo.ConnectSession
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.ClaimConnectSession(ctx, cs.ID, now, now.Add(sessionHoldFor)); err != nil {
			return err
		}
		if stage != "" {
			if _, err := tx.MarkConnectStage(ctx, cs.ID, stage, s.now()); err != nil {
				return err
			}
		}
		var err error
		fresh, err = tx.ConnectSession(ctx, cs.ID)
		return err
	})
	if err != nil {
		return err
	}
	if fresh.State != cs.State || !fresh.UpdatedAt.Equal(cs.UpdatedAt) {
		_ = s.save(ctx, fresh) // release
		return kobo.Errorf(kobo.ECONFLICT, "this session changed while your request waited (now %s); send the next step again", fresh.State)
	}
	*cs = *fresh
	return nil
}

// save writes the session (releasing the hold).
func (s *Service) save(ctx context.Context, cs *kobo.ConnectSession) error {
	cs.UpdatedAt = s.now()
	return s.store.Update(context.WithoutCancel(ctx), func(tx kobo.Tx) error { return tx.UpdateConnectSession(ctx, cs) })
}

// ConnectLogin submits the institution form for a session.
func (s *Service) ConnectLogin(ctx context.Context, c *kobo.Caller, sessionID string, fields map[string]string) (*ConnectStep, error) {
	cs, err := s.liveSession(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	if cs.State != kobo.SessionCreated {
		return nil, kobo.Errorf(kobo.EINVALID, "this session has already logged in (state %s); send the next step to /connect/commit", cs.State)
	}
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		return nil, err
	}
	method, _ := inst.AuthMethod(cs.AuthMethod)
	returnTo := ""
	if method.Consent == kobo.ConsentRedirect {
		// where the callback sends the customer back (the widget's page,
		// or the partner's own for a headless flow)
		returnTo = strings.TrimSpace(fields["redirect_url"])
		if err := s.checkReturnTo(returnTo, cs.Live); err != nil {
			return nil, err
		}
		delete(fields, "redirect_url")
	}
	if err := checkFields(cs.Form, fields); err != nil {
		return nil, err
	}
	r, err := s.sessionRoute(ctx, cs, inst)
	if err != nil {
		return nil, err
	}
	if err := s.holdAt(ctx, cs, kobo.StageSubmitted); err != nil {
		return nil, err
	}
	creds, err := s.providerCredentials(ctx, cs.AppID, r.name)
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	req := kobo.LoginRequest{Institution: *inst, AuthMethod: cs.AuthMethod, Fields: secrets(fields), Interactive: true, Tenant: cs.AppID, Credentials: creds, Live: cs.Live}
	var rs *redirectSecrets
	if method.Consent == kobo.ConsentRedirect {
		rs = s.newRedirectSecrets(cs, r.name, returnTo)
		req.Redirect = &rs.params
	}
	step, err := r.p.Login(ctx, req)
	return s.advance(ctx, cs, inst, r, step, err, -1, "", rs)
}

// ConnectCommit answers the session's pending step: the MFA form's fields, or
// the chosen account ({account: index} or {accountNumber}).
func (s *Service) ConnectCommit(ctx context.Context, c *kobo.Caller, sessionID string, fields map[string]string) (*ConnectStep, error) {
	cs, err := s.liveSession(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		return nil, err
	}
	r, err := s.sessionRoute(ctx, cs, inst)
	if err != nil {
		return nil, err
	}
	index, number := -1, strings.TrimSpace(fields["accountNumber"])
	if raw, ok := fields["account"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil || n < 0 {
			return nil, &kobo.Error{Code: kobo.EINVALID, Message: "account must be the index of an account from the list", Fields: map[string]string{"account": "must be an index from the list"}}
		}
		index = n
	}
	switch cs.State {
	case kobo.SessionMFARequired:
		// Mono's commit example sends {accountNumber, otp} whatever the step:
		// fields the step does not ask for are ignored, missing ones refused.
		fields = onlyFields(cs.Form, fields, "account", "accountNumber")
		if err := checkFields(cs.Form, fields, "account", "accountNumber"); err != nil {
			return nil, err
		}
		var ch kobo.Challenge
		if err := s.unseal(cs.Challenge, "session:"+cs.ID+":challenge", &ch); err != nil {
			return nil, fmt.Errorf("open challenge: %w", err)
		}
		if pc, ok, err := openConsent(ch); err != nil {
			return nil, err
		} else if ok {
			return s.commitConsent(ctx, cs, inst, r, pc, fields, index, number)
		}
		if err := s.hold(ctx, cs); err != nil {
			return nil, err
		}
		if ch.Credentials, err = s.providerCredentials(ctx, cs.AppID, r.name); err != nil {
			_ = s.save(ctx, cs)
			return nil, err
		}
		step, err := r.p.Answer(ctx, ch, secrets(fields, "account", "accountNumber"))
		return s.advance(ctx, cs, inst, r, step, err, index, number, nil)
	case kobo.SessionAccountSelect:
		if index < 0 && number == "" {
			return nil, &kobo.Error{Code: kobo.EINVALID, Message: "send the chosen account as {\"account\": <index>} or {\"accountNumber\": \"...\"}",
				Fields: map[string]string{"account": "is required"}}
		}
		if err := s.hold(ctx, cs); err != nil {
			return nil, err
		}
		var accts sealedAccounts
		if err := s.unseal(cs.Accounts, "session:"+cs.ID+":accounts", &accts); err != nil {
			_ = s.save(ctx, cs)
			return nil, fmt.Errorf("open accounts: %w", err)
		}
		return s.choose(ctx, cs, accts, index, number)
	default:
		return nil, kobo.Errorf(kobo.EINVALID, "nothing to commit: the session is %s; log in first with /connect/login", cs.State)
	}
}

// advance applies the bank's answer to a login or challenge.
func (s *Service) advance(ctx context.Context, cs *kobo.ConnectSession, inst *kobo.Institution, r route, step kobo.LoginStep, berr error, index int, number string, rs *redirectSecrets) (*ConnectStep, error) {
	if berr != nil {
		return nil, s.bankFailure(ctx, cs, berr)
	}
	p := r.p
	if step.Redirect != nil || step.Decoupled != nil || step.Embedded != nil {
		return s.consentStep(ctx, cs, r, step, rs)
	}
	if step.Challenge != nil {
		sealed, err := s.seal(step.Challenge, "session:"+cs.ID+":challenge")
		if err != nil {
			_ = s.save(ctx, cs)
			return nil, err
		}
		if err := moveTo(cs, kobo.SessionMFARequired); err != nil {
			return nil, err
		}
		cs.Challenge, cs.Form = sealed, step.Challenge.UI
		if err := s.save(ctx, cs); err != nil {
			return nil, err
		}
		form := step.Challenge.UI
		return &ConnectStep{ResponseCode: CodeMoreInput, Message: mfaMessage(step.Challenge.Kind), Form: &form, Session: cs}, nil
	}
	if step.Session == nil {
		_ = s.save(ctx, cs)
		return nil, kobo.Errorf(kobo.EPROVIDER, "the bank returned neither a session nor a challenge")
	}
	bs := sealedFromSession(*step.Session, cs.AppID, r.name)
	bs.Tenant = cs.AppID
	sealedBS, err := s.seal(bs, "session:"+cs.ID+":bank")
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	cs.BankSession, cs.Challenge = sealedBS, ""
	sess := *step.Session
	if sess.Credentials == nil {
		if sess.Credentials, err = s.providerCredentials(ctx, cs.AppID, r.name); err != nil {
			_ = s.save(ctx, cs)
			return nil, err
		}
	}
	list, err := p.Accounts(ctx, sess)
	if err != nil {
		return nil, s.bankFailure(ctx, cs, err)
	}
	if len(list) == 0 {
		_ = s.failSession(ctx, cs, "no accounts")
		return nil, kobo.Errorf(kobo.EINVALID, "the bank returned no accounts for this login")
	}
	accts := sealedAccounts{Selected: -1}
	for _, a := range list {
		accts.List = append(accts.List, sealedAccount{Ref: a.Ref, Number: string(a.Number), Name: a.Name, Type: a.Type, Currency: cmpStr(a.Currency, "NGN"),
			Status: cmpStr(a.Status, "active"), BVN: string(a.BVN), Balance: a.Balance, IDs: otherIdentifiers(a)})
	}
	if cs.Scope == kobo.ScopeReauth {
		// re-authorising: the account is already chosen; find it again
		acct, err := s.accountByID(ctx, cs.AccountID)
		if err != nil {
			_ = s.failSession(ctx, cs, "account gone")
			return nil, err
		}
		for i, a := range accts.List {
			if a.Ref == acct.ProviderRef || a.Number == string(acct.AccountNumber) {
				return s.choose(ctx, cs, accts, i, "")
			}
		}
		_ = s.failSession(ctx, cs, "account not found at bank")
		return nil, kobo.Errorf(kobo.EINVALID, "the bank login does not include the account being re-authorised")
	}
	if len(accts.List) == 1 {
		return s.choose(ctx, cs, accts, 0, "")
	}
	if index >= 0 || number != "" {
		return s.choose(ctx, cs, accts, index, number)
	}
	sealedAccts, err := s.seal(accts, "session:"+cs.ID+":accounts")
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	if err := moveTo(cs, kobo.SessionAccountSelect); err != nil {
		return nil, err
	}
	cs.Accounts = sealedAccts
	cs.Form = kobo.UIForm{Title: "Select an account", Form: []kobo.FormField{
		{Type: "elements.input", Name: "account", Hint: "Index of the account to link", ContentType: "number"}}}
	if err := s.save(ctx, cs); err != nil {
		return nil, err
	}
	step2 := &ConnectStep{ResponseCode: CodeSelectAccount, Message: "Multiple accounts found", Session: cs}
	for i, a := range accts.List {
		step2.Accounts = append(step2.Accounts, BankAccountView{Index: i, AccountNumber: a.Number, Name: a.Name, Type: a.Type, Currency: a.Currency, Status: a.Status, Balance: a.Balance})
	}
	return step2, nil
}

func mfaMessage(kind string) string {
	switch kind {
	case "otp":
		return "OTP required"
	case "question":
		return "Security question required"
	case "pin":
		return "PIN required"
	case "token":
		return "Token required"
	}
	return "More input required"
}

// choose links the chosen account: the session becomes linked with a
// single-use code.
func (s *Service) choose(ctx context.Context, cs *kobo.ConnectSession, accts sealedAccounts, index int, number string) (*ConnectStep, error) {
	if number != "" {
		index = -1
		for i, a := range accts.List {
			if a.Number == number {
				index = i
			}
		}
	}
	if index < 0 || index >= len(accts.List) {
		_ = s.save(ctx, cs)
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("account must be one of the %d accounts listed (index 0 to %d, or its accountNumber)", len(accts.List), len(accts.List)-1),
			Fields: map[string]string{"account": "is not in the list"}}
	}
	if err := s.confirmChoice(ctx, cs, &accts, index); err != nil {
		return nil, err
	}
	accts.Selected = index
	a := accts.List[index]
	linked := &BankAccountView{Index: index, AccountNumber: a.Number, Name: a.Name, Type: a.Type, Currency: a.Currency, Status: a.Status}
	sealed, err := s.seal(accts, "session:"+cs.ID+":accounts")
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	if err := moveTo(cs, kobo.SessionLinked); err != nil {
		return nil, err
	}
	code := "code_" + kobo.RandomToken(24)
	exp := s.now().Add(CodeTTL)
	cs.Accounts, cs.CodeHash, cs.CodeExpiresAt, cs.Form = sealed, hashToken(code), &exp, kobo.UIForm{Title: "Linked"}
	if cs.Scope == kobo.ScopeReauth {
		// Mono announces account_reauthorized when the user finishes, before
		// any exchange; the code still exchanges to the same account id.
		cs.UpdatedAt = s.now()
		err := s.store.Update(context.WithoutCancel(ctx), func(tx kobo.Tx) error {
			if _, err := s.linkAccount(ctx, tx, cs); err != nil {
				return err
			}
			if err := tx.UpdateConnectSession(ctx, cs); err != nil {
				return err
			}
			// a re-authorisation is done when the customer finishes; its
			// exchange, if any, finds the stage counted
			_, err := tx.MarkConnectStage(ctx, cs.ID, kobo.StageLinked, cs.UpdatedAt)
			return err
		})
		if err != nil {
			_ = s.save(ctx, cs)
			return nil, err
		}
		s.notify()
		return &ConnectStep{ResponseCode: CodeLinked, Message: "Re-authorisation successful", Code: code, Linked: linked, Session: cs}, nil
	}
	if err := s.save(ctx, cs); err != nil {
		return nil, err
	}
	return &ConnectStep{ResponseCode: CodeLinked, Message: "Login successful", Code: code, Linked: linked, Session: cs}, nil
}

// bankFailure applies a bank error to the session and returns what the
// caller sees. Wrong answers count towards MaxWrongTries.
func (s *Service) bankFailure(ctx context.Context, cs *kobo.ConnectSession, err error) error {
	var be *kobo.BankError
	if !errors.As(err, &be) {
		_ = s.save(ctx, cs)
		return err
	}
	switch be.Kind {
	case kobo.BankBadCredentials:
		cs.Attempts++
		msg := cmpStr(be.Message, "Invalid credentials")
		if cs.Attempts >= MaxWrongTries {
			_ = s.failSession(ctx, cs, "too many wrong attempts")
			return &kobo.Error{Code: kobo.EINVALID, Message: msg + ". Too many wrong attempts: this session is closed; start a new session", Closed: "attempts"}
		}
		_ = s.save(ctx, cs)
		return &kobo.Error{Code: kobo.EINVALID, Message: msg, AttemptsLeft: MaxWrongTries - cs.Attempts}
	case kobo.BankLocked:
		_ = s.failSession(ctx, cs, "account locked at bank")
		return &kobo.Error{Code: kobo.EINVALID, Message: cmpStr(be.Message, "This account is locked at the bank; the customer should contact their bank"), Closed: "locked"}
	case kobo.BankNotFound:
		_ = s.failSession(ctx, cs, "challenge expired at bank")
		return kobo.Errorf(kobo.EGONE, "the bank no longer knows this login step; start a new session")
	case kobo.BankMFARequired:
		_ = s.save(ctx, cs)
		return kobo.Errorf(kobo.EINVALID, "%s", cmpStr(be.Message, "The bank needs more verification; try again"))
	case kobo.BankAppCredentials:
		// the customer did nothing wrong and a retry cannot help: the
		// session stays open for when the partner has fixed its keys
		_ = s.save(ctx, cs)
		return kobo.Wrap(kobo.EPROVIDERKEYS, err, appKeysMessageOf(be))
	default: // unavailable, rate limited, invalid data, token expired: retryable by the caller
		_ = s.save(ctx, cs)
		e := kobo.Wrap(kobo.EPROVIDER, err, "The bank is not responding right now; try again in a moment")
		e.RetryAfter = be.RetryAfter
		return e
	}
}

// Exchange trades a single-use auth code for the account id. The account
// is created PROCESSING and a job fetches its data.
func (s *Service) Exchange(ctx context.Context, c *kobo.Caller, code string) (*kobo.Account, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "code is required (the code from the Connect widget or /connect/commit)", Fields: map[string]string{"code": "is required"}}
	}
	var cs *kobo.ConnectSession
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		cs, err = tx.ConnectSessionByCode(ctx, hashToken(code))
		return err
	})
	invalid := &kobo.Error{Code: kobo.EINVALID, Message: "invalid code: it was not issued to this app", Fields: map[string]string{"code": "is invalid"}}
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	if cs.AppID != c.App.ID || cs.Live != c.Mode.IsLive() {
		return nil, invalid
	}
	if cs.State == kobo.SessionExchanged {
		if cs.ViaLink && cs.AccountID != "" && cs.CodeExpiresAt != nil && s.clock.Now().Before(*cs.CodeExpiresAt) {
			// a Connect Link's code: kobo exchanged it when the customer
			// finished; the partner's own exchange gets the same account
			return s.accountByID(ctx, cs.AccountID)
		}
		return nil, kobo.Errorf(kobo.EGONE, "this code has already been used; each code works once")
	}
	if cs.State != kobo.SessionLinked || cs.CodeExpiresAt == nil || !s.clock.Now().Before(*cs.CodeExpiresAt) {
		return nil, kobo.Errorf(kobo.EGONE, "this code has expired (codes last %d minutes); link the account again", int(CodeTTL.Minutes()))
	}
	var acct *kobo.Account
	if cs.AuthMethod == kobo.AuthStatementUpload {
		if err := s.hold(ctx, cs); err != nil {
			return nil, kobo.Errorf(kobo.EGONE, "this code is already being exchanged")
		}
		if acct, err = s.finishUploadLink(ctx, cs); err != nil {
			_ = s.save(ctx, cs)
			return nil, err
		}
		s.markStage(ctx, cs.ID, kobo.StageLinked)
	} else if acct, err = s.finishLink(ctx, cs); err != nil {
		return nil, err
	}
	// usage counts accounts linked; a re-authorisation links nothing new
	if cs.Scope != kobo.ScopeReauth {
		s.countLink(cs.AppID, cs.Live)
	}
	s.notify()
	return acct, nil
}

// fingerprint recognises the same bank account for the same customer
// without keeping anything reversible: HMAC of bank code, number, customer.
func (s *Service) fingerprint(inst *kobo.Institution, number, customer string) string {
	m := hmac.New(sha256.New, s.fpKey)
	fmt.Fprintf(m, "%s|%s|%s", inst.BankCode, number, customer)
	return hex.EncodeToString(m.Sum(nil))
}

// linkAccount creates (or, for re-authorisation and relink reuse, updates)
// the account from the session's chosen bank account and bank session,
// enqueues the data fetch and records the events, all inside tx.
func (s *Service) linkAccount(ctx context.Context, tx kobo.Tx, cs *kobo.ConnectSession) (*kobo.Account, error) {
	var accts sealedAccounts
	if err := s.unseal(cs.Accounts, "session:"+cs.ID+":accounts", &accts); err != nil || accts.Selected < 0 || accts.Selected >= len(accts.List) {
		return nil, fmt.Errorf("open chosen account: %v", err)
	}
	var bs sealedBankSession
	if err := s.unseal(cs.BankSession, "session:"+cs.ID+":bank", &bs); err != nil {
		return nil, fmt.Errorf("open bank session: %w", err)
	}
	chosen := accts.List[accts.Selected]
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	app, err := tx.App(ctx, cs.AppID)
	if err != nil {
		return nil, err
	}
	fp := s.fingerprint(inst, chosen.Number, cs.CustomerID)
	var existing *kobo.Account
	switch {
	case cs.Scope == kobo.ScopeReauth:
		if existing, err = tx.Account(ctx, cs.AccountID); err != nil {
			return nil, err
		}
	case app.Relink == kobo.RelinkReuse:
		list, err := tx.AccountsByFingerprint(ctx, app.ID, cs.Live, fp)
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			existing = list[0]
		}
	}
	var acct *kobo.Account
	reason := "link"
	if existing != nil {
		acct, reason = existing, "reauth"
	} else {
		acct = &kobo.Account{ID: kobo.NewID(now), AppID: app.ID, Live: cs.Live, CustomerID: cs.CustomerID, InstitutionID: inst.ID,
			Name: chosen.Name, AccountNumber: kobo.AccountNumber(chosen.Number), Fingerprint: fp, Type: chosen.Type, Currency: chosen.Currency,
			Balance: chosen.Balance, BVNLast4: kobo.Last4(chosen.BVN), DataStatus: kobo.DataProcessing, CreatedAt: now}
	}
	acct.AuthMethod, acct.ProviderRef, acct.Reference, acct.SessionID, acct.ReauthRequired = cs.AuthMethod, chosen.Ref, cmpStr(cs.Reference, acct.Reference), cs.ID, false
	acct.UpdatedAt = now
	if acct.Credentials, err = s.seal(bs, "account:"+acct.ID); err != nil {
		return nil, err
	}
	if existing == nil {
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return nil, err
		}
		if err := s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventAccountConnected, DataStatus: acct.DataStatus}); err != nil {
			return nil, err
		}
	} else {
		if err := tx.UpdateAccount(ctx, acct); err != nil {
			return nil, err
		}
		if err := s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventAccountReauthorized, DataStatus: acct.DataStatus}); err != nil {
			return nil, err
		}
	}
	// a relink (not a re-authorisation) through another provider than the
	// account's: the fetch adopts the stored history under the new ids
	relinked := false
	if existing != nil && cs.Scope != kobo.ScopeReauth {
		was, err := s.linkedThrough(ctx, tx, existing, inst)
		if err != nil {
			return nil, err
		}
		relinked = was != cmpStr(bs.Provider, inst.Provider)
	}
	method, _ := inst.AuthMethod(cs.AuthMethod)
	consent := &kobo.AccountConsent{AccountID: acct.ID, Consent: kobo.Consent{Kind: cmpStr(method.Consent, kobo.ConsentCredentials),
		Provider: cmpStr(bs.Provider, inst.Provider), ExpiresAt: bs.ConsentExpiresAt}, UpdatedAt: now}
	if consent.ExpiresAt != nil {
		t := consent.ExpiresAt.UTC().Truncate(time.Microsecond)
		consent.ExpiresAt = &t
	}
	if err := tx.PutAccountConsent(ctx, consent); err != nil {
		return nil, err
	}
	ids := make([]kobo.AccountIdentifier, 0, len(chosen.IDs))
	for _, id := range chosen.IDs {
		ids = append(ids, kobo.AccountIdentifier{Scheme: id.Scheme, Value: kobo.AccountNumber(id.Value)})
	}
	if err := tx.SetAccountIdentifiers(ctx, acct.ID, ids); err != nil {
		return nil, err
	}
	if _, _, err := s.enqueueFetchArgs(ctx, tx, FetchArgs{AccountID: acct.ID, Reason: reason, Relinked: relinked}); err != nil {
		return nil, err
	}
	cs.AccountID, cs.CustomerID = acct.ID, cmpStr(cs.CustomerID, acct.CustomerID)
	cs.BankSession, cs.Challenge = "", "" // the account holds the credentials now
	return acct, nil
}

// finishLink runs at exchange: it claims the session, links the account
// (unless a re-authorisation already did when the user finished) and
// closes the session, in one transaction. The claim is the same row lock
// hold takes, but no bank is called here, so it need not be a transaction
// of its own: a second exchange of the code waits on the row and then
// finds it claimed or exchanged, and a failure rolls the claim back with
// the rest.
func (s *Service) finishLink(ctx context.Context, cs *kobo.ConnectSession) (*kobo.Account, error) {
	var acct *kobo.Account
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		now := s.clock.Now()
		if err := tx.ClaimConnectSession(ctx, cs.ID, now, now.Add(sessionHoldFor)); err != nil {
			if kobo.ErrorCode(err) == kobo.ECONFLICT {
				return kobo.Errorf(kobo.EGONE, "this code is already being exchanged")
			}
			return err
		}
		fresh, err := tx.ConnectSession(ctx, cs.ID)
		if err != nil {
			return err
		}
		if fresh.State != cs.State || !fresh.UpdatedAt.Equal(cs.UpdatedAt) {
			return kobo.Errorf(kobo.EGONE, "this code is already being exchanged")
		}
		*cs = *fresh
		if cs.Scope == kobo.ScopeReauth {
			// re-authorised when the user finished
			acct, err = tx.Account(ctx, cs.AccountID)
		} else {
			acct, err = s.linkAccount(ctx, tx, cs)
		}
		if err != nil {
			return err
		}
		if err := moveTo(cs, kobo.SessionExchanged); err != nil {
			return err
		}
		cs.Accounts, cs.BankSession, cs.Challenge, cs.UpdatedAt = "", "", "", s.now()
		if err := tx.UpdateConnectSession(ctx, cs); err != nil {
			return err
		}
		_, err = tx.MarkConnectStage(ctx, cs.ID, kobo.StageLinked, cs.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return acct, nil
}

// ownedAccount loads an account the caller may see: same app, same mode.
func (s *Service) ownedAccount(ctx context.Context, c *kobo.Caller, id string) (*kobo.Account, error) {
	a, err := s.accountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.AppID != c.App.ID || a.Live != c.Mode.IsLive() {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "account not found")
	}
	return a, nil
}

func (s *Service) accountByID(ctx context.Context, id string) (*kobo.Account, error) {
	if id == "" {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "account not found")
	}
	var a *kobo.Account
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		a, err = tx.Account(ctx, id)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "account not found")
	}
	if err != nil {
		return nil, err
	}
	if in, err := s.Institution(ctx, a.InstitutionID); err == nil {
		a.Institution = *in
	}
	return a, nil
}

// Account returns an account the caller may see, with its institution.
func (s *Service) Account(ctx context.Context, c *kobo.Caller, id string) (*kobo.Account, error) {
	return s.ownedAccount(ctx, c, id)
}

// SandboxCredentials lists test users for a sandbox session's institution
// (GET /v2/connect/sandbox).
func (s *Service) SandboxCredentials(ctx context.Context, c *kobo.Caller, sessionID string) ([]kobo.SandboxUser, error) {
	if c.Mode.IsLive() {
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "sandbox credentials are only available with a test key")
	}
	cs, err := s.liveSession(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	if s.sandbox == nil {
		return nil, kobo.Errorf(kobo.EUNAVAILABLE, "no sandbox bank is configured")
	}
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		return nil, err
	}
	return s.sandboxUsersFor(ctx, c.App.ID, *inst, cs.AuthMethod)
}
