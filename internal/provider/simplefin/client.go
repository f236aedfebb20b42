package simplefin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Messages the customer sees (through the Connect API and the widget).
const (
	// The protocol's checklist: a failed claim means someone else may hold
	// the token, and the customer must be told so they can disable it.
	msgClaimRefused = "This SimpleFIN setup token was refused: it has already been claimed or does not exist. " +
		"If you did not use it elsewhere, someone else may have claimed it and can read your bank data: " +
		"disable the token at your SimpleFIN Bridge account, then create a new one and paste it here."
	msgRevoked = "SimpleFIN access was revoked or has expired; create a new setup token at your SimpleFIN Bridge account and paste it here."
	msgPayment = "The SimpleFIN Bridge subscription needs payment before it shares data again."
)

const (
	maxAccessURL = 4 << 10  // a claim's answer is one URL
	maxBody      = 64 << 20 // an Account Set with years of rows
)

// transportError classifies a failed round trip. The *url.Error the client
// returns names the URL, and a claim URL's path is the one-time token, so
// only what it wraps is kept.
func transportError(ctx context.Context, err error, claiming bool) *kobo.BankError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, errInternal) {
		if claiming {
			return &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "This setup token points to a private network address kobo may not reach.", Err: err}
		}
		return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the SimpleFIN server now resolves to a private network address kobo may not reach", Err: err}
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if claiming {
		// the server may have taken the one-time token before the answer
		// was lost, so a retry can be refused as "already claimed"
		return &kobo.BankError{Kind: kobo.BankUnavailable, Err: err,
			Message: "The SimpleFIN server did not answer. Try again; if the token is then refused, create a new setup token."}
	}
	return &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the SimpleFIN server did not answer", Err: err}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// claim POSTs to the decoded setup token's URL and returns the Access URL.
func (p *Provider) claim(ctx context.Context, claim *url.URL, live bool) (kobo.Secret, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, claim.String(), http.NoBody)
	if err != nil {
		return "", &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "That is not a SimpleFIN setup token.", Err: err}
	}
	req.Header.Set("Accept", "text/plain")
	res, err := p.do(req)
	if err != nil {
		return "", transportError(ctx, err, true)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAccessURL+1))
	if err != nil {
		return "", transportError(ctx, err, true)
	}
	switch {
	case res.StatusCode == http.StatusOK:
	case res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		p.c.Logger.WarnContext(ctx, "a SimpleFIN setup token was refused at claim; the customer was told it may be compromised",
			"host", claim.Hostname(), "status", res.StatusCode)
		return "", &kobo.BankError{Kind: kobo.BankBadCredentials, Message: msgClaimRefused}
	case res.StatusCode == http.StatusTooManyRequests:
		return "", &kobo.BankError{Kind: kobo.BankRateLimited, Message: "the SimpleFIN server asks to slow down",
			RetryAfter: retryAfter(res.Header.Get("Retry-After"), p.c.Clock.Now())}
	case res.StatusCode >= 500:
		return "", &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the SimpleFIN server is failing", Err: fmt.Errorf("claim: status %d", res.StatusCode)}
	case res.StatusCode/100 == 3:
		return "", &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "The setup token's URL redirects elsewhere; SimpleFIN claim URLs do not.",
			Err: fmt.Errorf("claim: status %d", res.StatusCode)}
	default:
		return "", &kobo.BankError{Kind: kobo.BankBadCredentials, Message: fmt.Sprintf("The SimpleFIN server refused the setup token (HTTP %d).", res.StatusCode)}
	}
	if len(body) > maxAccessURL {
		return "", &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the SimpleFIN server's claim answer is not an access URL", Err: errors.New("claim answer too long")}
	}
	raw := strings.TrimSpace(string(body))
	if _, err := parseAccessURL(raw, live); err != nil {
		return "", &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the SimpleFIN server's claim answer is not a usable access URL", Err: err}
	}
	return kobo.Secret(raw), nil
}

// accounts performs GET {access}/accounts with q and Basic auth.
func (p *Provider) accounts(ctx context.Context, access *url.URL, q url.Values) (*accountSet, error) {
	u := *access
	user := u.User
	u.User = nil
	u.Path = strings.TrimRight(u.Path, "/") + "/accounts"
	u.RawPath = ""
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the stored SimpleFIN access URL is malformed", Err: errors.New("bad access URL")}
	}
	pass, _ := user.Password()
	req.SetBasicAuth(user.Username(), pass)
	req.Header.Set("Accept", "application/json")
	res, err := p.do(req)
	if err != nil {
		return nil, transportError(ctx, err, false)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusOK:
	case res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusUnauthorized:
		return nil, &kobo.BankError{Kind: kobo.BankMFARequired, Message: msgRevoked}
	case res.StatusCode == http.StatusPaymentRequired:
		return nil, &kobo.BankError{Kind: kobo.BankLocked, Message: msgPayment}
	case res.StatusCode == http.StatusTooManyRequests:
		return nil, &kobo.BankError{Kind: kobo.BankRateLimited, Message: "the SimpleFIN server asks to slow down",
			RetryAfter: retryAfter(res.Header.Get("Retry-After"), p.c.Clock.Now())}
	case res.StatusCode >= 500:
		return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the SimpleFIN server is failing", Err: fmt.Errorf("accounts: status %d", res.StatusCode)}
	default:
		return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the SimpleFIN server answered unexpectedly", Err: fmt.Errorf("accounts: status %d", res.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return nil, transportError(ctx, err, false)
	}
	if len(body) > maxBody {
		return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the SimpleFIN server's answer is too large", Err: errors.New("body over 64 MiB")}
	}
	set, err := ParseAccountSet(body)
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the SimpleFIN server sent a malformed answer", Err: err}
	}
	if len(set.Errors) > 0 {
		// they are for the customer, and sanitised; never secrets
		p.c.Logger.WarnContext(ctx, "the SimpleFIN server reported errors", "host", access.Hostname(), "errors", set.Errors)
	}
	return set, nil
}

// Breaker settings: a SimpleFIN server that keeps failing (down, or
// hanging until the timeout) is not called for a while, so the jobs that
// would wait on it finish at once and kobo's workers stay free for other
// providers' accounts.
const (
	breakerFailures = 5
	breakerCooldown = 30 * time.Second
)

var errBreakerOpen = errors.New("circuit open: the SimpleFIN server failed repeatedly")

// breaker counts one host's consecutive transient failures and the
// requests waiting on it.
type breaker struct {
	failures  int
	openUntil time.Time
	inFlight  int
}

var errBusy = errors.New("too many requests already waiting on this SimpleFIN server")

// do sends req unless its host's breaker is open or the host already has
// MaxInFlight requests waiting, and records how it went. Both fail at once
// (BankUnavailable, retried later), so a slow or hanging server holds at
// most MaxInFlight of kobo's workers and callers.
func (p *Provider) do(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	now := p.c.Clock.Now()
	p.mu.Lock()
	b := p.breakers[host]
	if b == nil {
		b = &breaker{}
		p.breakers[host] = b
	}
	if b.failures >= breakerFailures && now.Before(b.openUntil) {
		p.mu.Unlock()
		return nil, errBreakerOpen
	}
	if b.inFlight >= p.c.MaxInFlight {
		p.mu.Unlock()
		return nil, errBusy
	}
	b.inFlight++
	p.mu.Unlock()
	res, err := p.client.Do(req)
	failed := (err != nil && req.Context().Err() == nil) || (res != nil && res.StatusCode >= 500)
	p.mu.Lock()
	defer p.mu.Unlock()
	b.inFlight--
	if failed {
		b.failures++
		if b.failures >= breakerFailures {
			b.openUntil = p.c.Clock.Now().Add(breakerCooldown)
		}
	} else if err == nil {
		b.failures = 0
	}
	if b.failures == 0 && b.inFlight == 0 {
		// hosts come from customers' tokens: keep only those with state
		delete(p.breakers, host)
	}
	return res, err
}
