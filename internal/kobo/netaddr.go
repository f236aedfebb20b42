package kobo

import "net/netip"

// internalPrefixes are the address blocks a guarded webhook may not reach:
// this host, private networks, link-local (cloud metadata at
// 169.254.169.254), CGNAT, benchmarking and documentation ranges, multicast
// and reserved space.
var internalPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
		"192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "2001:db8::/32",
		// Teredo: the server and client IPv4 it names are tunnel endpoints
		// no webhook endpoint legitimately lives behind
		"2001::/32",
		// local-use NAT64 (RFC 8215): the operator picks the prefix length,
		// so where the IPv4 sits cannot be known; it only ever leads into
		// the operator's own network
		"64:ff9b:1::/48",
	} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// IPv6 blocks that carry an IPv4 address, judged as the address they carry.
var (
	v4Compatible = netip.MustParsePrefix("::/96")           // deprecated IPv4-compatible, ::a.b.c.d
	v4Translated = netip.MustParsePrefix("::ffff:0:0:0/96") // ::ffff:0:a.b.c.d (SIIT)
	nat64        = netip.MustParsePrefix("64:ff9b::/96")    // well-known NAT64 prefix
	sixToFour    = netip.MustParsePrefix("2002::/16")       // 2002:aabb:ccdd::/48
)

// InternalAddr reports whether ip is one a guarded webhook delivery may not
// reach: loopback, private, link-local, CGNAT, documentation, multicast or
// reserved space, and every IPv6 spelling that carries such an IPv4 address
// (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, translated ::ffff:0:a.b.c.d,
// NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::). Operating systems and
// NAT64 gateways route those forms to the IPv4 they carry, so they are
// judged as that IPv4.
func InternalAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		return InternalAddr(ip.Unmap())
	}
	if ip.Is6() {
		b := ip.As16()
		low := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		switch {
		case ip == netip.IPv6Unspecified() || ip == netip.IPv6Loopback():
			return true
		case v4Compatible.Contains(ip), v4Translated.Contains(ip), nat64.Contains(ip):
			return InternalAddr(low)
		case sixToFour.Contains(ip):
			return InternalAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
