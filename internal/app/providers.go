package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// providerCredentials returns the keys kobo presents to provider on behalf
// of the app: the app's own (PUT /v1/apps/{id}/providers/{provider}) when
// it configured any, the deployment's defaults (the environment)
// otherwise. The map is a copy, so a provider cannot change what the next
// call sees.
func (s *Service) providerCredentials(ctx context.Context, appID, provider string) (kobo.ProviderCredentials, error) {
	if appID != "" {
		var cfg *kobo.AppProvider
		err := s.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			cfg, err = tx.AppProvider(ctx, appID, provider)
			return err
		})
		switch kobo.ErrorCode(err) {
		case "":
			var raw map[string]string
			if err := s.unseal(cfg.Credentials, appProviderAAD(appID, provider), &raw); err != nil {
				return nil, err
			}
			out := make(kobo.ProviderCredentials, len(raw))
			for k, v := range raw {
				out[k] = kobo.Secret(v)
			}
			return out, nil
		case kobo.ENOTFOUND:
		default:
			return nil, err
		}
	}
	def := s.provDefaults[provider]
	if len(def) == 0 {
		return nil, nil
	}
	out := make(kobo.ProviderCredentials, len(def))
	for k, v := range def {
		out[k] = v
	}
	return out, nil
}

func appProviderAAD(appID, provider string) string { return kobo.AppProviderAAD(appID, provider) }

// policyOf is a provider's policy; providers without one get the zero
// policy (not Real, no limits).
func (s *Service) policyOf(name string) kobo.ProviderPolicy {
	if pp, ok := capability[kobo.Policied](s.providers[name]); ok {
		return pp.Policy()
	}
	return kobo.ProviderPolicy{}
}

// institutionProviders lists the connectors that can reach in, the
// default first (catalogs seeded before lists existed name one).
func institutionProviders(in *kobo.Institution) []string {
	if len(in.Providers) > 0 {
		return in.Providers
	}
	if in.Provider != "" {
		return []string{in.Provider}
	}
	return nil
}

// route is the connector one app reaches one institution through.
type route struct {
	name   string
	raw    kobo.Provider // for the optional interfaces (Consenter, …)
	p      kobo.Provider // observed and metered: every call goes through this
	policy kobo.ProviderPolicy
}

// routeFor picks the connector for an app's session or account at in.
// pinned is the provider an account was linked through (its consent), so
// a later change of choice never moves an existing link. Otherwise the
// app's choice for the institution, then the default: for live apps the
// first Real provider this kobo has configured (the sandbox bank is never
// reachable with live keys), for sandbox apps the institution's default.
func (s *Service) routeFor(ctx context.Context, appID string, live bool, in *kobo.Institution, pinned string) (route, error) {
	var configured []string
	for _, name := range institutionProviders(in) {
		if _, ok := s.providers[name]; ok {
			configured = append(configured, name)
		}
	}
	usable := func(name string) bool {
		return slices.Contains(configured, name) && (!live || s.policyOf(name).Real)
	}
	name := ""
	switch {
	case pinned != "":
		if !usable(pinned) {
			if live && slices.Contains(configured, pinned) {
				return route{}, kobo.Errorf(kobo.EFORBIDDEN, "%s is reached through %s, which is not a real bank connector; live keys reach real banks only", in.Name, pinned)
			}
			return route{}, kobo.Errorf(kobo.EUNAVAILABLE, "the connector %s, which this account was linked through, is not configured on this kobo", pinned)
		}
		name = pinned
	default:
		var choice string
		if appID != "" {
			err := s.store.View(ctx, func(tx kobo.Tx) error {
				m, err := tx.InstitutionProviders(ctx, appID)
				choice = m[in.ID]
				return err
			})
			if err != nil {
				return route{}, err
			}
		}
		if choice != "" && usable(choice) {
			name = choice
			break
		}
		for _, n := range configured {
			if usable(n) {
				name = n
				break
			}
		}
	}
	if name == "" {
		if live && len(configured) > 0 {
			return route{}, kobo.Errorf(kobo.EFORBIDDEN, "%s is reachable on this kobo only through the sandbox bank; live keys reach real banks only (configure a real provider for it)", in.Name)
		}
		return route{}, kobo.Errorf(kobo.EUNAVAILABLE, "no connector is configured for %s", in.Name)
	}
	raw := s.providers[name]
	r := route{name: name, raw: raw, policy: s.policyOf(name)}
	var p kobo.Provider = raw
	p = observedProvider{p: p, s: s, institution: in.Name, institutionID: in.ID, scope: healthScope(live, appID), report: s.bankError}
	r.p = meteredProvider{p: p, s: s, provider: name, appID: appID, perMinute: r.policy.CallsPerMinute}
	return r, nil
}

// providerOf returns the connector an existing account syncs through: the
// one its consent names, else today's route (accounts linked before
// consents were kept).
func (s *Service) accountRoute(ctx context.Context, acct *kobo.Account) (route, error) {
	var pinned string
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		c, err := tx.AccountConsent(ctx, acct.ID)
		if err == nil {
			pinned = c.Provider
		}
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil
		}
		return err
	})
	if err != nil {
		return route{}, err
	}
	return s.routeFor(ctx, acct.AppID, acct.Live, &acct.Institution, pinned)
}

// ProviderOutcome is told of every provider call: which provider, which
// call, and "ok", a bank error kind, or "budget" (kobo refused to call out:
// the app's CallsPerMinute was spent). A sync the provider's policy
// refused comes as call "sync" with the reason (manual_sync_interval,
// sync_interval). May be nil.
type ProviderOutcome func(provider, call, outcome string)

// meteredProvider enforces a provider's per-app call budget before kobo
// calls out, and reports each call's outcome. The budget is counted in the
// database (throttle counters), so every replica spends from one budget.
type meteredProvider struct {
	p         kobo.Provider
	s         *Service
	provider  string
	appID     string
	perMinute int
}

// Unwrap is the connector metered.
func (m meteredProvider) Unwrap() kobo.Provider { return m.p }

func (m meteredProvider) spend(ctx context.Context, call string) error {
	if m.perMinute <= 0 || m.appID == "" {
		return nil
	}
	th := throttle{Name: "provider-calls", Limit: m.perMinute, Period: time.Minute}
	var n int
	var end time.Time
	err := m.s.store.Update(ctx, func(tx kobo.Tx) error {
		var err error
		n, end, err = m.s.countThrottle(ctx, tx, th, m.appID+"\x00"+m.provider)
		return err
	})
	if err != nil {
		return err
	}
	if n > m.perMinute {
		m.s.providerOutcome(m.provider, call, "budget")
		return &kobo.BankError{Kind: kobo.BankRateLimited, RetryAfter: max(end.Sub(m.s.clock.Now()), time.Second),
			Message: fmt.Sprintf("kobo's budget of %d calls a minute to %s for this app is spent; try again shortly", m.perMinute, m.provider)}
	}
	return nil
}

func (m meteredProvider) done(ctx context.Context, call string, err error) error {
	outcome := "ok"
	if err != nil {
		outcome = cmpStr(string(kobo.BankErrorKindOf(err)), "error")
	}
	m.s.providerOutcome(m.provider, call, outcome)
	if kobo.BankErrorKindOf(err) == kobo.BankAppCredentials && m.s != nil {
		return m.s.appKeysRefused(ctx, m.appID, m.provider, err)
	}
	return err
}

// appKeysRefused records a provider's refusal of an app's keys as the
// app's provider health (what GET /v1/apps/{id}/providers shows, the
// same as a failed check), and returns the refusal with a message that
// names the provider and the fix: the partner reads it in sync outcomes
// and connect errors. Keys from the deployment's environment have no row
// to mark; the operator sees the refusal in the log and metrics.
func (s *Service) appKeysRefused(ctx context.Context, appID, provider string, err error) error {
	var be *kobo.BankError
	errors.As(err, &be)
	said := strings.TrimRight(cmpStr(be.Message, provider+" refused this app's keys"), ". ")
	if appID != "" {
		h := kobo.ProviderHealth{Message: truncate(said, 300), CheckedAt: s.now()}
		werr := s.store.Update(ctx, func(tx kobo.Tx) error { return s.setProviderHealth(ctx, tx, appID, provider, h) })
		if werr == nil {
			s.notify()
		}
		if werr != nil && kobo.ErrorCode(werr) != kobo.ENOTFOUND {
			s.log.WarnContext(ctx, "recording a provider's refusal of app keys failed", "app_id", appID, "provider", provider, "err", werr)
		}
	}
	s.log.WarnContext(ctx, "provider refused the app's keys", "app_id", appID, "provider", provider, "err", err)
	return &kobo.BankError{Kind: kobo.BankAppCredentials, Err: err,
		Message: said + ". Only the app's owner can fix this: set the app's " + provider + " keys with PUT /v1/apps/" + appID + "/providers/" + provider +
			" (or on the dashboard); kobo does not retry until then."}
}

func (m meteredProvider) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	if err := m.spend(ctx, "login"); err != nil {
		return kobo.LoginStep{}, err
	}
	st, err := m.p.Login(ctx, req)
	return st, m.done(ctx, "login", err)
}

func (m meteredProvider) Answer(ctx context.Context, ch kobo.Challenge, fields map[string]kobo.Secret) (kobo.LoginStep, error) {
	if err := m.spend(ctx, "answer"); err != nil {
		return kobo.LoginStep{}, err
	}
	st, err := m.p.Answer(ctx, ch, fields)
	return st, m.done(ctx, "answer", err)
}

func (m meteredProvider) Accounts(ctx context.Context, bs kobo.BankSession) ([]kobo.BankAccount, error) {
	if err := m.spend(ctx, "accounts"); err != nil {
		return nil, err
	}
	a, err := m.p.Accounts(ctx, bs)
	return a, m.done(ctx, "accounts", err)
}

func (m meteredProvider) Balance(ctx context.Context, bs kobo.BankSession, ref string) (kobo.BankBalance, error) {
	if err := m.spend(ctx, "balance"); err != nil {
		return kobo.BankBalance{}, err
	}
	b, err := m.p.Balance(ctx, bs, ref)
	return b, m.done(ctx, "balance", err)
}

func (m meteredProvider) Transactions(ctx context.Context, bs kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	if err := m.spend(ctx, "transactions"); err != nil {
		return err
	}
	var fnErr error
	err := m.p.Transactions(ctx, bs, ref, q, func(page []kobo.BankTransaction) error {
		fnErr = fn(page)
		return fnErr
	})
	if err != nil && err == fnErr {
		return err // kobo's own failure, not the provider's
	}
	return m.done(ctx, "transactions", err)
}

func (m meteredProvider) Identity(ctx context.Context, bs kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	if err := m.spend(ctx, "identity"); err != nil {
		return kobo.BankIdentity{}, err
	}
	id, err := m.p.Identity(ctx, bs, ref)
	return id, m.done(ctx, "identity", err)
}

// consenter is the route's Consenter with the same budget and metrics.
func (r route) consenter() (kobo.Consenter, bool) {
	c, ok := capability[kobo.Consenter](r.raw)
	if !ok {
		return nil, false
	}
	m, _ := r.p.(meteredProvider)
	return meteredConsenter{c: c, m: m}, true
}

type meteredConsenter struct {
	c kobo.Consenter
	m meteredProvider
}

// observe counts a consent call towards the institution's health, as
// observedProvider counts the others (the consent steps reach the bank
// too: the token exchange after a redirect, a decoupled poll).
func (mc meteredConsenter) now() time.Time {
	if mc.m.s == nil {
		return time.Time{}
	}
	return mc.m.s.clock.Now()
}

func (mc meteredConsenter) observe(ctx context.Context, call string, t0 time.Time, err error) {
	if o, ok := mc.m.p.(observedProvider); ok {
		_ = o.seen(ctx, call, t0, err)
	}
}

func (mc meteredConsenter) Callback(ctx context.Context, req kobo.CallbackRequest) (kobo.LoginStep, error) {
	if err := mc.m.spend(ctx, "callback"); err != nil {
		return kobo.LoginStep{}, err
	}
	t0 := mc.now()
	st, err := mc.c.Callback(ctx, req)
	mc.observe(ctx, "callback", t0, err)
	return st, mc.m.done(ctx, "callback", err)
}

func (mc meteredConsenter) Poll(ctx context.Context, d kobo.Decoupled, creds kobo.ProviderCredentials) (kobo.LoginStep, error) {
	if err := mc.m.spend(ctx, "poll"); err != nil {
		return kobo.LoginStep{}, err
	}
	t0 := mc.now()
	st, err := mc.c.Poll(ctx, d, creds)
	mc.observe(ctx, "poll", t0, err)
	return st, mc.m.done(ctx, "poll", err)
}

func (s *Service) providerOutcome(provider, call, outcome string) {
	if s.provOutcome != nil {
		s.provOutcome(provider, call, outcome)
	}
}

// ProviderInfo is one provider as an app sees it (GET /v1/apps/{id}/providers).
type ProviderInfo struct {
	Name       string
	Real       bool
	Fields     []string // what the app may configure
	Configured bool     // the app set its own keys
	Default    bool     // the deployment has default keys
	SetFields  []string // the names the app set
	Health     *kobo.ProviderHealth
	UpdatedAt  *time.Time
}

// AppProviders lists the providers this kobo runs, with the app's own
// configuration of each (never the keys).
func (s *Service) AppProviders(ctx context.Context, partnerID, appID string) ([]ProviderInfo, error) {
	if _, err := s.partnerApp(ctx, partnerID, appID); err != nil {
		return nil, err
	}
	var cfgs []*kobo.AppProvider
	if err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		cfgs, err = tx.AppProviders(ctx, appID)
		return err
	}); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(s.providers))
	for n := range s.providers {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]ProviderInfo, 0, len(names))
	for _, n := range names {
		pol := s.policyOf(n)
		info := ProviderInfo{Name: n, Real: pol.Real, Fields: pol.Credentials, Default: len(s.provDefaults[n]) > 0}
		for _, c := range cfgs {
			if c.Provider == n {
				info.Configured, info.SetFields = true, c.Fields
				u := c.UpdatedAt
				info.UpdatedAt = &u
				if !c.Health.CheckedAt.IsZero() {
					h := c.Health
					info.Health = &h
				}
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// PutAppProvider saves an app's keys at a provider (checked against the
// provider's Policy().Credentials, sealed, never returned) and checks them
// at once when the provider can.
func (s *Service) PutAppProvider(ctx context.Context, partnerID, appID, provider string, fields map[string]string) (*ProviderInfo, error) {
	a, err := s.partnerApp(ctx, partnerID, appID)
	if err != nil {
		return nil, err
	}
	if _, ok := s.providers[provider]; !ok {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "no provider %s on this kobo", strconvQuote(provider))
	}
	want := s.policyOf(provider).Credentials
	if len(want) == 0 {
		return nil, kobo.Errorf(kobo.EINVALID, "%s takes no credentials", provider)
	}
	v := kobo.Invalid{}
	var unknown []string
	for k := range fields {
		if !slices.Contains(want, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		v.Add(k, "is not a field of "+provider+" (expected "+strings.Join(want, ", ")+")")
	}
	set := make([]string, 0, len(want))
	for _, k := range want {
		val := strings.TrimSpace(fields[k])
		switch {
		case val == "":
			v.Add(k, "is required")
		case len(val) > 8192:
			v.Add(k, "is too long")
		default:
			fields[k] = val
			set = append(set, k)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sealed, err := s.seal(fields, appProviderAAD(appID, provider))
	if err != nil {
		return nil, err
	}
	now := s.now()
	cfg := &kobo.AppProvider{AppID: appID, Provider: provider, Credentials: sealed, Fields: set, CreatedAt: now, UpdatedAt: now}
	creds := make(kobo.ProviderCredentials, len(fields))
	for k, val := range fields {
		creds[k] = kobo.Secret(val)
	}
	if h, ok := s.checkCredentials(ctx, provider, creds); ok {
		cfg.Health = h
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		prev, prevErr := tx.AppProvider(ctx, appID, provider)
		if prevErr != nil && kobo.ErrorCode(prevErr) != kobo.ENOTFOUND {
			return prevErr
		}
		if err := tx.PutAppProvider(ctx, cfg); err != nil {
			return err
		}
		was := kobo.ProviderHealth{}
		if prevErr == nil {
			was = prev.Health
		}
		if err := s.announceProviderHealth(ctx, tx, appID, provider, was, cfg.Health); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.PartnerID, a.ID, AuditProviderKeysSet, provider, providerKeysDetail(prevErr == nil, set, cfg.Health), nil)
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return s.appProviderInfo(ctx, partnerID, appID, provider)
}

// CheckAppProvider checks an app's configured keys at the provider now
// and records the answer.
func (s *Service) CheckAppProvider(ctx context.Context, partnerID, appID, provider string) (*ProviderInfo, error) {
	if _, err := s.partnerApp(ctx, partnerID, appID); err != nil {
		return nil, err
	}
	creds, err := s.providerCredentials(ctx, appID, provider)
	if err != nil {
		return nil, err
	}
	if h, ok := s.checkCredentials(ctx, provider, creds); ok {
		err := s.store.Update(ctx, func(tx kobo.Tx) error { return s.setProviderHealth(ctx, tx, appID, provider, h) })
		s.notify()
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil, kobo.Errorf(kobo.ENOTFOUND, "this app has not configured %s", provider)
		}
		if err != nil {
			return nil, err
		}
	}
	return s.appProviderInfo(ctx, partnerID, appID, provider)
}

func (s *Service) checkCredentials(ctx context.Context, provider string, creds kobo.ProviderCredentials) (kobo.ProviderHealth, bool) {
	cc, ok := capability[kobo.CredentialChecker](s.providers[provider])
	if !ok {
		return kobo.ProviderHealth{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	h := cc.CheckCredentials(ctx, creds)
	h.CheckedAt = s.now()
	h.Message = truncate(h.Message, 300)
	return h, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Service) appProviderInfo(ctx context.Context, partnerID, appID, provider string) (*ProviderInfo, error) {
	list, err := s.AppProviders(ctx, partnerID, appID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Name == provider {
			return &list[i], nil
		}
	}
	return nil, kobo.Errorf(kobo.ENOTFOUND, "no provider %s on this kobo", strconvQuote(provider))
}

// DeleteAppProvider forgets an app's keys at a provider (the deployment's
// defaults, if any, apply again).
func (s *Service) DeleteAppProvider(ctx context.Context, partnerID, appID, provider string) error {
	a, err := s.partnerApp(ctx, partnerID, appID)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.DeleteAppProvider(ctx, appID, provider); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.PartnerID, a.ID, AuditProviderKeysDeleted, provider, "the deployment's defaults apply again, if any", nil)
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return kobo.Errorf(kobo.ENOTFOUND, "this app has not configured %s", provider)
	}
	return err
}

// SetInstitutionProvider records which provider an app reaches an
// institution through (empty: the default). The provider must be one the
// institution lists and this kobo runs.
func (s *Service) SetInstitutionProvider(ctx context.Context, partnerID, appID, institutionID, provider string) error {
	a, err := s.partnerApp(ctx, partnerID, appID)
	if err != nil {
		return err
	}
	in, err := s.Institution(ctx, institutionID)
	if err != nil {
		return kobo.Errorf(kobo.ENOTFOUND, "institution %s does not exist", strconvQuote(institutionID))
	}
	if provider != "" {
		list := institutionProviders(in)
		if _, ok := s.providers[provider]; !ok || !slices.Contains(list, provider) {
			return &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("provider must be one of %s for %s", strings.Join(list, ", "), in.Name),
				Fields: map[string]string{"provider": "does not reach this institution"}}
		}
	}
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		was, err := tx.InstitutionProviders(ctx, appID)
		if err != nil {
			return err
		}
		if was[in.ID] == provider {
			return nil // nothing changed: nothing to audit
		}
		if err := tx.SetInstitutionProvider(ctx, appID, in.ID, provider, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.PartnerID, a.ID, AuditInstitutionProvider, in.ID,
			"now "+cmpOrStr(provider, "the default")+", was "+cmpOrStr(was[in.ID], "the default"), nil)
	})
}

// InstitutionProviderChoice is an app's provider for one institution.
type InstitutionProviderChoice struct {
	InstitutionID string
	Providers     []string // who can reach it
	Chosen        string   // the app's choice ("" none)
	Sandbox       string   // what a sandbox key uses
	Live          string   // what a live key uses ("" none: live keys cannot reach it)
}

// InstitutionProvider reports the app's choice and what each mode uses.
func (s *Service) InstitutionProvider(ctx context.Context, partnerID, appID, institutionID string) (*InstitutionProviderChoice, error) {
	if _, err := s.partnerApp(ctx, partnerID, appID); err != nil {
		return nil, err
	}
	in, err := s.Institution(ctx, institutionID)
	if err != nil {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "institution %s does not exist", strconvQuote(institutionID))
	}
	out := &InstitutionProviderChoice{InstitutionID: in.ID, Providers: institutionProviders(in)}
	if err := s.store.View(ctx, func(tx kobo.Tx) error {
		m, err := tx.InstitutionProviders(ctx, appID)
		out.Chosen = m[in.ID]
		return err
	}); err != nil {
		return nil, err
	}
	if r, err := s.routeFor(ctx, appID, false, in, ""); err == nil {
		out.Sandbox = r.name
	}
	if r, err := s.routeFor(ctx, appID, true, in, ""); err == nil {
		out.Live = r.name
	}
	return out, nil
}

// liveReachable reports whether a live key can reach in through a Real
// provider this kobo runs (the statement upload entry has no provider and
// is always shown).
func (s *Service) liveReachable(in *kobo.Institution) bool {
	for _, m := range in.AuthMethods {
		if m.Type == kobo.AuthStatementUpload {
			return true // the customer's own file: no bank is called
		}
	}
	for _, n := range institutionProviders(in) {
		if _, ok := s.providers[n]; ok && s.policyOf(n).Real {
			return true
		}
	}
	return false
}

// InstitutionConnectors names the connectors this kobo runs that reach in,
// the institution's default first: what /v3/institutions lists under
// providers. A live caller sees only Real ones (the sandbox bank is never
// reachable with live keys); live nil (a caller without a key) sees all.
func (s *Service) InstitutionConnectors(in *kobo.Institution, live *bool) []string {
	out := []string{}
	for _, n := range institutionProviders(in) {
		if _, ok := s.providers[n]; !ok || slices.Contains(out, n) {
			continue
		}
		if live != nil && *live && !s.policyOf(n).Real {
			continue
		}
		out = append(out, n)
	}
	return out
}

// partnerApp loads an app of the partner's (another partner's is ENOTFOUND).
func (s *Service) partnerApp(ctx context.Context, partnerID, appID string) (*kobo.App, error) {
	var a *kobo.App
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		a, err = ownedApp(ctx, tx, partnerID, appID)
		return err
	})
	return a, err
}

// ReachableInstitutions keeps the institutions a caller of the given mode
// can link: live keys only those a Real provider this kobo runs reaches,
// sandbox keys all of them.
func (s *Service) ReachableInstitutions(all []*kobo.Institution, live bool) []*kobo.Institution {
	if !live {
		return all
	}
	out := make([]*kobo.Institution, 0, len(all))
	for _, in := range all {
		if s.liveReachable(in) {
			out = append(out, in)
		}
	}
	return out
}

// sessionRoute is the connector a connect session talks to: for a
// re-authorisation the one the account was linked through (its consent),
// whatever the app chose since; otherwise the app's route today.
func (s *Service) sessionRoute(ctx context.Context, cs *kobo.ConnectSession, in *kobo.Institution) (route, error) {
	if cs.Scope == kobo.ScopeReauth && cs.AccountID != "" {
		c, err := s.accountConsent(ctx, cs.AccountID)
		if err != nil {
			return route{}, err
		}
		if c != nil {
			return s.routeFor(ctx, cs.AppID, cs.Live, in, c.Provider)
		}
	}
	return s.routeFor(ctx, cs.AppID, cs.Live, in, "")
}
