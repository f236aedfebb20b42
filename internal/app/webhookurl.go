package app

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"golang.org/x/net/idna"
)

// webhookHost is a webhook URL's host read the way resolvers and dialers
// read it, so that the save-time check judges what will be dialled rather
// than what the partner typed.
type webhookHost struct {
	name    string     // lower-case ASCII host name without trailing dots; "" for an address
	ip      netip.Addr // the address, when the host is one in any spelling
	unusual bool       // the address was written other than as a dotted quad or in IPv6 text
}

var errBadHost = errors.New("is not a valid host name")

// normalizeHost reads the host of a URL (URL.Hostname: no brackets, no
// port) as a dialer would:
//   - non-ASCII hosts go through IDNA's lookup mapping, as net/http does,
//     which folds full-width letters and dots (U+FF0E, U+3002, U+FF61) to
//     ASCII;
//   - case is folded and trailing dots dropped (localhost. is localhost);
//   - numbers in inet_aton's forms (2130706433, 0x7f000001, 0177.0.0.1,
//     127.1) are the IPv4 address getaddrinfo makes of them;
//   - IPv6 text, zones included, is parsed; what the IPv4 inside it means
//     is kobo.InternalAddr's business.
func normalizeHost(host string) (webhookHost, error) {
	if host == "" || len(host) > 1024 {
		return webhookHost{}, errBadHost
	}
	if strings.Contains(host, ":") {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return webhookHost{}, errBadHost
		}
		return webhookHost{ip: ip}, nil
	}
	orig := host
	if !isASCII(host) {
		a, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return webhookHost{}, errBadHost
		}
		host = a
	}
	h := strings.TrimRight(strings.ToLower(host), ".")
	if h == "" || len(h) > 253 {
		return webhookHost{}, errBadHost
	}
	if ip, err := netip.ParseAddr(h); err == nil && ip.Is4() {
		return webhookHost{ip: ip, unusual: h != orig}, nil
	}
	if ip, ok := inetAton(h); ok {
		return webhookHost{ip: ip, unusual: true}, nil
	}
	labels := strings.Split(h, ".")
	if numeric(labels[len(labels)-1]) {
		// a top-level label is never a number: this is an address some
		// resolver may still read as one, in a form kobo does not
		return webhookHost{}, errBadHost
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return webhookHost{}, errBadHost
		}
		for _, r := range l {
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
				return webhookHost{}, errBadHost
			}
		}
	}
	return webhookHost{name: h}, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// numeric reports a label made only of digits, or 0x and hex digits.
func numeric(l string) bool {
	if l == "" {
		return false
	}
	if strings.HasPrefix(l, "0x") {
		l = l[2:]
		return strings.Trim(l, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}

// inetAton parses s as BSD inet_aton (and so glibc's getaddrinfo) does:
// one to four parts, each decimal, octal (leading 0) or hex (0x); the last
// part fills the bytes the others leave.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		if p == "" {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// localName reports names that only ever mean this host or a private
// network.
func localName(h string) bool {
	if !strings.Contains(h, ".") {
		return true // single labels resolve through the search domains of the network kobo runs in
	}
	for _, s := range []string{"localhost", "local", "internal", "localdomain", "home.arpa", "lan", "intranet", "corp"} {
		if h == s || strings.HasSuffix(h, "."+s) {
			return true
		}
	}
	return false
}

// hostAddrs are the addresses webhook hosts resolved to, looked up before
// the transaction that saves them (a lookup can take seconds; a write
// transaction should not).
type hostAddrs map[string][]netip.Addr

// lookupWebhookHost resolves the host of raw, when it is a name worth
// resolving. A failed lookup records nothing: the host may not be
// published yet, and the dial-time guard still judges every address a
// delivery connects to.
func (s *Service) lookupWebhookHost(ctx context.Context, raw string) hostAddrs {
	out := hostAddrs{}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return out
	}
	h, err := normalizeHost(u.Hostname())
	if err != nil || h.name == "" || localName(h.name) {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if addrs, err := s.lookupHost(ctx, h.name); err == nil {
		out[h.name] = addrs
	}
	return out
}

func defaultLookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// checkWebhookURL is the save-time check of a webhook URL. The delivery
// client checks the resolved address again at dial time, which is what
// defeats DNS rebinding; this check gives the partner an early, clear
// answer, however the host is spelled. guarded says the URL's deliveries
// will go through the guard (a live app, or a sandbox app on a kobo whose
// operator has not allowed private targets).
func checkWebhookURL(raw string, live, guarded bool, resolved hostAddrs) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || len(raw) > 2048 {
		return "must be an absolute http(s) URL"
	}
	if u.User != nil {
		return "must not contain credentials"
	}
	if live && u.Scheme != "https" {
		return "must use https for a live app"
	}
	if !guarded {
		return "" // a developer's kobo: sandbox apps may target the receiver beside it
	}
	whose := "for a live app"
	if !live {
		whose = "on this kobo (its operator has not allowed private webhook targets)"
	}
	h, err := normalizeHost(u.Hostname())
	if err != nil {
		return "must have a valid host name"
	}
	switch {
	case h.ip.IsValid() && kobo.InternalAddr(h.ip):
		return "must not point at a private, loopback or link-local address " + whose
	case h.ip.IsValid() && h.unusual:
		return "must write an IP address in its usual form (" + h.ip.String() + ")"
	case h.ip.IsValid():
		return ""
	case localName(h.name):
		return "must not point at a local or internal host " + whose
	}
	for _, a := range resolved[h.name] {
		if kobo.InternalAddr(a) {
			return "must not point at a host that resolves to a private, loopback or link-local address " + whose
		}
	}
	return ""
}
