// Package mono is kobo's connector to Mono (mono.co) as an upstream: a
// partner that has a Mono account plugs its Mono keys into kobo and gets
// real Nigerian bank data through kobo, with kobo's extras on top. It
// implements kobo.Provider over Mono's public v2 API, and the optional
// seams a real aggregator needs: kobo.Policied (Mono's limits),
// kobo.Consenter (Mono's own Connect widget embedded in kobo's),
// kobo.CredentialChecker, kobo.WebhookReceiver (Mono's webhooks into kobo),
// kobo.AccountChooser (Mono links one account per login) and
// kobo.IncomeAnalyst (Mono's own income analysis).
//
// What it owns:
//   - linking: the headless Partners API (POST /v2/connect/session, login,
//     commit; re-auth via /v2/connect/reauth/*) forwarded step by step, and
//     the exchange of Mono's code (POST /v2/accounts/auth) for Mono's
//     account id, which becomes the kobo account's provider ref;
//   - data: account details, balance, every page of transactions and
//     identity from /v2/accounts/{id}/…, amounts already in minor units;
//   - income: Mono's income v2 (GET /v2/accounts/{id}/income starts it;
//     the report comes as mono.events.account_income or from
//     /income-records), read into the shape kobo serves;
//   - the catalog: which Mono institution id serves a kobo institution,
//     by bank code, from Mono's GET /v1/institutions (cached);
//   - Mono's failures classified into kobo.BankErrorKinds, and isolation:
//     a per-call timeout, a cap on calls in flight (so a hanging Mono can
//     hold only part of kobo's fetch workers) and a circuit breaker.
//
// It never sees a customer's bank password after the login it forwards:
// Mono keeps the bank login; kobo keeps only Mono's account id.
package mono

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Name is the provider's name in kobo (Institution.Provider, the
// credentials API, the webhook route).
const Name = "mono"

// DefaultBaseURL is Mono's API host; the key decides sandbox or live
// (docs.mono.co/docs/definitions).
const DefaultBaseURL = "https://api.withmono.com"

// Credential field names an app configures (PUT /v1/apps/{id}/providers/mono).
const (
	CredSecretKey     = "secret_key"     // mono-sec-key on every server call
	CredPublicKey     = "public_key"     // given to Mono's Connect widget
	CredWebhookSecret = "webhook_secret" // Mono's mono-webhook-secret header
)

// ErrAppKey marks Mono refusing the app's own keys (401/403): the
// partner's configuration, never the customer's login. It sits in the
// chain of the *kobo.BankError so callers and metrics can tell it apart.
var ErrAppKey = errors.New("mono refused the app's secret key")

// Config configures a Provider.
type Config struct {
	BaseURL    string       // default DefaultBaseURL (no trailing slash)
	HTTPClient *http.Client // default: a client of its own, so Mono's connections are never another provider's
	Logger     *slog.Logger
	Clock      kobo.Clock
	Timeout    time.Duration // per call (default 30s)
	Retries    int           // extra attempts of idempotent reads on transient failures (default 2; negative: none)
	Backoff    time.Duration // first retry delay (default 250ms)
	PageSize   int           // transactions per page asked of Mono (default 1000; kobo follows meta.next whatever Mono sends)
	// MaxInFlight caps the data reads (balance, transactions, identity)
	// in flight to Mono from this process; a read beyond it fails at once
	// as unavailable, so a hanging Mono holds at most this many of kobo's
	// fetch workers (default 8).
	MaxInFlight int
	// BreakerFailures consecutive transient failures open the breaker for
	// BreakerCooldown (defaults 8 and 30s).
	BreakerFailures int
	BreakerCooldown time.Duration
	// ProcessingWait is how long a read waits for an account Mono is still
	// fetching (data_status PROCESSING) before answering unavailable, to
	// be retried by kobo's job (default 2 minutes).
	ProcessingWait time.Duration
	// InstitutionsTTL is how long Mono's institution list is cached
	// (default 1 hour; Mono asks integrators to cache it).
	InstitutionsTTL time.Duration
	// WidgetScript is Mono's Connect widget loader, for the embedded step.
	WidgetScript string
}

// Provider talks to Mono.
type Provider struct {
	c      Config
	client *http.Client
	slots  chan struct{}

	mu      sync.Mutex
	fails   int
	openTil time.Time

	catalog catalogCache
}

var (
	_ kobo.Provider          = (*Provider)(nil)
	_ kobo.Policied          = (*Provider)(nil)
	_ kobo.Consenter         = (*Provider)(nil)
	_ kobo.CredentialChecker = (*Provider)(nil)
	_ kobo.WebhookReceiver   = (*Provider)(nil)
	_ kobo.AccountChooser    = (*Provider)(nil)
)

// New returns a Provider.
func New(c Config) *Provider {
	c.BaseURL = strings.TrimRight(cmp.Or(c.BaseURL, DefaultBaseURL), "/")
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	c.Clock = cmp.Or[kobo.Clock](c.Clock, kobo.SystemClock{})
	c.Timeout = cmp.Or(c.Timeout, 30*time.Second)
	if c.Retries == 0 {
		c.Retries = 2
	}
	c.Retries = max(c.Retries, 0)
	c.Backoff = cmp.Or(c.Backoff, 250*time.Millisecond)
	c.PageSize = cmp.Or(c.PageSize, 1000)
	c.MaxInFlight = max(cmp.Or(c.MaxInFlight, 8), 1)
	c.BreakerFailures = cmp.Or(c.BreakerFailures, 8)
	c.BreakerCooldown = cmp.Or(c.BreakerCooldown, 30*time.Second)
	c.ProcessingWait = cmp.Or(c.ProcessingWait, 2*time.Minute)
	c.InstitutionsTTL = cmp.Or(c.InstitutionsTTL, time.Hour)
	c.WidgetScript = cmp.Or(c.WidgetScript, "https://connect.withmono.com/connect.js")
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	return &Provider{c: c, client: client, slots: make(chan struct{}, c.MaxInFlight)}
}

// Policy implements kobo.Policied: Mono reaches real banks; it allows one
// manual sync per account every two minutes
// (mono.co/blog/a-beginners-guide-to-mono-data-sync).
func (p *Provider) Policy() kobo.ProviderPolicy {
	return kobo.ProviderPolicy{
		Real:                  true,
		MinManualSyncInterval: 2 * time.Minute,
		Credentials:           []string{CredSecretKey, CredPublicKey, CredWebhookSecret},
		OverlapWindow:         7 * 24 * time.Hour,
	}
}

// secretKey returns the app's Mono secret key, checked against the app's
// mode: a sandbox app never reaches Mono's live data, nor a live app
// Mono's sandbox.
func secretKey(creds kobo.ProviderCredentials, live *bool) (string, error) {
	sk := strings.TrimSpace(creds[CredSecretKey].Reveal())
	if sk == "" {
		return "", appKeyError("no Mono secret key is configured for this app (PUT /v1/apps/{id}/providers/mono)", nil)
	}
	if live != nil {
		switch {
		case *live && strings.HasPrefix(sk, "test_"):
			return "", appKeyError("a live app needs a live Mono secret key (live_sk_…), not a test key", nil)
		case !*live && strings.HasPrefix(sk, "live_"):
			return "", appKeyError("a sandbox app needs a test Mono secret key (test_sk_…), not a live key", nil)
		}
	}
	return sk, nil
}

func appKeyError(msg string, err error) *kobo.BankError {
	if err == nil {
		err = ErrAppKey
	} else {
		err = fmt.Errorf("%w: %w", ErrAppKey, err)
	}
	// not bad credentials (the customer's login is not what failed) and
	// not unavailable (no retry helps until the partner fixes its keys)
	return &kobo.BankError{Kind: kobo.BankAppCredentials, Message: msg, Err: err}
}

// call is one request to Mono.
type call struct {
	method  string
	path    string // with the query
	key     string // mono-sec-key
	session string // x-session-id
	body    any
	connect bool // a Partners API step: a 400 is the customer's input
	retry   bool // idempotent: transient failures are retried
	// read is a data read, which runs in kobo's fetch workers: it takes
	// one of MaxInFlight slots. The connect steps run in a customer's
	// request, hold no worker, and are never refused for a busy Mono.
	read bool
}

// response is Mono's answer to a call.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do runs c with the retries, the cap on calls in flight and the breaker.
func (p *Provider) do(ctx context.Context, c call) (response, error) {
	var payload []byte
	if c.body != nil {
		var err error
		if payload, err = json.Marshal(c.body); err != nil {
			return response{}, &kobo.BankError{Kind: kobo.BankInvalidData, Err: err}
		}
	}
	attempts := 1
	if c.retry {
		attempts += p.c.Retries
	}
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			d := p.c.Backoff << (i - 1)
			d = d/2 + rand.N(d/2+1)
			var be *kobo.BankError
			if errors.As(last, &be) && be.RetryAfter > 0 {
				if be.RetryAfter > 5*time.Second {
					return response{}, last // long waits belong to kobo's job backoff, not a held worker
				}
				d = be.RetryAfter
			}
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return response{}, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono did not answer in time", Err: ctx.Err()}
			case <-t.C:
			}
		}
		res, err := p.once(ctx, c, payload)
		if err == nil {
			return res, nil
		}
		last = err
		var be *kobo.BankError
		if !errors.As(err, &be) || !be.Transient() || ctx.Err() != nil || errors.Is(err, errBusy) {
			return response{}, err
		}
	}
	return response{}, last
}

var errBusy = errors.New("too many calls to Mono in flight")

func (p *Provider) once(ctx context.Context, c call, payload []byte) (response, error) {
	if c.read {
		select {
		case p.slots <- struct{}{}:
			defer func() { <-p.slots }()
		default:
			return response{}, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono is slow to answer; try again shortly", RetryAfter: 10 * time.Second, Err: errBusy}
		}
	}
	if !p.allow() {
		return response{}, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono is unavailable (circuit open)", RetryAfter: p.c.BreakerCooldown, Err: errBusy}
	}
	res, err := p.send(ctx, c, payload)
	var be *kobo.BankError
	p.record(err != nil && errors.As(err, &be) && be.Kind == kobo.BankUnavailable && !errors.Is(err, ErrAppKey))
	return res, err
}

func (p *Provider) allow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fails < p.c.BreakerFailures || !p.c.Clock.Now().Before(p.openTil)
}

func (p *Provider) record(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !failed {
		p.fails = 0
		return
	}
	p.fails++
	if p.fails >= p.c.BreakerFailures {
		p.openTil = p.c.Clock.Now().Add(p.c.BreakerCooldown)
	}
}

func (p *Provider) send(ctx context.Context, c call, payload []byte) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, p.c.Timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, p.c.BaseURL+c.path, rd)
	if err != nil {
		return response{}, &kobo.BankError{Kind: kobo.BankInvalidData, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("mono-sec-key", c.key)
	}
	if c.session != "" {
		req.Header.Set("x-session-id", c.session)
	}
	res, err := p.client.Do(req)
	if err != nil {
		return response{}, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono did not answer", Err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return response{}, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono's answer was cut off", Err: err}
	}
	out := response{status: res.StatusCode, header: res.Header, body: body}
	if res.StatusCode/100 != 2 {
		return out, classify(res.StatusCode, res.Header, body, c.connect, p.c.Clock.Now())
	}
	if strings.EqualFold(res.Header.Get("x-reauth-required"), "true") {
		// the real-time header of docs.mono.co/docs/financial-data/realtime-data (2024)
		return out, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "Mono needs the customer to re-authorise this account"}
	}
	return out, nil
}

// errorBody is Mono's error envelope: {status:"failed", message, data,
// responseCode?} (docs.mono.co/docs/errors; the Partners API adds
// responseCode 400) and, for a sync, a code such as REAUTHORISATION_REQUIRED
// (docs.mono.co/docs/financial-data/manual-data-sync).
type errorBody struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

// classify turns a non-2xx answer into a BankError, by Mono's status table
// (docs.mono.co/docs/errors): 400 on a Partners API step is the
// customer's input; 401/403 are the app's key; 404 unknown; 429 slow
// down; 5xx down.
func classify(status int, h http.Header, body []byte, connect bool, now time.Time) *kobo.BankError {
	var e errorBody
	_ = json.Unmarshal(body, &e)
	msg := strings.TrimSpace(e.Message)
	if len(msg) > 200 {
		msg = msg[:200]
	}
	be := &kobo.BankError{Message: msg, Err: fmt.Errorf("mono answered %d", status)}
	switch {
	case strings.EqualFold(e.Code, "REAUTHORISATION_REQUIRED"):
		be.Kind = kobo.BankMFARequired
		be.Message = cmp.Or(msg, "Mono needs the customer to re-authorise this account")
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return appKeyError(fmt.Sprintf("Mono refused this app's Mono secret key (%d %s); check the keys configured for provider mono", status, cmp.Or(msg, http.StatusText(status))),
			fmt.Errorf("mono answered %d", status))
	case status == http.StatusTooManyRequests:
		be.Kind = kobo.BankRateLimited
		be.Message = cmp.Or(msg, "Mono asks kobo to slow down")
		be.RetryAfter = retryAfter(h.Get("Retry-After"), now)
	case status == http.StatusNotFound:
		be.Kind = kobo.BankNotFound
		be.Message = cmp.Or(msg, "Mono does not know this account or session")
	case status == http.StatusBadRequest && connect:
		be.Kind = kobo.BankBadCredentials
		be.Message = cmp.Or(msg, "Invalid credentials")
	case status >= 500 || status == http.StatusConflict || status == http.StatusRequestTimeout:
		be.Kind = kobo.BankUnavailable
		be.Message = "Mono is unavailable right now"
	default:
		be.Kind = kobo.BankInvalidData
		be.Message = cmp.Or(msg, "Mono refused kobo's request")
	}
	return be
}

// retryAfter reads Retry-After as seconds or an HTTP date; unreadable or
// absent means a minute, what Mono's backoff advice implies.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), time.Hour)
	}
	return time.Minute
}

func invalid(what string, err error) *kobo.BankError {
	return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "Mono sent a malformed answer", Err: fmt.Errorf("%s: %w", what, err)}
}

// equalSecret compares a webhook secret in constant time.
func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
