package banksim

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Config configures a simulator.
type Config struct {
	Seed  int64
	Clock kobo.Clock // real time; each tenant adds its own offset
	// Epoch anchors account openings, so histories are the same whatever
	// the date (default 2026-01-01, Lagos).
	Epoch  time.Time
	Logger *slog.Logger
	// TokenTTL is how long an access token lasts in simulated time
	// (default 15 minutes, like a bank session).
	TokenTTL time.Duration
	// State keeps clocks, MFA flags, custom users and faults. Every
	// simulator serving one sandbox must share it (default: this process's
	// memory, right for a lone `kobo banksim`).
	State State
}

// Sim is the simulated bank group.
type Sim struct {
	gen      *generator
	clock    kobo.Clock
	log      *slog.Logger
	secret   []byte
	tokenTTL time.Duration
	insts    map[string]kobo.Institution // by id
	builtin  map[string]*Scenario

	state State

	mu  sync.Mutex // guards rnd
	rnd *rand.Rand
}

// New returns a simulator serving every institution of Catalog.
func New(c Config) *Sim {
	if c.Epoch.IsZero() {
		c.Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, lagos)
	}
	s := &Sim{
		gen:      newGenerator(c.Seed, c.Epoch),
		clock:    cmp.Or[kobo.Clock](c.Clock, kobo.SystemClock{}),
		log:      cmp.Or(c.Logger, slog.New(slog.DiscardHandler)),
		tokenTTL: cmp.Or(c.TokenTTL, 15*time.Minute),
		insts:    map[string]kobo.Institution{},
		builtin:  map[string]*Scenario{},
		state:    c.State,
		rnd:      rand.New(rand.NewPCG(uint64(c.Seed), 42)),
	}
	sum := sha256.Sum256([]byte("banksim-token-key/" + strconv.FormatInt(c.Seed, 10)))
	s.secret = sum[:]
	if s.state == nil {
		s.state = NewMemoryState()
	}
	for _, in := range Catalog() {
		s.insts[in.ID] = in
	}
	for _, u := range testUsers() {
		u := u
		s.builtin[u.Username] = &u
	}
	return s
}

// Now is a tenant's simulated time.
func (s *Sim) Now(ctx context.Context, tenant string) (time.Time, error) {
	_, off, _, err := s.state.Value(ctx, stateClock, tenant)
	if err != nil {
		return time.Time{}, fmt.Errorf("banksim clock: %w", err)
	}
	return s.clock.Now().Add(time.Duration(off)).UTC(), nil
}

// Advance moves a tenant's clock forward (atomically, whichever
// simulator sharing the State is asked).
func (s *Sim) Advance(ctx context.Context, tenant string, d time.Duration) (time.Time, error) {
	off, err := s.state.Add(ctx, stateClock, tenant, int64(d))
	if err != nil {
		return time.Time{}, fmt.Errorf("banksim clock: %w", err)
	}
	return s.clock.Now().Add(time.Duration(off)).UTC(), nil
}

// storedUser is a custom scenario as State keeps it, with the position
// its aliases derive from.
type storedUser struct {
	Scenario
	Index int `json:"index"`
}

func (s *Sim) user(ctx context.Context, tenant, name string) (*Scenario, error) {
	if u, ok := s.builtin[name]; ok {
		return u, nil
	}
	if tenant != "" {
		b, _, ok, err := s.state.Value(ctx, tenantUsersKind(tenant), name)
		if err != nil {
			return nil, err
		}
		if ok {
			return decodeUser(b)
		}
	}
	b, _, ok, err := s.state.Value(ctx, stateUser, name)
	if err != nil || !ok {
		return nil, err
	}
	return decodeUser(b)
}

func decodeUser(b []byte) (*Scenario, error) {
	var su storedUser
	if err := json.Unmarshal(b, &su); err != nil {
		return nil, fmt.Errorf("banksim: stored user: %w", err)
	}
	su.Scenario.index = su.Index
	return &su.Scenario, nil
}

// customUsers returns the custom scenarios, by username.
func (s *Sim) customUsers(ctx context.Context) ([]*Scenario, error) {
	return s.storedUsers(ctx, stateUser)
}

// storedUsers decodes every user stored under one state kind.
func (s *Sim) storedUsers(ctx context.Context, kind string) ([]*Scenario, error) {
	bs, err := s.state.Values(ctx, kind)
	if err != nil {
		return nil, err
	}
	out := make([]*Scenario, 0, len(bs))
	for _, b := range bs {
		u, err := decodeUser(b)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// users returns every scenario a tenant's logins may match, built-in
// first, then the shared custom ones, then the tenant's own.
func (s *Sim) users(ctx context.Context, tenant string) ([]*Scenario, error) {
	var out []*Scenario
	for _, u := range testUsers() {
		out = append(out, s.builtin[u.Username])
	}
	custom, err := s.customUsers(ctx)
	if err != nil {
		return nil, err
	}
	out = append(out, custom...)
	own, err := s.tenantUsers(ctx, tenant)
	return append(out, own...), err
}

// mfaKey names the "next login needs MFA" flag of a user at a bank for a
// tenant.
func mfaKey(tenant, inst, user string) string { return tenant + "/" + inst + "/" + user }

// stateFailed answers when the simulator cannot read its own state: the
// bank is down, as far as its callers can tell.
func stateFailed(w http.ResponseWriter, log *slog.Logger, err error) {
	log.Error("banksim state", "err", err)
	bankError(w, http.StatusServiceUnavailable, "unavailable", "core banking is temporarily unavailable")
}

// token is a stateless, signed bank token: access, refresh (persist) or
// challenge. Being stateless, tokens survive a simulator restart, so a
// kobo restart does not send every sandbox account to re-authorisation.
type token struct {
	Kind   string `json:"k"` // "a" access, "p" persist, "c" challenge
	Inst   string `json:"i"`
	Method string `json:"m"`
	User   string `json:"u"`
	Tenant string `json:"t"`
	Exp    int64  `json:"e,omitempty"` // unix seconds, simulated time
	Step   int    `json:"s,omitempty"` // challenge: which factor
	Inter  bool   `json:"x,omitempty"` // challenge: login was interactive
	Nonce  uint32 `json:"n"`
}

func (s *Sim) sign(t token) string {
	s.mu.Lock()
	t.Nonce = s.rnd.Uint32()
	s.mu.Unlock()
	b, _ := json.Marshal(t)
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(p))
	return "bst_" + p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s *Sim) verify(raw, kind string) (token, bool) {
	raw = strings.TrimPrefix(raw, "bst_")
	p, sig, ok := strings.Cut(raw, ".")
	if !ok {
		return token{}, false
	}
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(p))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return token{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return token{}, false
	}
	var t token
	if json.Unmarshal(b, &t) != nil || t.Kind != kind {
		return token{}, false
	}
	return t, true
}

func slugOf(in kobo.Institution) string {
	return strings.TrimSuffix(strings.TrimPrefix(in.Identifier, "mono.connections."), ".business")
}

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// account is one of a user's accounts at a bank.
type account struct {
	ref    acctRef
	id     string
	number string
	name   string
	typ    string
}

func (s *Sim) accounts(in kobo.Institution, u *Scenario) []account {
	slug := slugOf(in)
	out := make([]account, 0, len(u.Accounts))
	for i, sp := range u.Accounts {
		typ := sp.Type
		if in.Type == kobo.BusinessBanking && !sp.Business {
			typ = "CURRENT ACCOUNT - CORPORATE"
		}
		h := hash64(slug, u.refName(), strconv.Itoa(i))
		out = append(out, account{
			ref:    acctRef{bank: slug, user: u.refName(), index: i, sp: sp},
			id:     fmt.Sprintf("%016x", h),
			number: fmt.Sprintf("%010d", h%10_000_000_000),
			name:   u.FullName,
			typ:    typ,
		})
	}
	return out
}

func bvnOf(u *Scenario) string {
	if u.Identity != nil && u.Identity.BVN != "" {
		return u.Identity.BVN
	}
	return fmt.Sprintf("22%09d", hash64("bvn", u.Username)%1_000_000_000)
}

// Handler serves the bank API under /v1/ and the admin API under /admin/.
func (s *Sim) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /v1/login", s.handleLogin)
	m.HandleFunc("POST /v1/challenge", s.handleChallenge)
	m.HandleFunc("GET /v1/accounts", s.withToken(s.handleAccounts))
	m.HandleFunc("GET /v1/accounts/{id}/balance", s.withToken(s.handleBalance))
	m.HandleFunc("GET /v1/accounts/{id}/transactions", s.withToken(s.handleTransactions))
	m.HandleFunc("GET /v1/accounts/{id}/identity", s.withToken(s.handleIdentity))
	m.HandleFunc("GET /admin/users", s.handleUsers)
	m.HandleFunc("POST /admin/users", s.handleCreateUser)
	m.HandleFunc("PUT /admin/users/{user}/faults", s.handleUserFaults)
	m.HandleFunc("GET /admin/tenants/{tenant}/users", s.handleTenantUsers)
	m.HandleFunc("POST /admin/tenants/{tenant}/users", s.handleCreateTenantUser)
	m.HandleFunc("DELETE /admin/tenants/{tenant}/users/{user}", s.handleDeleteTenantUser)
	m.HandleFunc("GET /admin/tenants/{tenant}/clock", s.handleClock)
	m.HandleFunc("POST /admin/tenants/{tenant}/clock/advance", s.handleAdvance)
	m.HandleFunc("POST /admin/require_mfa", s.handleRequireMFA)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func bankError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

// misbehave applies a user's and the request's faults. It returns true
// when it has answered the request itself.
func (s *Sim) misbehave(w http.ResponseWriter, r *http.Request, f Faults) bool {
	f = f.merge(parseFaultHeader(r.Header.Get("X-Banksim-Fault")))
	if !f.Delay(r.Context()) {
		return true
	}
	s.mu.Lock()
	roll := s.rnd.Float64()
	s.mu.Unlock()
	switch {
	case f.RateLimit:
		w.Header().Set("Retry-After", "1")
		bankError(w, http.StatusTooManyRequests, "rate_limited", "too many requests")
		return true
	case roll < f.TimeoutRate:
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
		return true
	case roll < f.TimeoutRate+f.ErrorRate:
		bankError(w, http.StatusServiceUnavailable, "unavailable", "core banking is temporarily unavailable")
		return true
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		w.Write([]byte(`{"data": [{"id": "x", "amount": "NaN`))
		return true
	}
	return false
}

func (s *Sim) faultsOf(ctx context.Context, u *Scenario) (Faults, error) {
	if u == nil {
		return Faults{}, nil
	}
	b, _, ok, err := s.state.Value(ctx, stateFaults, u.Username)
	if err != nil || !ok {
		return u.Faults, err
	}
	var extra Faults
	if err := json.Unmarshal(b, &extra); err != nil {
		return u.Faults, fmt.Errorf("banksim: stored faults: %w", err)
	}
	return u.Faults.merge(extra), nil
}

type loginRequest struct {
	Institution string            `json:"institution"`
	AuthMethod  string            `json:"auth_method"`
	Fields      map[string]string `json:"fields"`
	Persist     string            `json:"persist"`
	Interactive bool              `json:"interactive"`
	Tenant      string            `json:"tenant"`
}

type sessionBody struct {
	AccessToken string    `json:"access_token"`
	ExpiresAt   time.Time `json:"expires_at"`
	Persist     string    `json:"persist"`
}

type challengeBody struct {
	Challenge struct {
		Token string      `json:"token"`
		Kind  string      `json:"kind"`
		UI    kobo.UIForm `json:"ui"`
	} `json:"challenge"`
}

func (s *Sim) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		bankError(w, 400, "bad_request", "body is not JSON")
		return
	}
	in, ok := s.insts[req.Institution]
	if !ok {
		bankError(w, 404, "not_found", "unknown institution")
		return
	}
	method, ok := in.AuthMethod(req.AuthMethod)
	if !ok {
		bankError(w, 400, "bad_request", "unknown auth method")
		return
	}
	ctx := r.Context()
	var u *Scenario
	if req.Persist != "" {
		t, ok := s.verify(req.Persist, "p")
		if !ok || t.Inst != in.ID {
			bankError(w, 401, "bad_credentials", "stored credentials are no longer valid")
			return
		}
		var err error
		if u, err = s.user(ctx, t.Tenant, t.User); err != nil {
			stateFailed(w, s.log, err)
			return
		}
	} else {
		all, err := s.users(ctx, req.Tenant)
		if err != nil {
			stateFailed(w, s.log, err)
			return
		}
		for _, c := range all {
			if c.matches(method.UI, req.Fields) {
				u = c
				break
			}
		}
	}
	faults, err := s.faultsOf(ctx, u)
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	if s.misbehave(w, r, faults) {
		return
	}
	if u == nil {
		bankError(w, 401, "bad_credentials", "Invalid login credentials")
		return
	}
	if req.Persist == "" {
		for _, f := range method.UI.Form {
			if isSecret(f) && req.Fields[f.Name] != u.secret(f) {
				bankError(w, 401, "bad_credentials", "Invalid login credentials")
				return
			}
		}
	}
	if u.BadPassword {
		bankError(w, 401, "bad_credentials", "Invalid login credentials")
		return
	}
	if u.Locked {
		bankError(w, 423, "locked", "Your account has been locked after too many failed attempts. Please contact your bank.")
		return
	}
	steps := u.mfaSteps(MFAStyle(in))
	_, _, flagged, err := s.state.Value(ctx, stateMFA, mfaKey(req.Tenant, in.ID, u.Username))
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	if req.Persist != "" {
		// logging in again with stored credentials
		switch {
		case !req.Interactive && (u.ReauthEverySync || flagged):
			bankError(w, 403, "mfa_required", "The bank requires the customer to verify this login")
			return
		case !req.Interactive:
			steps = nil
		case flagged && len(steps) == 0:
			steps = []string{MFAStyle(in)}
		}
	}
	if len(steps) == 0 {
		s.openSession(w, r, in, req.AuthMethod, u, req.Tenant)
		return
	}
	s.sendChallenge(w, r, in, req.AuthMethod, u, req.Tenant, 0, steps[0], req.Interactive)
}

func (s *Sim) sendChallenge(w http.ResponseWriter, r *http.Request, in kobo.Institution, method string, u *Scenario, tenant string, step int, kind string, inter bool) {
	now, err := s.Now(r.Context(), tenant)
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	var b challengeBody
	b.Challenge.Kind = kind
	b.Challenge.UI = challengeForm(kind)
	b.Challenge.Token = s.sign(token{Kind: "c", Inst: in.ID, Method: method, User: u.Username, Tenant: tenant, Step: step, Inter: inter,
		Exp: now.Add(5 * time.Minute).Unix()})
	writeJSON(w, 200, b)
}

func (s *Sim) openSession(w http.ResponseWriter, r *http.Request, in kobo.Institution, method string, u *Scenario, tenant string) {
	now, err := s.Now(r.Context(), tenant)
	if err == nil {
		err = s.state.Delete(r.Context(), stateMFA, mfaKey(tenant, in.ID, u.Username))
	}
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	exp := now.Add(s.tokenTTL)
	writeJSON(w, 200, sessionBody{
		AccessToken: s.sign(token{Kind: "a", Inst: in.ID, Method: method, User: u.Username, Tenant: tenant, Exp: exp.Unix()}),
		ExpiresAt:   exp,
		Persist:     s.sign(token{Kind: "p", Inst: in.ID, Method: method, User: u.Username, Tenant: tenant}),
	})
}

type challengeRequest struct {
	Token  string            `json:"token"`
	Fields map[string]string `json:"fields"`
}

func (s *Sim) handleChallenge(w http.ResponseWriter, r *http.Request) {
	var req challengeRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		bankError(w, 400, "bad_request", "body is not JSON")
		return
	}
	t, ok := s.verify(req.Token, "c")
	if !ok {
		bankError(w, 404, "not_found", "unknown challenge")
		return
	}
	u, err := s.user(r.Context(), t.Tenant, t.User)
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	in, ok := s.insts[t.Inst]
	if u == nil || !ok {
		bankError(w, 404, "not_found", "unknown challenge")
		return
	}
	faults, err := s.faultsOf(r.Context(), u)
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	if s.misbehave(w, r, faults) {
		return
	}
	now, err := s.Now(r.Context(), t.Tenant)
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	if now.Unix() > t.Exp {
		bankError(w, 404, "not_found", "this verification step has expired; log in again")
		return
	}
	steps := u.mfaSteps(MFAStyle(in))
	if len(steps) == 0 {
		steps = []string{MFAStyle(in)} // a flagged re-login asked for the bank's factor
	}
	if t.Step >= len(steps) {
		bankError(w, 404, "not_found", "unknown challenge")
		return
	}
	kind := steps[t.Step]
	f := challengeForm(kind).Form[0]
	if !strings.EqualFold(strings.TrimSpace(req.Fields[f.Name]), expectedAnswer(kind)) {
		msg := "Invalid OTP Sent"
		switch kind {
		case MFAQuestion:
			msg = "Incorrect answer to security question"
		case MFAPIN:
			msg = "Incorrect PIN"
		case MFAToken:
			msg = "Invalid token code"
		}
		bankError(w, 401, "bad_credentials", msg)
		return
	}
	if t.Step+1 < len(steps) {
		s.sendChallenge(w, r, in, t.Method, u, t.Tenant, t.Step+1, steps[t.Step+1], t.Inter)
		return
	}
	s.openSession(w, r, in, t.Method, u, t.Tenant)
}

type ctxKey struct{}

type authed struct {
	tok    token
	inst   kobo.Institution
	user   *Scenario
	now    time.Time // the tenant's simulated time, read once per request
	faults Faults    // the user's and the request's
}

func (s *Sim) withToken(h func(w http.ResponseWriter, r *http.Request, a authed)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		t, ok := s.verify(raw, "a")
		if !ok {
			bankError(w, 401, "unauthorized", "invalid access token")
			return
		}
		u, err := s.user(r.Context(), t.Tenant, t.User)
		if err != nil {
			stateFailed(w, s.log, err)
			return
		}
		in, ok := s.insts[t.Inst]
		if u == nil || !ok {
			bankError(w, 401, "unauthorized", "invalid access token")
			return
		}
		own, err := s.faultsOf(r.Context(), u)
		if err != nil {
			stateFailed(w, s.log, err)
			return
		}
		now, err := s.Now(r.Context(), t.Tenant)
		if err != nil {
			stateFailed(w, s.log, err)
			return
		}
		f := own.merge(parseFaultHeader(r.Header.Get("X-Banksim-Fault")))
		if now.Unix() > t.Exp || f.ExpireToken {
			bankError(w, 401, "token_expired", "the session has expired")
			return
		}
		if s.misbehave(w, r, own) {
			return
		}
		h(w, r, authed{tok: t, inst: in, user: u, now: now, faults: f})
	}
}

func (s *Sim) findAccount(a authed, id string) (account, bool) {
	for _, acct := range s.accounts(a.inst, a.user) {
		if acct.id == id {
			return acct, true
		}
	}
	return account{}, false
}

type accountBody struct {
	ID        string `json:"account_id"`
	Number    string `json:"account_number"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Currency  string `json:"currency"`
	Balance   int64  `json:"balance"`
	Available int64  `json:"available"`
	Status    string `json:"status"`
	BVN       string `json:"bvn,omitempty"`
}

func (s *Sim) handleAccounts(w http.ResponseWriter, r *http.Request, a authed) {
	now := a.now
	var out []accountBody
	for _, acct := range s.accounts(a.inst, a.user) {
		bal := s.balanceAt(acct.ref, now)
		out = append(out, accountBody{ID: acct.id, Number: acct.number, Name: acct.name, Type: acct.typ, Currency: "NGN", Balance: bal,
			Available: bal, Status: "active", BVN: bvnOf(a.user)})
	}
	writeJSON(w, 200, map[string]any{"data": out})
}

func (s *Sim) handleBalance(w http.ResponseWriter, r *http.Request, a authed) {
	acct, ok := s.findAccount(a, r.PathValue("id"))
	if !ok {
		bankError(w, 404, "not_found", "unknown account")
		return
	}
	now := a.now
	bal := s.balanceAt(acct.ref, now)
	writeJSON(w, 200, map[string]any{"account_id": acct.id, "balance": bal, "available": bal, "currency": "NGN", "as_of": now})
}

func (s *Sim) handleIdentity(w http.ResponseWriter, r *http.Request, a authed) {
	if _, ok := s.findAccount(a, r.PathValue("id")); !ok {
		bankError(w, 404, "not_found", "unknown account")
		return
	}
	if len(a.inst.Products) < 6 { // the bank offers no identity data
		bankError(w, 404, "not_found", "identity is not available from this bank")
		return
	}
	u := a.user
	h := hash64("id", u.Username)
	names := strings.Fields(u.FullName)
	gender := "female"
	if h%2 == 0 {
		gender = "male"
	}
	states := []string{"Lagos", "Ogun", "Oyo", "Anambra", "Enugu", "Kano", "Rivers", "Kaduna"}
	lgas := []string{"Ikeja", "Abeokuta South", "Ibadan North", "Onitsha North", "Enugu East", "Nassarawa", "Port Harcourt", "Kaduna North"}
	i := int(h % uint64(len(states)))
	id := map[string]any{
		"full_name": u.FullName, "email": strings.ToLower(strings.Join(names[:min(2, len(names))], ".")) + "@example.com",
		"phone": u.identifierValue(kobo.FormField{Name: "phone"}), "gender": gender,
		"dob": time.Date(1975+int(h%25), time.Month(1+h%12), 1+int(h%28), 0, 0, 0, 0, time.UTC).Format("2006-01-02"),
		"bvn": bvnOf(u), "marital_status": []string{"single", "married"}[h%2],
		"address_line1": strconv.Itoa(1+int(h%120)) + " " + []string{"Awolowo Road", "Adeola Odeku Street", "Allen Avenue", "Herbert Macaulay Way"}[h%4],
		"address_line2": lgas[i] + ", " + states[i], "state_of_origin": states[(i+3)%len(states)], "lga_of_origin": lgas[(i+3)%len(lgas)],
	}
	u.overrideIdentity(id)
	writeJSON(w, 200, id)
}

// maxPage caps a transaction page.
const maxPage = 5000

// handleTransactions pages through [from, to] oldest first. The cursor is
// "<month>.<offset>": the month being read and how many of its rows in the
// window were already sent, so a page can be regenerated independently.
func (s *Sim) handleTransactions(w http.ResponseWriter, r *http.Request, a authed) {
	acct, ok := s.findAccount(a, r.PathValue("id"))
	if !ok {
		bankError(w, 404, "not_found", "unknown account")
		return
	}
	if a.user.TxnsFail {
		// a lasting failure, not a transient one: the bank's statement
		// service cannot serve this account (data status PARTIAL)
		bankError(w, 422, "statement_unavailable", "statement service cannot serve this account")
		return
	}
	if acct.ref.sp.Transactions != nil {
		s.fixedTransactions(w, r, a, acct)
		return
	}
	q := r.URL.Query()
	now := a.now
	from, to := time.Time{}, now
	if v := q.Get("from"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			bankError(w, 400, "bad_request", "from must be RFC 3339")
			return
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			bankError(w, 400, "bad_request", "to must be RFC 3339")
			return
		}
		if t.Before(to) {
			to = t
		}
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bankError(w, 400, "bad_request", "limit must be a positive number")
			return
		}
		limit = min(n, maxPage)
	}
	startMonth, skip := -1, 0
	if c := q.Get("cursor"); c != "" {
		ms, os, ok := strings.Cut(c, ".")
		m, err1 := strconv.Atoi(ms)
		o, err2 := strconv.Atoi(os)
		if !ok || err1 != nil || err2 != nil || o < 0 {
			bankError(w, 400, "bad_request", "invalid cursor")
			return
		}
		startMonth, skip = m, o
	}
	if startMonth >= 0 && monthStart(startMonth).After(from) {
		from = monthStart(startMonth)
	}
	faults := a.faults
	buf := make([]byte, 0, 256*min(limit, 1000))
	buf = append(buf, `{"data":[`...)
	n, next := 0, ""
	s.gen.each(acct.ref, from, to, func(m int, txns []Txn) bool {
		off := 0
		if m == startMonth {
			off = skip
		}
		for i := off; i < len(txns); i++ {
			if n == limit {
				next = strconv.Itoa(m) + "." + strconv.Itoa(i)
				return false
			}
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = appendTxn(buf, txns[i])
			if faults.Duplicate && i%7 == 0 {
				buf = append(buf, ',')
				buf = appendTxn(buf, txns[i])
			}
			n++
		}
		return true
	})
	buf = append(buf, `],"next_cursor":`...)
	if next == "" {
		buf = append(buf, "null"...)
	} else {
		buf = strconv.AppendQuote(buf, next)
	}
	buf = append(buf, "}\n"...)
	if faults.Truncate {
		buf = buf[:len(buf)*2/3]
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.Write(buf)
}

// appendTxn writes a transaction as JSON without reflection: pages of
// thousands of rows are the simulator's hot path.
func appendTxn(b []byte, t Txn) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, t.Ref...)
	b = append(b, `","booked_at":"`...)
	b = t.Date.AppendFormat(b, time.RFC3339)
	if t.Credit {
		b = append(b, `","direction":"credit","amount":`...)
	} else {
		b = append(b, `","direction":"debit","amount":`...)
	}
	b = strconv.AppendInt(b, t.Amount, 10)
	b = append(b, `,"balance":`...)
	b = strconv.AppendInt(b, t.Balance, 10)
	b = append(b, `,"currency":"NGN","description":`...)
	b = strconv.AppendQuote(b, t.Narration)
	return append(b, '}')
}

// Admin API.

func (s *Sim) handleUsers(w http.ResponseWriter, r *http.Request) {
	in, ok := s.insts[r.URL.Query().Get("institution")]
	if !ok {
		bankError(w, 400, "bad_request", "institution is required")
		return
	}
	users := SandboxUsers(in, r.URL.Query().Get("auth_method"))
	m, _ := in.AuthMethod(r.URL.Query().Get("auth_method"))
	if m.ID == "" && len(in.AuthMethods) > 0 {
		m = in.AuthMethods[0]
	}
	custom, err := s.customUsers(r.Context())
	if err == nil {
		var own []*Scenario
		own, err = s.tenantUsers(r.Context(), r.URL.Query().Get("tenant"))
		custom = append(custom, own...)
	}
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	for _, u := range custom {
		steps := u.mfaSteps(MFAStyle(in))
		su := kobo.SandboxUser{Username: u.Username, Password: "123456", Description: u.Description, HasMultipleAccounts: len(u.Accounts) > 1,
			MFA: strings.Join(steps, ","), Values: u.Values(m.UI)}
		if u.Password != "" {
			su.Password = u.Password
		}
		if len(steps) > 0 {
			su.Inputs = mfaInputs(steps)
		}
		users = append(users, su)
	}
	writeJSON(w, 200, map[string]any{"data": users})
}

func (s *Sim) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var sc Scenario
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		bankError(w, 400, "bad_request", "body must be a scenario: "+err.Error())
		return
	}
	if !strings.HasPrefix(sc.Username, "custom_") || len(sc.Username) > 40 || strings.ContainsAny(sc.Username, " /@") {
		bankError(w, 400, "bad_request", "username must start with custom_ and have no spaces, / or @")
		return
	}
	if len(sc.Accounts) == 0 || len(sc.Accounts) > 10 {
		bankError(w, 400, "bad_request", "a scenario needs 1 to 10 accounts")
		return
	}
	for i := range sc.Accounts {
		a := &sc.Accounts[i]
		a.Type = cmp.Or(a.Type, "SAVINGS ACCOUNT")
		a.HistoryDays = cmp.Or(a.HistoryDays, 400)
		if a.HistoryDays < 1 || a.HistoryDays > 3660 || a.PerDay < 0 || a.PerDay > 5000 || a.Salary < 0 || a.OpeningKobo < 0 {
			bankError(w, 400, "bad_request", "account "+strconv.Itoa(i)+": history_days 1..3660, per_day 0..5000, amounts ≥ 0")
			return
		}
	}
	for _, st := range strings.Split(sc.MFA, ",") {
		switch st {
		case "", MFAOTP, MFAQuestion, MFAPIN, MFAToken, "bank":
		default:
			bankError(w, 400, "bad_request", "mfa steps are otp, question, pin, token or bank")
			return
		}
	}
	sc.FullName = cmp.Or(sc.FullName, strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(sc.Username, "custom_"), "_", " ")))
	// the aliases (phone, account number) derive from the position; a hash
	// of the name gives every simulator the same one, however many users
	// exist and whichever simulator created it
	sc.index = 1000 + int(hash64("custom", sc.Username)%90_000_000)
	b, err := json.Marshal(storedUser{Scenario: sc, Index: sc.index})
	if err == nil {
		err = s.state.Put(r.Context(), stateUser, sc.Username, b)
	}
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	writeJSON(w, 201, sc)
}

func (s *Sim) handleUserFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&f); err != nil {
		bankError(w, 400, "bad_request", "body must be a faults object")
		return
	}
	b, _ := json.Marshal(f)
	if err := s.state.Put(r.Context(), stateFaults, r.PathValue("user"), b); err != nil {
		stateFailed(w, s.log, err)
		return
	}
	writeJSON(w, 200, f)
}

func (s *Sim) handleClock(w http.ResponseWriter, r *http.Request) {
	now, err := s.Now(r.Context(), r.PathValue("tenant"))
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	writeJSON(w, 200, map[string]any{"now": now})
}

func (s *Sim) handleAdvance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Seconds int64 `json:"seconds"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&req); err != nil || req.Seconds <= 0 {
		bankError(w, 400, "bad_request", "seconds must be a positive number")
		return
	}
	now, err := s.Advance(r.Context(), r.PathValue("tenant"), time.Duration(req.Seconds)*time.Second)
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	writeJSON(w, 200, map[string]any{"now": now})
}

// handleRequireMFA flags the user behind a token so their next login
// needs MFA: non-interactive logins fail and interactive ones ask for the
// bank's factor.
func (s *Sim) handleRequireMFA(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		bankError(w, 400, "bad_request", "token is required")
		return
	}
	t, ok := s.verify(req.Token, "p")
	if !ok {
		t, ok = s.verify(req.Token, "a")
	}
	if !ok {
		bankError(w, 404, "not_found", "unknown token")
		return
	}
	if err := s.state.Put(r.Context(), stateMFA, mfaKey(t.Tenant, t.Inst, t.User), []byte{1}); err != nil {
		stateFailed(w, s.log, err)
		return
	}
	writeJSON(w, 200, map[string]bool{"require_mfa": true})
}

// Transport serves HTTP requests to the simulator in memory, for running
// it inside kobo serve without a listener.
func Transport(h http.Handler) http.RoundTripper { return memTransport{h} }

type memTransport struct{ h http.Handler }

func (t memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, code: 200}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.h.ServeHTTP(rec, r)
	}()
	select {
	case <-done:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return &http.Response{StatusCode: rec.code, Status: http.StatusText(rec.code), Header: rec.header, Body: ioNopCloser{bytes.NewReader(rec.body.Bytes())},
		ContentLength: int64(rec.body.Len()), Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(c int) {
	if !r.wrote {
		r.code, r.wrote = c, true
	}
}
func (r *recorder) Write(b []byte) (int, error) { r.wrote = true; return r.body.Write(b) }

type ioNopCloser struct{ *bytes.Reader }

func (ioNopCloser) Close() error { return nil }
