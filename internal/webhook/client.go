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

// ErrBlockedAddress is returned when a live app's URL resolves to an
// address kobo will not call.
var ErrBlockedAddress = errors.New("webhook: the endpoint resolves to a private, loopback or link-local address, which live apps may not call")

var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
		"192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32",
	} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// Blocked reports whether a live app may not call ip. IPv4 addresses hidden
// in IPv6 forms (mapped, NAT64, 6to4) are checked as the IPv4 they carry.
func Blocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(ip): // NAT64
			return Blocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case netip.MustParsePrefix("2002::/16").Contains(ip): // 6to4
			return Blocked(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

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

// Client POSTs webhooks. It keeps two connection pools: a guarded one for
// live apps and an open one for sandbox apps.
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
