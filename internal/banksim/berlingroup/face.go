// Package berlingroup is banksim's Berlin Group NextGenPSD2 1.3.11 face:
// an ASPSP's Account Information Service (consents, the REDIRECT, OAuth,
// DECOUPLED and EMBEDDED SCA approaches, accounts, balances and paginated
// transactions, and the standard's error bodies), served from the same
// simulated users and data as banksim's own API.
//
// It owns the consent and authorisation resources, which it keeps in the
// simulator's shared State so every replica agrees on them, and the
// minimal login pages and OAuth authorization server of the redirect
// approaches. With SignatureRoots it also checks the standard's signature
// function on every XS2A request (signature.go). Its responses are
// validated against the official OpenAPI file in its tests; Loopback
// serves it with a throwaway PKI for `kobo banksim --berlingroup-addr`.
package berlingroup

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// SCA approaches, as the standard names them. OAuth is a REDIRECT whose
// redirect goes through an OAuth authorization server.
const (
	Redirect  = "REDIRECT"
	OAuth     = "OAUTH"
	Decoupled = "DECOUPLED"
	Embedded  = "EMBEDDED"
)

// Config configures a face.
type Config struct {
	Sim *banksim.Sim
	// Institution is the banksim catalog id of the bank this face is
	// (default: the first of the catalog).
	Institution string
	// Tenant is the sandbox tenant whose users and clock the face serves
	// ("" for the shared test users and clock).
	Tenant string
	// Approaches are the SCA approaches offered (default all four). The
	// first is used when the TPP states no preference.
	Approaches []string
	// DecoupledDelay is how long, in the tenant's simulated time, the
	// simulated user takes to approve a decoupled authorisation in their
	// app (default 2 s); tests move the clock past it with Sim.Advance.
	DecoupledDelay time.Duration
	// MaxPage caps the transactions of one page (default 1,000).
	MaxPage int
	// RequireClientCert makes the API and the token endpoint refuse a TPP
	// without a verified client certificate (serve with TLSConfig); the
	// PSU's login pages never need one, as at a real bank.
	RequireClientCert bool
	// SignatureRoots, when set, makes the XS2A API refuse requests that
	// are not signed (Digest, Signature and TPP-Signature-Certificate)
	// with a certificate from these CAs, as an ASPSP that mandates the
	// standard's signature function does.
	SignatureRoots *x509.CertPool
	Logger         *slog.Logger
}

// Face is the Berlin Group face of a simulated bank.
type Face struct {
	sim        *banksim.Sim
	inst       kobo.Institution
	tenant     string
	approaches []string
	delay      time.Duration
	maxPage    int
	log        *slog.Logger
	state      banksim.State
	mtls       bool
	sigRoots   *x509.CertPool
}

// New returns a face.
func New(c Config) (*Face, error) {
	if c.Sim == nil {
		return nil, fmt.Errorf("berlingroup: Config.Sim is required")
	}
	id := c.Institution
	if id == "" {
		id = banksim.Catalog()[0].ID
	}
	in, ok := c.Sim.StdInstitution(id)
	if !ok {
		return nil, fmt.Errorf("berlingroup: unknown institution %q", id)
	}
	f := &Face{sim: c.Sim, inst: in, tenant: c.Tenant, approaches: c.Approaches,
		delay: cmp.Or(c.DecoupledDelay, 2*time.Second), maxPage: cmp.Or(c.MaxPage, 1000),
		log: cmp.Or(c.Logger, slog.New(slog.DiscardHandler)), state: c.Sim.StdState(), mtls: c.RequireClientCert,
		sigRoots: c.SignatureRoots}
	if len(f.approaches) == 0 {
		f.approaches = []string{Redirect, OAuth, Decoupled, Embedded}
	}
	for _, a := range f.approaches {
		switch a {
		case Redirect, OAuth, Decoupled, Embedded:
		default:
			return nil, fmt.Errorf("berlingroup: unknown SCA approach %q", a)
		}
	}
	return f, nil
}

// Handler serves the face: the XS2A API under /v1/, the redirect login
// pages under /sca/, and the OAuth authorization server under /oauth/.
func (f *Face) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /v1/consents", f.handleCreateConsent)
	m.HandleFunc("GET /v1/consents/{id}", f.handleGetConsent)
	m.HandleFunc("DELETE /v1/consents/{id}", f.handleDeleteConsent)
	m.HandleFunc("GET /v1/consents/{id}/status", f.handleConsentStatus)
	m.HandleFunc("POST /v1/consents/{id}/authorisations", f.handleStartAuthorisation)
	m.HandleFunc("GET /v1/consents/{id}/authorisations/{auth}", f.handleScaStatus)
	m.HandleFunc("PUT /v1/consents/{id}/authorisations/{auth}", f.handleUpdateAuthorisation)
	m.HandleFunc("GET /v1/accounts", f.withConsent(f.handleAccounts))
	m.HandleFunc("GET /v1/accounts/{account}/balances", f.withConsent(f.handleBalances))
	m.HandleFunc("GET /v1/accounts/{account}/transactions", f.withConsent(f.handleTransactions))
	m.HandleFunc("GET /sca/{auth}", f.handleLoginPage)
	m.HandleFunc("POST /sca/{auth}", f.handleLoginSubmit)
	m.HandleFunc("GET /.well-known/oauth-authorization-server", f.handleOAuthMetadata)
	m.HandleFunc("GET /oauth/authorize", f.handleOAuthAuthorize)
	m.HandleFunc("POST /oauth/token", f.handleOAuthToken)
	m.HandleFunc("POST /admin/consents/{id}/revoke", f.handleAdminRevoke)
	m.HandleFunc("POST /admin/consents/{id}/expire", f.handleAdminExpire)
	return withRequestID(f.withClientCert(m))
}

// withClientCert refuses TPP calls without a verified client certificate
// when the face requires one (everything but the PSU's pages), and XS2A
// calls without a valid signature when it requires those.
func (f *Face) withClientCert(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		psuPage := strings.HasPrefix(r.URL.Path, "/sca/") || r.URL.Path == "/oauth/authorize"
		if f.mtls && !psuPage && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
			tppError(w, http.StatusUnauthorized, "CERTIFICATE_MISSING", "a client certificate (QWAC) is required")
			return
		}
		if f.sigRoots != nil && strings.HasPrefix(r.URL.Path, "/v1/") && !f.verifySignature(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TLSConfig is a server TLS configuration for the face. With clientCAs
// set, a client certificate is verified against them when given (a
// certificate from elsewhere fails the handshake); Config.RequireClientCert
// then refuses TPP calls that came without one, as ASPSPs do with eIDAS
// QWACs, while the PSU's browser reaches the login pages.
func TLSConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAs != nil {
		c.ClientCAs = clientCAs
		c.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return c
}

// withRequestID echoes the TPP's X-Request-ID on every response (the
// standard requires it), making one up when the TPP sent none.
func withRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" {
			id = newUUID()
		}
		w.Header().Set("X-Request-ID", id)
		h.ServeHTTP(w, r)
	})
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// tppError answers with the standard's error body: a list of tppMessages
// with category ERROR, a message code and a text.
func tppError(w http.ResponseWriter, status int, code, text string) {
	writeJSON(w, status, map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": code, "text": text}}})
}

// unavailable answers 503 with no body: the standard defines no AIS
// message code for 5xx.
func unavailable(w http.ResponseWriter, log *slog.Logger, err error) {
	if err != nil {
		log.Error("banksim berlingroup", "err", err)
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}

// now is the tenant's simulated time.
func (f *Face) now(ctx context.Context) (time.Time, error) { return f.sim.Now(ctx, f.tenant) }

// baseURL is the face's own origin as the TPP reached it, for _links.
func baseURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// misbehave applies a user's faults (and the X-Banksim-Fault header's):
// 429 ACCESS_EXCEEDED for a rate limit, 503 for an error roll.
func (f *Face) misbehave(w http.ResponseWriter, r *http.Request, u *banksim.Scenario) bool {
	ft, err := f.sim.UserFaults(r.Context(), u, r.Header.Get("X-Banksim-Fault"))
	if err != nil {
		unavailable(w, f.log, err)
		return true
	}
	if !ft.Delay(r.Context()) {
		return true
	}
	switch {
	case ft.RateLimit:
		w.Header().Set("Retry-After", "1")
		tppError(w, http.StatusTooManyRequests, "ACCESS_EXCEEDED", "too many requests; retry later")
		return true
	case ft.ErrorRate >= 1 || (ft.ErrorRate > 0 && randFloat() < ft.ErrorRate):
		unavailable(w, f.log, nil)
		return true
	}
	return false
}

func randFloat() float64 {
	var b [8]byte
	rand.Read(b[:])
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return float64(n>>11) / (1 << 53)
}
