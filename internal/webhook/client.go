package webhook

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// MaxAttempts is the attempt budget of a delivery.
const MaxAttempts = 14

var schedule = []time.Duration{30 * time.Second, 2 * time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 6 * time.Hour, 8 * time.Hour, 8 * time.Hour, 9 * time.Hour, 10 * time.Hour}

// Backoff is the wait after the attempt-th failed attempt (1-based), with
// ±20% jitter so retries from an outage do not return in lockstep.
func Backoff(attempt int) time.Duration {
	d := schedule[min(max(attempt, 1), len(schedule))-1]
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// ErrBlockedAddress is returned for every attempt the guard stops: one
// text whatever is (or is not) listening there, and no connection is ever
// made, so the delivery log cannot tell an open port from a closed one.
var ErrBlockedAddress = errors.New("the endpoint resolves to a private, loopback or link-local address, which kobo does not deliver to")

// Blocked reports whether the guarded client refuses to dial ip: see
// kobo.InternalAddr, which also judges the IPv4 inside mapped, compatible,
// NAT64 and 6to4 IPv6 forms.
func Blocked(ip netip.Addr) bool { return kobo.InternalAddr(ip) }

// guard refuses connections to blocked addresses; it runs after DNS, on the
// address actually dialled.
func guard(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || Blocked(ip) {
		return ErrBlockedAddress
	}
	return nil
}

// Client POSTs webhooks. It keeps two connection pools: a guarded one, and
// an open one for messages that may reach private addresses (sandbox apps
// on a developer's machine; see DispatcherConfig.SandboxPrivate).
type Client struct {
	timeout time.Duration
	guarded *http.Client
	open    *http.Client
}

// NewClient returns a Client; timeout bounds each POST (default 10 s).
func NewClient(timeout time.Duration) *Client {
	timeout = cmp.Or(timeout, 10*time.Second)
	mk := func(control func(string, string, syscall.RawConn) error) *http.Client {
		return &http.Client{
			Transport: &http.Transport{
				Proxy:                 nil, // the guard must see the real destination
				DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: control}).DialContext,
				MaxIdleConns:          1024,
				MaxIdleConnsPerHost:   128,
				IdleConnTimeout:       90 * time.Second,
				TLSHandshakeTimeout:   5 * time.Second,
				ResponseHeaderTimeout: timeout,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Client{timeout: timeout, guarded: mk(guard), open: mk(nil)}
}

// Send POSTs one signed message.
func (c *Client) Send(ctx context.Context, m Message) Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("invalid webhook URL: %w", err)}
	}
	secret := m.Secret.Reveal()
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "kobo-webhooks/1")
	h.Set("mono-webhook-secret", secret)
	h.Set("webhook-id", m.ID)
	h.Set("webhook-timestamp", strconv.FormatInt(m.Timestamp.Unix(), 10))
	h.Set("webhook-signature", Sign(secret, m.ID, m.Timestamp, m.Body))
	client := c.guarded
	if m.AllowPrivate {
		client = c.open
	}
	res, err := client.Do(req)
	if err != nil {
		return Result{Err: classify(err), Latency: time.Since(start)}
	}
	defer res.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // let the connection be reused
	r := Result{StatusCode: res.StatusCode, Body: string(head), Latency: time.Since(start)}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		r.Err = fmt.Errorf("endpoint answered a redirect (%d) to %q; webhooks do not follow redirects", res.StatusCode, res.Header.Get("Location"))
	}
	return r
}

// classify names a transport failure the way a partner debugging their
// endpoint wants to read it.
func classify(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrBlockedAddress):
		return ErrBlockedAddress
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("timed out: the endpoint did not answer in time")
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused")
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("connection reset by the endpoint")
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Errorf("DNS lookup failed for %s", dns.Name)
	}
	return err
}
