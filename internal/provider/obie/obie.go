// Package obie is kobo's connector to UK banks through the Open Banking
// (OBIE) Account and Transaction API, v3.1.11 and v4.0. It owns the
// standard's TPP side: the client-credentials token, the
// account-access consent, the redirect to the bank (authorization code
// with PKCE and a request object, ES256-signed when the bank entry has a
// signing key), the code exchange and refresh, the reads (accounts,
// balances, transactions following Links.Next, the account's party) and
// their mapping into kobo's types, and the classification of the bank's
// answers into kobo.BankError kinds.
//
// Banks are data: each entry of the operator's banks file (Bank, parsed
// by ParseBanks) becomes an institution (Catalog) whose one auth method
// is the redirect consent. Transport certificates are per bank and are
// loaded by New.
//
// What kobo's Mono-shaped transaction has no field for (merchant, the
// counterparty's account and bank, references, the bank's transaction
// codes, value date, card) is kept in a transaction's Meta (see
// TransactionMeta for the keys).
package obie

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

// Name is the provider's key in kobo's provider map.
const Name = "obie"

// Config configures a Provider.
type Config struct {
	Banks   []Bank
	Logger  *slog.Logger
	Clock   kobo.Clock
	Timeout time.Duration // one HTTP request (default 30s)
	// WrapTransport, when set, wraps each bank's transport: the bench and
	// tests validate every answer against the standard's spec with it.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Keys are the TPP keys in kobo's database that entries name
	// (cert_secret, signing_secret); nil when none is used.
	Keys mtls.Keys
}

// Provider implements kobo.Provider, kobo.Consenter and kobo.Policied.
type Provider struct {
	c     Config
	banks map[string]*bank // by institution id
	byID  map[string]*bank // by bank entry id
}

type bank struct {
	Bank
	client *http.Client
	key    *ecdsa.PrivateKey // from signing_key_file
	keys   mtls.Keys         // signing_secret's, looked up at each signature (a new import is used at once)
	v4     bool
}

// signingKey is the request-object key: the file's, the stored one's, or
// none (alg none).
func (b *bank) signingKey() (*ecdsa.PrivateKey, error) {
	if b.SigningSecret == "" {
		return b.key, nil
	}
	k, err := mtls.Lookup(b.keys, b.SigningSecret, "signing_secret")
	if err != nil {
		return nil, err
	}
	return signingKeyOf(k)
}

var (
	_ kobo.Provider  = (*Provider)(nil)
	_ kobo.Consenter = (*Provider)(nil)
	_ kobo.Policied  = (*Provider)(nil)
)

// New loads every bank's certificates and keys and returns the Provider.
func New(c Config) (*Provider, error) {
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	if c.Clock == nil {
		c.Clock = kobo.SystemClock{}
	}
	c.Timeout = cmp.Or(c.Timeout, 30*time.Second)
	p := &Provider{c: c, banks: map[string]*bank{}, byID: map[string]*bank{}}
	for _, b := range c.Banks {
		tc, err := loadTLS(b, c.Keys)
		if err != nil {
			return nil, err
		}
		nb := &bank{Bank: b, v4: b.Profile == "v4.0", keys: c.Keys}
		if b.SigningSecret != "" {
			if _, err := nb.signingKey(); err != nil {
				return nil, fmt.Errorf("obie bank %s: %w", b.ID, err)
			}
		}
		if b.SigningKeyFile != "" {
			raw, err := os.ReadFile(b.SigningKeyFile)
			if err != nil {
				return nil, fmt.Errorf("obie bank %s: signing_key_file: %w", b.ID, err)
			}
			if nb.key, err = ParseSigningKey(raw); err != nil {
				return nil, fmt.Errorf("obie bank %s: signing_key_file: %w", b.ID, err)
			}
		}
		nb.client = mtls.BankClient(tc, c.Timeout, c.WrapTransport)
		p.banks[InstitutionID(b.ID)] = nb
		p.byID[b.ID] = nb
	}
	return p, nil
}

// Policy implements kobo.Policied. UK rules let a TPP read an account
// without the customer four times a day; kobo syncs at most every six
// hours and re-reads a week, for pending rows that post late.
func (p *Provider) Policy() kobo.ProviderPolicy {
	return kobo.ProviderPolicy{Real: true, MinSyncInterval: 6 * time.Hour, MinManualSyncInterval: 2 * time.Minute, OverlapWindow: 7 * 24 * time.Hour}
}

// session and persist are BankSession.Token and .Persist: the bank
// entry travels with the tokens, because data calls name no institution.
type session struct {
	Bank   string `json:"b"`
	Access string `json:"a"`
}

type persist struct {
	Bank    string `json:"b"`
	Refresh string `json:"r"`
	Consent string `json:"c"`
}

type consentRef struct {
	Bank     string `json:"b"`
	Consent  string `json:"c"`
	Redirect string `json:"u"`
	Nonce    string `json:"n"`
}

func (p *Provider) bankOf(id string) (*bank, error) {
	if b, ok := p.byID[id]; ok {
		return b, nil
	}
	return nil, &kobo.BankError{Kind: kobo.BankNotFound, Message: "this bank is no longer configured"}
}

// Login implements kobo.Provider. A background login refreshes the
// access token; an interactive one (a link or a re-authorisation) makes a
// new consent and sends the customer to the bank.
func (p *Provider) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	b, ok := p.banks[req.Institution.ID]
	if !ok {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "this bank is not configured for Open Banking"}
	}
	if !req.Interactive {
		var ps persist
		if json.Unmarshal([]byte(req.Persist.Reveal()), &ps) != nil || ps.Refresh == "" || ps.Bank != b.ID {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "the customer must authorise access again"}
		}
		return p.refresh(ctx, b, ps)
	}
	if req.Redirect == nil {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "an Open Banking consent needs a redirect"}
	}
	cc, err := p.clientToken(ctx, b)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	now := p.c.Clock.Now()
	body, _ := json.Marshal(map[string]any{"Data": map[string]any{"Permissions": b.Permissions,
		"ExpirationDateTime": now.Add(time.Duration(b.ConsentDays) * 24 * time.Hour).UTC().Truncate(time.Second)}, "Risk": map[string]any{}})
	var cr consentResponse
	if err := p.call(ctx, b, http.MethodPost, b.BaseURL+"/account-access-consents", cc, body, &cr); err != nil {
		return kobo.LoginStep{}, err
	}
	if cr.Data.ConsentID == "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank made a consent without an id"}
	}
	u, nonce, err := p.authorizeURL(b, cr.Data.ConsentID, req.Redirect)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	ref, _ := json.Marshal(consentRef{Bank: b.ID, Consent: cr.Data.ConsentID, Redirect: req.Redirect.CallbackURL, Nonce: nonce})
	return kobo.LoginStep{Redirect: &kobo.Redirect{URL: u, Ref: kobo.Secret(ref)}}, nil
}

// authorizeURL is the bank's authorization endpoint with the request
// object (FAPI: the signed claims are what the bank acts on; the query
// repeats the OAuth ones).
func (p *Provider) authorizeURL(b *bank, consentID string, rp *kobo.RedirectParams) (string, string, error) {
	nonce := kobo.RandomToken(16)
	now := p.c.Clock.Now()
	claims := map[string]any{"iss": b.ClientID, "aud": issuerOf(b.AuthURL), "client_id": b.ClientID, "response_type": "code",
		"redirect_uri": rp.CallbackURL, "scope": b.Scope, "state": rp.State, "nonce": nonce, "code_challenge": rp.CodeChallenge,
		"code_challenge_method": "S256", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"claims": map[string]any{"id_token": map[string]any{"openbanking_intent_id": map[string]any{"value": consentID, "essential": true}}}}
	key, err := b.signingKey()
	if err != nil {
		return "", "", &kobo.BankError{Kind: kobo.BankUnavailable, Message: "kobo's signing key for this bank is missing", Err: err}
	}
	jws, err := signJWS(claims, key, b.SigningKID)
	if err != nil {
		return "", "", &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the request object could not be signed", Err: err}
	}
	q := url.Values{"response_type": {"code"}, "client_id": {b.ClientID}, "redirect_uri": {rp.CallbackURL}, "scope": {b.Scope},
		"state": {rp.State}, "nonce": {nonce}, "code_challenge": {rp.CodeChallenge}, "code_challenge_method": {"S256"}, "request": {jws}}
	return b.AuthURL + "?" + q.Encode(), nonce, nil
}

func issuerOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// signJWS makes a compact JWS: ES256 with key, or alg none without.
func signJWS(claims map[string]any, key *ecdsa.PrivateKey, kid string) (string, error) {
	hdr := map[string]string{"alg": "none", "typ": "JWT"}
	if key != nil {
		hdr["alg"] = "ES256"
		if kid != "" {
			hdr["kid"] = kid
		}
	}
	hb, _ := json.Marshal(hdr)
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	if key == nil {
		return in + ".", nil
	}
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Callback implements kobo.Consenter: the customer is back with a code
// (or an error); the code is exchanged with the PKCE verifier.
func (p *Provider) Callback(ctx context.Context, req kobo.CallbackRequest) (kobo.LoginStep, error) {
	var ref consentRef
	if err := json.Unmarshal([]byte(req.Ref.Reveal()), &ref); err != nil {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the consent reference is unreadable", Err: err}
	}
	b, err := p.bankOf(ref.Bank)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	if e := req.Params["error"]; e != "" {
		msg := "The bank did not grant access"
		if e == "access_denied" {
			msg = "You declined access at your bank"
		}
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: msg, Err: fmt.Errorf("authorize: %s: %s", e, req.Params["error_description"])}
	}
	code := req.Params["code"]
	if code == "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "The bank sent no authorization code"}
	}
	tok, err := p.tokenCall(ctx, b, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {ref.Redirect},
		"code_verifier": {req.CodeVerifier.Reveal()}})
	if err != nil {
		return kobo.LoginStep{}, err
	}
	return p.sessionFrom(ctx, b, tok, ref.Consent)
}

// Poll implements kobo.Consenter; OBIE has no decoupled consent here.
func (p *Provider) Poll(context.Context, kobo.Decoupled, kobo.ProviderCredentials) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "Open Banking consents are not decoupled"}
}

func (p *Provider) refresh(ctx context.Context, b *bank, ps persist) (kobo.LoginStep, error) {
	tok, err := p.tokenCall(ctx, b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ps.Refresh}})
	if err != nil {
		return kobo.LoginStep{}, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = ps.Refresh // banks that do not rotate it
	}
	return p.sessionFrom(ctx, b, tok, ps.Consent)
}

// sessionFrom turns tokens into a session, reading the consent for its
// expiry (kobo stops syncing and asks for re-authorisation then).
func (p *Provider) sessionFrom(ctx context.Context, b *bank, tok tokenResponse, consentID string) (kobo.LoginStep, error) {
	if tok.AccessToken == "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's token answer has no access_token"}
	}
	now := p.c.Clock.Now()
	sess := kobo.BankSession{ExpiresAt: now.Add(time.Duration(max(tok.ExpiresIn, 60)) * time.Second)}
	st, _ := json.Marshal(session{Bank: b.ID, Access: tok.AccessToken})
	ps, _ := json.Marshal(persist{Bank: b.ID, Refresh: tok.RefreshToken, Consent: consentID})
	sess.Token, sess.Persist = kobo.Secret(st), kobo.Secret(ps)
	cc, err := p.clientToken(ctx, b)
	if err == nil {
		var cr consentResponse
		if err = p.call(ctx, b, http.MethodGet, b.BaseURL+"/account-access-consents/"+url.PathEscape(consentID), cc, nil, &cr); err == nil && cr.Data.ExpirationDateTime != nil {
			e := cr.Data.ExpirationDateTime.UTC()
			sess.ConsentExpiresAt = &e
		}
	}
	if err != nil {
		return kobo.LoginStep{}, err
	}
	return kobo.LoginStep{Session: &sess}, nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

func (p *Provider) clientToken(ctx context.Context, b *bank) (string, error) {
	tok, err := p.tokenCall(ctx, b, url.Values{"grant_type": {"client_credentials"}, "scope": {"accounts"}})
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// tokenCall posts to the token endpoint (tls_client_auth: the client id
// in the form, the certificate on the connection). invalid_grant means
// the customer's grant is gone: re-authorisation.
func (p *Provider) tokenCall(ctx context.Context, b *bank, form url.Values) (tokenResponse, error) {
	form.Set("client_id", b.ClientID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, &kobo.BankError{Kind: kobo.BankInvalidData, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, body, err := p.send(b, req)
	if err != nil {
		return tokenResponse{}, err
	}
	var tr tokenResponse
	_ = json.Unmarshal(body, &tr)
	switch {
	case resp.StatusCode == 200:
		return tr, nil
	case tr.Error == "invalid_grant":
		return tr, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "the customer must authorise access again", Err: errors.New(tr.Description)}
	case tr.Error == "invalid_client" || resp.StatusCode == 401:
		return tr, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank refused kobo's client credentials", Err: fmt.Errorf("token: %s", body)}
	}
	return tr, classify(resp.StatusCode, resp.Header, body, p.c.Clock.Now())
}

// send does a request and reads the answer (at most 32 MiB).
func (p *Provider) send(b *bank, req *http.Request) (*http.Response, []byte, error) {
	req.Header.Set("x-fapi-interaction-id", newUUID())
	resp, err := b.client.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, nil, req.Context().Err()
		}
		return nil, nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank could not be reached", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank's answer was cut off", Err: err}
	}
	return resp, body, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// call is one API call with a bearer token, decoding a 2xx into out.
func (p *Provider) call(ctx context.Context, b *bank, method, u, token string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return &kobo.BankError{Kind: kobo.BankInvalidData, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, rb, err := p.send(b, req)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return classify(resp.StatusCode, resp.Header, rb, p.c.Clock.Now())
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's answer is not the standard's JSON", Err: err}
		}
	}
	return nil
}

// classify maps the bank's status to a kind: 401 is the access token
// (kobo refreshes and retries once), 403 the consent (expired or revoked:
// re-authorisation), 429 and 5xx transient.
func classify(status int, h http.Header, body []byte, now time.Time) *kobo.BankError {
	msg := errorMessage(body)
	be := &kobo.BankError{Message: msg, Err: fmt.Errorf("bank answered %d", status)}
	switch {
	case status == 401:
		be.Kind = kobo.BankTokenExpired
	case status == 403:
		be.Kind = kobo.BankMFARequired
	case status == 404:
		be.Kind = kobo.BankNotFound
	case status == 429:
		be.Kind, be.RetryAfter = kobo.BankRateLimited, retryAfter(h.Get("Retry-After"), now)
	case status >= 500:
		be.Kind = kobo.BankUnavailable
	case status == 400 && strings.Contains(string(body), "Resource.NotFound"):
		be.Kind = kobo.BankNotFound
	default:
		be.Kind = kobo.BankInvalidData
	}
	return be
}

// errorMessage is OBErrorResponse1's first error message (or its
// Message), bounded; "" when the body is not one.
func errorMessage(body []byte) string {
	var e struct {
		Message string
		Errors  []struct{ ErrorCode, Message string }
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	m := e.Message
	if len(e.Errors) > 0 && e.Errors[0].Message != "" {
		m = e.Errors[0].Message
	}
	if len(m) > 200 {
		m = m[:200]
	}
	return m
}

func retryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), time.Hour)
	}
	return 0
}

func (p *Provider) open(s kobo.BankSession) (*bank, string, error) {
	var st session
	if json.Unmarshal([]byte(s.Token.Reveal()), &st) != nil || st.Access == "" {
		return nil, "", &kobo.BankError{Kind: kobo.BankTokenExpired, Message: "the session is unreadable"}
	}
	b, err := p.bankOf(st.Bank)
	return b, st.Access, err
}

// Answer implements kobo.Provider. The bank asks its own second factors
// on its own page, so kobo never has a challenge to answer.
func (p *Provider) Answer(context.Context, kobo.Challenge, map[string]kobo.Secret) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "Open Banking banks ask their own questions on their page"}
}
