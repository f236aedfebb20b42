// Package obie is banksim's UK Open Banking face: an ASPSP speaking the
// OBIE Account and Transaction API (v3.1.11, and v4.0 as a profile of the
// same code), served from the simulator's own users, logins, second
// factors and generated histories (package banksim's Std* calls).
//
// It owns what a TPP meets at a UK bank: a minimal authorization server
// (client credentials, the account-access consent, a login page for the
// authorization-code redirect with PKCE and an optional signed request
// object, refresh tokens), the AIS resources (accounts, balances,
// transactions paged with Links.Next, parties), the consent's life
// (authorised, rejected, revoked, expired) and the faults real banks
// show (429 and 5xx with OBErrorResponse1 bodies). Every response it
// sends is validated in its tests against the official OpenAPI files.
//
// Consents and used authorization codes live in the simulator's State, so
// replicas sharing it agree; tokens are signed and stateless. Time is the
// simulator's (tenant ""), so advancing its clock expires consents.
package obie

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Config configures a Face.
type Config struct {
	Sim *banksim.Sim
	// Institution is the banksim institution the face serves (default:
	// the catalog's first).
	Institution string
	Profile     Profile
	// Issuer is the face's public base URL (https://host:port), used in
	// Links and the discovery document.
	Issuer string
	// Clients are the registered TPPs: client id → redirect URIs allowed
	// (empty: any https or loopback URI).
	Clients map[string][]string
	// RequireClientCert refuses calls without a verified TLS client
	// certificate (the listener's tls.Config verifies it against its
	// ClientCAs; this says a missing one is refused).
	RequireClientCert bool
	// RequestObjectKey, when set, makes /authorize require a request
	// object signed with ES256 by this key.
	RequestObjectKey *ecdsa.PublicKey
	// Currency labels the simulator's minor units (default GBP: the face
	// is a UK bank).
	Currency string
	// PageSize is the most transactions on a page (default 500).
	PageSize int
	// TokenTTL is an access token's life (default 5 minutes, sim time).
	TokenTTL time.Duration
	// ConsentTTL is a consent's life when the TPP asks for none (default
	// 90 days, as the UK's reauthentication rule had it).
	ConsentTTL time.Duration
	// PendingWindow: transactions dated this close to now are Pending
	// (default 24 hours; card authorisations post the next day).
	PendingWindow time.Duration
	Logger        *slog.Logger
}

// Face is the OBIE ASPSP.
type Face struct {
	served servedCounts
	c      Config
	sim    *banksim.Sim
	inst   kobo.Institution
	prof   Profile
	secret []byte
	log    *slog.Logger
}

// State kinds of the face's entries in the simulator's State.
const (
	stateConsent = "obie/consent"
	stateCode    = "obie/code"
)

// New returns a face.
func New(c Config) (*Face, error) {
	if c.Sim == nil {
		return nil, fmt.Errorf("obie face: no simulator")
	}
	if c.Institution == "" {
		c.Institution = banksim.Catalog()[0].ID
	}
	in, ok := c.Sim.StdInstitution(c.Institution)
	if !ok {
		return nil, fmt.Errorf("obie face: unknown institution %q", c.Institution)
	}
	if c.Profile.Version == "" {
		c.Profile = V31()
	}
	c.Currency = cmp.Or(c.Currency, "GBP")
	c.PageSize = cmp.Or(c.PageSize, 500)
	c.TokenTTL = cmp.Or(c.TokenTTL, 5*time.Minute)
	c.ConsentTTL = cmp.Or(c.ConsentTTL, 90*24*time.Hour)
	c.PendingWindow = cmp.Or(c.PendingWindow, 24*time.Hour)
	sum := sha256.Sum256([]byte("banksim-obie/" + c.Institution + "/" + c.Issuer))
	return &Face{c: c, sim: c.Sim, inst: in, prof: c.Profile, secret: sum[:], log: cmp.Or(c.Logger, slog.New(slog.DiscardHandler))}, nil
}

// BasePath is where the AIS resources are served ("/open-banking/v3.1/aisp").
func (f *Face) BasePath() string { return "/open-banking/" + f.prof.Version + "/aisp" }

// Handler serves the authorization server at the root and the AIS API
// under BasePath.
func (f *Face) Handler() http.Handler {
	m := http.NewServeMux()
	b := f.BasePath()
	m.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	m.HandleFunc("POST /token", f.guard(f.token))
	m.HandleFunc("GET /authorize", f.authorizePage)
	m.HandleFunc("POST /authorize", f.authorizeSubmit)
	m.HandleFunc("POST "+b+"/account-access-consents", f.guard(f.clientCall(f.createConsent)))
	m.HandleFunc("GET "+b+"/account-access-consents/{ConsentId}", f.guard(f.clientCall(f.getConsent)))
	m.HandleFunc("DELETE "+b+"/account-access-consents/{ConsentId}", f.guard(f.clientCall(f.deleteConsent)))
	m.HandleFunc("GET "+b+"/accounts", f.guard(f.psuCall(f.accounts)))
	m.HandleFunc("GET "+b+"/accounts/{AccountId}", f.guard(f.psuCall(f.account)))
	m.HandleFunc("GET "+b+"/accounts/{AccountId}/balances", f.guard(f.psuCall(f.balances)))
	m.HandleFunc("GET "+b+"/accounts/{AccountId}/transactions", f.guard(f.psuCall(f.transactions)))
	m.HandleFunc("GET "+b+"/accounts/{AccountId}/party", f.guard(f.psuCall(f.accountParty)))
	m.HandleFunc("GET "+b+"/accounts/{AccountId}/parties", f.guard(f.psuCall(f.accountParties)))
	m.HandleFunc("GET "+b+"/party", f.guard(f.psuCall(f.party)))
	return m
}

// interaction is the request's x-fapi-interaction-id, made when the TPP
// sent none; every answer carries it.
func interaction(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("x-fapi-interaction-id")
	if id == "" || len(id) > 64 {
		var b [16]byte
		_, _ = rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b[:])
		id = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	w.Header().Set("x-fapi-interaction-id", id)
}

// guard answers the transport-level rules before any handler: the client
// certificate, and the faults (latency, 429, 5xx, hangs) the user or the
// request asks for.
func (f *Face) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		interaction(w, r)
		w = &statusWriter{ResponseWriter: w, f: f}
		if f.c.RequireClientCert && (r.TLS == nil || len(r.TLS.PeerCertificates) == 0) {
			f.fail(w, http.StatusUnauthorized, errPermission, "a TLS client certificate is required")
			return
		}
		h(w, r)
	}
}

// servedCounts counts the API's answers by status, so tests can tell a
// fault was served rather than assume it.
type servedCounts struct {
	mu sync.Mutex
	n  map[int]int
}

// Served is how many API answers the face sent with status.
func (f *Face) Served(status int) int {
	f.served.mu.Lock()
	defer f.served.mu.Unlock()
	return f.served.n[status]
}

type statusWriter struct {
	http.ResponseWriter
	f    *Face
	done bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		w.f.served.mu.Lock()
		if w.f.served.n == nil {
			w.f.served.n = map[int]int{}
		}
		w.f.served.n[code]++
		w.f.served.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(code)
}

// misbehave applies faults; true means it answered.
func (f *Face) misbehave(w http.ResponseWriter, r *http.Request, user string) bool {
	ft, err := f.sim.StdFaults(r.Context(), "", user, r)
	if err != nil {
		f.fail(w, http.StatusInternalServerError, errUnexpected, "the bank's systems are unavailable")
		return true
	}
	if !ft.Delay(r.Context()) {
		return true
	}
	roll := f.sim.Roll()
	switch {
	case ft.RateLimit:
		w.Header().Set("Retry-After", "1")
		f.fail(w, http.StatusTooManyRequests, errRateLimited, "too many requests; retry after 1 second")
		return true
	case roll < ft.TimeoutRate:
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
		return true
	case roll < ft.TimeoutRate+ft.ErrorRate:
		f.fail(w, http.StatusInternalServerError, errUnexpected, "the bank's systems are temporarily unavailable")
		return true
	}
	return false
}

// errorBody is OBErrorResponse1.
type errorBody struct {
	Code    string      `json:"Code"`
	ID      string      `json:"Id,omitempty"`
	Message string      `json:"Message"`
	Errors  []errorItem `json:"Errors"`
}

type errorItem struct {
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
	Path      string `json:"Path,omitempty"`
}

func (f *Face) fail(w http.ResponseWriter, status int, code, msg string) {
	f.failAt(w, status, code, msg, "")
}

func (f *Face) failAt(w http.ResponseWriter, status int, code, msg, path string) {
	id := w.Header().Get("x-fapi-interaction-id")
	if len(id) > 40 {
		id = id[:40]
	}
	writeJSON(w, status, errorBody{Code: strconv.Itoa(status), ID: id, Message: msg,
		Errors: []errorItem{{ErrorCode: f.prof.errorCode(code), Message: msg, Path: path}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// now is the simulator's time for the face (tenant "").
func (f *Face) now(ctx context.Context) (time.Time, error) { return f.sim.Now(ctx, "") }

// Tokens: signed, stateless, by kind.
type tok struct {
	Kind     string `json:"k"` // "cc" client credentials, "at" access, "rt" refresh, "code", "flow"
	Client   string `json:"c"`
	Consent  string `json:"i,omitempty"`
	User     string `json:"u,omitempty"`
	Exp      int64  `json:"e,omitempty"`
	Redirect string `json:"r,omitempty"` // code, flow: the redirect_uri
	PKCE     string `json:"p,omitempty"` // code, flow: the S256 challenge
	State    string `json:"s,omitempty"` // flow: the TPP's state
	Nonce    string `json:"n,omitempty"`
	Step     int    `json:"x,omitempty"` // flow: second factors passed
}

func (f *Face) sign(t tok) string {
	if t.Nonce == "" {
		var b [9]byte
		_, _ = rand.Read(b[:])
		t.Nonce = base64.RawURLEncoding.EncodeToString(b[:])
	}
	b, _ := json.Marshal(t)
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (f *Face) verify(raw, kind string) (tok, bool) {
	p, sig, ok := strings.Cut(raw, ".")
	if !ok {
		return tok{}, false
	}
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(p))
	if !hmac.Equal([]byte(sig), []byte(base64.RawURLEncoding.EncodeToString(m.Sum(nil)))) {
		return tok{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	var t tok
	if err != nil || json.Unmarshal(b, &t) != nil || t.Kind != kind {
		return tok{}, false
	}
	return t, true
}

// consent is an account-access consent as the face keeps it.
type consent struct {
	ID          string     `json:"id"`
	Client      string     `json:"client"`
	Status      string     `json:"status"` // v3 names
	Permissions []string   `json:"permissions"`
	Created     time.Time  `json:"created"`
	Updated     time.Time  `json:"updated"`
	Expires     *time.Time `json:"expires,omitempty"`
	TxFrom      *time.Time `json:"tx_from,omitempty"`
	TxTo        *time.Time `json:"tx_to,omitempty"`
	User        string     `json:"user,omitempty"`
}

func (c *consent) has(p string) bool {
	for _, x := range c.Permissions {
		if x == p {
			return true
		}
	}
	return false
}

// status is the consent's state at now: an authorised consent past its
// expiry has expired.
func (c *consent) status(now time.Time) string {
	if c.Status == consentAuthorised && c.Expires != nil && !now.Before(*c.Expires) {
		return consentExpired
	}
	return c.Status
}

func (f *Face) loadConsent(ctx context.Context, id string) (*consent, error) {
	b, _, ok, err := f.sim.StdState().Value(ctx, stateConsent, id)
	if err != nil || !ok {
		return nil, err
	}
	var c consent
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("obie face: stored consent: %w", err)
	}
	return &c, nil
}

func (f *Face) saveConsent(ctx context.Context, c *consent) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return f.sim.StdState().Put(ctx, stateConsent, c.ID, b)
}

// Revoke is the customer revoking a consent at the bank (in the bank's
// app, not through the TPP): later calls and refreshes are refused.
func (f *Face) Revoke(ctx context.Context, consentID string) error {
	c, err := f.loadConsent(ctx, consentID)
	if err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("obie face: no consent %q", consentID)
	}
	now, err := f.now(ctx)
	if err != nil {
		return err
	}
	c.Status, c.Updated = consentRevoked, now
	return f.saveConsent(ctx, c)
}

// Consents lists the consent ids authorised for a user, for tests.
func (f *Face) Consents(ctx context.Context, user string) ([]string, error) {
	bs, err := f.sim.StdState().Values(ctx, stateConsent)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range bs {
		var c consent
		if json.Unmarshal(b, &c) == nil && c.User == user && c.Status == consentAuthorised {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// clientCall admits a client-credentials token.
func (f *Face) clientCall(h func(w http.ResponseWriter, r *http.Request, t tok)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := f.verify(bearer(r), "cc")
		now, err := f.now(r.Context())
		if err != nil {
			f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
			return
		}
		if !ok || now.Unix() > t.Exp {
			f.fail(w, http.StatusUnauthorized, errPermission, "invalid or expired client access token")
			return
		}
		if f.misbehave(w, r, "") {
			return
		}
		h(w, r, t)
	}
}

// psuCall admits an access token of an authorised, unexpired consent.
func (f *Face) psuCall(h func(w http.ResponseWriter, r *http.Request, c *consent, now time.Time)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := f.verify(bearer(r), "at")
		now, err := f.now(r.Context())
		if err != nil {
			f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
			return
		}
		if !ok || now.Unix() > t.Exp {
			f.fail(w, http.StatusUnauthorized, errPermission, "invalid or expired access token")
			return
		}
		c, err := f.loadConsent(r.Context(), t.Consent)
		if err != nil {
			f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
			return
		}
		if c == nil || c.Client != t.Client {
			f.fail(w, http.StatusUnauthorized, errPermission, "invalid access token")
			return
		}
		if st := c.status(now); st != consentAuthorised {
			f.fail(w, http.StatusForbidden, errInvalidConsent, "the consent is "+strings.ToLower(st)+"; the customer must authorise again")
			return
		}
		if f.misbehave(w, r, c.User) {
			return
		}
		h(w, r, c, now)
	}
}

func (f *Face) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"issuer": f.c.Issuer, "authorization_endpoint": f.c.Issuer + "/authorize", "token_endpoint": f.c.Issuer + "/token",
		"response_types_supported": []string{"code"}, "grant_types_supported": []string{"client_credentials", "authorization_code", "refresh_token"},
		"code_challenge_methods_supported":            []string{"S256"},
		"token_endpoint_auth_methods_supported":       []string{"tls_client_auth", "client_secret_basic", "none"},
		"request_object_signing_alg_values_supported": []string{"ES256", "none"},
		"scopes_supported":                            []string{"openid", "accounts"},
	})
}
