// Package banksim is kobo's connector to the sandbox bank (internal/banksim)
// over HTTP: it implements kobo.Provider and kobo.Sandbox, and it is the
// model for real bank connectors. It never imports the simulator; it
// speaks the simulator's Account-Information-style JSON API like any
// client would.
//
// Resilience, as a connector to a real bank needs:
//   - every call has a timeout (Config.Timeout);
//   - transient failures (5xx, 429, timeouts, connection resets) are
//     retried with exponential backoff and jitter, up to Config.Retries;
//     4xx answers are never retried;
//   - a circuit breaker per institution opens after Config.BreakerFailures
//     consecutive transient failures and fails fast for Config.BreakerCooldown,
//     then lets one call through to probe;
//   - every response is parsed defensively: anything malformed or truncated
//     becomes kobo.BankInvalidData, never a panic; rows the bank repeats
//     within one fetch are dropped.
package banksim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Config configures a Connector.
type Config struct {
	BaseURL         string       // e.g. http://127.0.0.1:9100 (no trailing slash)
	HTTPClient      *http.Client // default: a tuned client; in-process use banksim.Transport
	Logger          *slog.Logger
	Timeout         time.Duration // per call (default 20s)
	Retries         int           // extra attempts for transient failures (default 3)
	BackoffBase     time.Duration // first retry delay (default 200ms)
	BreakerFailures int           // consecutive transient failures that open the breaker (default 8)
	BreakerCooldown time.Duration // how long it stays open (default 20s)
	PageSize        int           // transactions per page (default 5000)
}

// Connector talks to banksim.
type Connector struct {
	c      Config
	client *http.Client

	mu       sync.Mutex
	breakers map[string]*breaker
}

var (
	_ kobo.Provider = (*Connector)(nil)
	_ kobo.Sandbox  = (*Connector)(nil)
)

// New returns a Connector.
func New(c Config) *Connector {
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	c.Timeout = cmp.Or(c.Timeout, 20*time.Second)
	if c.Retries == 0 {
		c.Retries = 3
	}
	c.BackoffBase = cmp.Or(c.BackoffBase, 200*time.Millisecond)
	c.BreakerFailures = cmp.Or(c.BreakerFailures, 8)
	c.BreakerCooldown = cmp.Or(c.BreakerCooldown, 20*time.Second)
	c.PageSize = cmp.Or(c.PageSize, 5000)
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	return &Connector{c: c, client: client, breakers: map[string]*breaker{}}
}

// breaker is a per-institution circuit breaker.
type breaker struct {
	failures  int
	openUntil time.Time
	probing   bool
}

func (x *Connector) breaker(inst string) *breaker {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, ok := x.breakers[inst]
	if !ok {
		b = &breaker{}
		x.breakers[inst] = b
	}
	return b
}

// allow reports whether a call may go out, taking the probe slot when the
// breaker is half open.
func (x *Connector) allow(inst string) bool {
	b := x.breaker(inst)
	x.mu.Lock()
	defer x.mu.Unlock()
	if b.failures < x.c.BreakerFailures {
		return true
	}
	if time.Now().Before(b.openUntil) || b.probing {
		return false
	}
	b.probing = true
	return true
}

func (x *Connector) record(inst string, transient bool) {
	b := x.breaker(inst)
	x.mu.Lock()
	defer x.mu.Unlock()
	b.probing = false
	if !transient {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= x.c.BreakerFailures {
		b.openUntil = time.Now().Add(x.c.BreakerCooldown)
	}
}

// apiError is the simulator's error body.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// classify turns a response status and body into a BankError.
func classify(status int, body []byte, retryAfter string) *kobo.BankError {
	var e apiError
	_ = json.Unmarshal(body, &e)
	be := &kobo.BankError{Message: e.Message}
	switch {
	case status == http.StatusTooManyRequests:
		be.Kind = kobo.BankRateLimited
		if s, err := strconv.Atoi(retryAfter); err == nil {
			be.RetryAfter = time.Duration(s) * time.Second
		}
	case status >= 500:
		be.Kind = kobo.BankUnavailable
	case e.Error == "bad_credentials":
		be.Kind = kobo.BankBadCredentials
	case e.Error == "locked" || status == http.StatusLocked:
		be.Kind = kobo.BankLocked
	case e.Error == "mfa_required":
		be.Kind = kobo.BankMFARequired
	case e.Error == "token_expired" || e.Error == "unauthorized":
		be.Kind = kobo.BankTokenExpired
	case status == http.StatusNotFound:
		be.Kind = kobo.BankNotFound
	default:
		be.Kind = kobo.BankInvalidData
		be.Err = fmt.Errorf("unexpected status %d", status)
	}
	return be
}

// call performs one API call with retries and the breaker; on success it
// returns the body.
func (x *Connector) call(ctx context.Context, inst, method, path, bearer string, body any) ([]byte, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	var last error
	for attempt := 0; attempt <= x.c.Retries; attempt++ {
		if attempt > 0 {
			d := x.c.BackoffBase << (attempt - 1)
			var be *kobo.BankError
			if errors.As(last, &be) && be.RetryAfter > d {
				d = be.RetryAfter
			}
			d = time.Duration(float64(d) * (0.5 + rand.Float64()))
			select {
			case <-ctx.Done():
				return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Err: ctx.Err()}
			case <-time.After(d):
			}
		}
		if !x.allow(inst) {
			return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank is unavailable (circuit open)"}
		}
		b, err := x.once(ctx, method, path, bearer, payload)
		var be *kobo.BankError
		transient := errors.As(err, &be) && be.Transient()
		x.record(inst, transient)
		if !transient || ctx.Err() != nil {
			return b, err
		}
		last = err
	}
	return nil, last
}

func (x *Connector) once(ctx context.Context, method, path, bearer string, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, x.c.Timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, x.c.BaseURL+path, rd)
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Err: err}
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if f := faultFrom(ctx); f != "" {
		req.Header.Set("X-Banksim-Fault", f)
	}
	res, err := x.client.Do(req)
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank did not answer", Err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank's answer was cut off", Err: err}
	}
	if res.StatusCode/100 != 2 {
		return nil, classify(res.StatusCode, body, res.Header.Get("Retry-After"))
	}
	return body, nil
}

type faultKey struct{}

// WithFault asks banksim to misbehave on calls made with ctx (the
// X-Banksim-Fault header: "error", "timeout", "truncate", "malformed",
// "duplicate", "expire", "ratelimit", "latency=200ms"). For tests.
func WithFault(ctx context.Context, f string) context.Context {
	return context.WithValue(ctx, faultKey{}, f)
}

func faultFrom(ctx context.Context) string {
	f, _ := ctx.Value(faultKey{}).(string)
	return f
}

func invalid(err error) error {
	return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent a malformed answer", Err: err}
}

type sessionBody struct {
	AccessToken string    `json:"access_token"`
	ExpiresAt   time.Time `json:"expires_at"`
	Persist     string    `json:"persist"`
	Challenge   *struct {
		Token string      `json:"token"`
		Kind  string      `json:"kind"`
		UI    kobo.UIForm `json:"ui"`
	} `json:"challenge"`
}

func (x *Connector) step(body []byte, inst, tenant string) (kobo.LoginStep, error) {
	sb, err := parseStep(body)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	if sb.Challenge != nil {
		return kobo.LoginStep{Challenge: &kobo.Challenge{Ref: inst + "|" + sb.Challenge.Token, Kind: sb.Challenge.Kind, UI: sb.Challenge.UI, Tenant: tenant}}, nil
	}
	return kobo.LoginStep{Session: &kobo.BankSession{Token: kobo.Secret(sb.AccessToken), ExpiresAt: sb.ExpiresAt,
		Persist: kobo.Secret(inst + "|" + sb.Persist), Tenant: tenant}}, nil
}

// parseStep reads a login or challenge answer.
func parseStep(body []byte) (sessionBody, error) {
	var sb sessionBody
	if err := json.Unmarshal(body, &sb); err != nil {
		return sb, invalid(err)
	}
	switch {
	case sb.Challenge != nil:
		if sb.Challenge.Token == "" || len(sb.Challenge.UI.Form) == 0 {
			return sb, invalid(errors.New("challenge without token or form"))
		}
	case sb.AccessToken == "" || sb.Persist == "":
		return sb, invalid(errors.New("session without tokens"))
	}
	return sb, nil
}

// Login implements kobo.Provider.
func (x *Connector) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	fields := map[string]string{}
	for k, v := range req.Fields {
		fields[k] = v.Reveal()
	}
	persist := ""
	if req.Persist != "" {
		_, persist, _ = strings.Cut(req.Persist.Reveal(), "|")
	}
	body, err := x.call(ctx, req.Institution.ID, "POST", "/v1/login", "", map[string]any{
		"institution": req.Institution.ID, "auth_method": req.AuthMethod, "fields": fields, "persist": persist,
		"interactive": req.Interactive, "tenant": req.Tenant,
	})
	if err != nil {
		return kobo.LoginStep{}, err
	}
	return x.step(body, req.Institution.ID, req.Tenant)
}

// Answer implements kobo.Provider.
func (x *Connector) Answer(ctx context.Context, ch kobo.Challenge, fields map[string]kobo.Secret) (kobo.LoginStep, error) {
	inst, tok, ok := strings.Cut(ch.Ref, "|")
	if !ok {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "unknown challenge"}
	}
	f := map[string]string{}
	for k, v := range fields {
		f[k] = v.Reveal()
	}
	body, err := x.call(ctx, inst, "POST", "/v1/challenge", "", map[string]any{"token": tok, "fields": f})
	if err != nil {
		return kobo.LoginStep{}, err
	}
	return x.step(body, inst, ch.Tenant)
}

func instOf(s kobo.BankSession) string {
	inst, _, _ := strings.Cut(s.Persist.Reveal(), "|")
	return inst
}

type accountBody struct {
	ID        string `json:"account_id"`
	Number    string `json:"account_number"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Currency  string `json:"currency"`
	Balance   *int64 `json:"balance"`
	Available int64  `json:"available"`
	Status    string `json:"status"`
	BVN       string `json:"bvn"`
}

// Accounts implements kobo.Provider.
func (x *Connector) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	body, err := x.call(ctx, instOf(s), "GET", "/v1/accounts", s.Token.Reveal(), nil)
	if err != nil {
		return nil, err
	}
	return parseAccounts(body)
}

func parseAccounts(body []byte) ([]kobo.BankAccount, error) {
	var res struct {
		Data []accountBody `json:"data"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, invalid(err)
	}
	out := make([]kobo.BankAccount, 0, len(res.Data))
	for _, a := range res.Data {
		if a.ID == "" || a.Number == "" || a.Balance == nil {
			return nil, invalid(errors.New("account without id, number or balance"))
		}
		out = append(out, kobo.BankAccount{Ref: a.ID, Number: kobo.AccountNumber(a.Number), Name: a.Name, Type: a.Type,
			Currency: cmp.Or(a.Currency, "NGN"), Balance: *a.Balance, Status: a.Status, BVN: kobo.BVN(a.BVN)})
	}
	return out, nil
}

// Balance implements kobo.Provider.
func (x *Connector) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	body, err := x.call(ctx, instOf(s), "GET", "/v1/accounts/"+url.PathEscape(ref)+"/balance", s.Token.Reveal(), nil)
	if err != nil {
		return kobo.BankBalance{}, err
	}
	return parseBalance(body)
}

func parseBalance(body []byte) (kobo.BankBalance, error) {
	var b struct {
		ID        string    `json:"account_id"`
		Balance   *int64    `json:"balance"`
		Available int64     `json:"available"`
		Currency  string    `json:"currency"`
		AsOf      time.Time `json:"as_of"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return kobo.BankBalance{}, invalid(err)
	}
	if b.Balance == nil {
		return kobo.BankBalance{}, invalid(errors.New("balance missing"))
	}
	return kobo.BankBalance{Ref: b.ID, Balance: *b.Balance, Available: b.Available, Currency: cmp.Or(b.Currency, "NGN"), AsOf: b.AsOf}, nil
}

// Identity implements kobo.Provider.
func (x *Connector) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	body, err := x.call(ctx, instOf(s), "GET", "/v1/accounts/"+url.PathEscape(ref)+"/identity", s.Token.Reveal(), nil)
	if err != nil {
		return kobo.BankIdentity{}, err
	}
	var id struct {
		FullName      string `json:"full_name"`
		Email         string `json:"email"`
		Phone         string `json:"phone"`
		Gender        string `json:"gender"`
		DOB           string `json:"dob"`
		BVN           string `json:"bvn"`
		MaritalStatus string `json:"marital_status"`
		AddressLine1  string `json:"address_line1"`
		AddressLine2  string `json:"address_line2"`
		StateOfOrigin string `json:"state_of_origin"`
		LGAOfOrigin   string `json:"lga_of_origin"`
	}
	if err := json.Unmarshal(body, &id); err != nil {
		return kobo.BankIdentity{}, invalid(err)
	}
	return kobo.BankIdentity{FullName: id.FullName, Email: id.Email, Phone: id.Phone, Gender: id.Gender, DOB: id.DOB, BVN: kobo.BVN(id.BVN),
		MaritalStatus: id.MaritalStatus, AddressLine1: id.AddressLine1, AddressLine2: id.AddressLine2, StateOfOrigin: id.StateOfOrigin,
		LGAOfOrigin: id.LGAOfOrigin}, nil
}

type txnBody struct {
	ID          string    `json:"id"`
	BookedAt    time.Time `json:"booked_at"`
	Direction   string    `json:"direction"`
	Amount      *int64    `json:"amount"`
	Balance     *int64    `json:"balance"`
	Currency    string    `json:"currency"`
	Description string    `json:"description"`
}

type txnPage struct {
	Data []txnBody `json:"data"`
	Next *string   `json:"next_cursor"`
}

// parsePage reads one page of transactions, checking every row.
func parsePage(body []byte) ([]kobo.BankTransaction, string, error) {
	var p txnPage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, "", invalid(err)
	}
	out := make([]kobo.BankTransaction, 0, len(p.Data))
	for i, t := range p.Data {
		if t.ID == "" || t.Amount == nil || *t.Amount < 0 || t.BookedAt.IsZero() || (t.Direction != "credit" && t.Direction != "debit") {
			return nil, "", invalid(fmt.Errorf("transaction %d is incomplete", i))
		}
		typ := kobo.Debit
		if t.Direction == "credit" {
			typ = kobo.Credit
		}
		out = append(out, kobo.BankTransaction{Ref: t.ID, Date: t.BookedAt.UTC(), Type: typ, Amount: *t.Amount, Balance: t.Balance,
			Narration: t.Description, Currency: cmp.Or(t.Currency, "NGN")})
	}
	next := ""
	if p.Next != nil {
		next = *p.Next
	}
	return out, next, nil
}

// Transactions implements kobo.Provider: it pages oldest first and drops
// rows the bank repeats (by reference) within the fetch.
func (x *Connector) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	v.Set("limit", strconv.Itoa(cmp.Or(q.PageSize, x.c.PageSize)))
	seen := map[string]struct{}{}
	cursor := ""
	for {
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		body, err := x.call(ctx, instOf(s), "GET", "/v1/accounts/"+url.PathEscape(ref)+"/transactions?"+v.Encode(), s.Token.Reveal(), nil)
		if err != nil {
			return err
		}
		page, next, err := parsePage(body)
		if err != nil {
			return err
		}
		kept := page[:0]
		for _, t := range page {
			if _, dup := seen[t.Ref]; dup {
				continue
			}
			seen[t.Ref] = struct{}{}
			kept = append(kept, t)
		}
		if len(kept) > 0 {
			if err := fn(kept); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// Sandbox.

// Users implements kobo.Sandbox.
func (x *Connector) Users(ctx context.Context, inst kobo.Institution, authMethod string) ([]kobo.SandboxUser, error) {
	body, err := x.call(ctx, inst.ID, "GET", "/admin/users?institution="+url.QueryEscape(inst.ID)+"&auth_method="+url.QueryEscape(authMethod), "", nil)
	if err != nil {
		return nil, err
	}
	var res struct {
		Data []kobo.SandboxUser `json:"data"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, invalid(err)
	}
	return res.Data, nil
}

// AdvanceClock implements kobo.Sandbox.
func (x *Connector) AdvanceClock(ctx context.Context, tenant string, d time.Duration) (time.Time, error) {
	body, err := x.call(ctx, "admin", "POST", "/admin/tenants/"+url.PathEscape(tenant)+"/clock/advance", "", map[string]int64{"seconds": int64(d.Seconds())})
	if err != nil {
		return time.Time{}, err
	}
	return parseNow(body)
}

// Now implements kobo.Sandbox.
func (x *Connector) Now(ctx context.Context, tenant string) (time.Time, error) {
	body, err := x.call(ctx, "admin", "GET", "/admin/tenants/"+url.PathEscape(tenant)+"/clock", "", nil)
	if err != nil {
		return time.Time{}, err
	}
	return parseNow(body)
}

func parseNow(body []byte) (time.Time, error) {
	var res struct {
		Now time.Time `json:"now"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return time.Time{}, invalid(err)
	}
	return res.Now, nil
}

// RequireMFA implements kobo.Sandbox.
func (x *Connector) RequireMFA(ctx context.Context, s kobo.BankSession) error {
	_, tok, _ := strings.Cut(s.Persist.Reveal(), "|")
	_, err := x.call(ctx, "admin", "POST", "/admin/require_mfa", "", map[string]string{"token": tok})
	return err
}
