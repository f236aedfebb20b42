package app

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// FuzzNormalizeHost: the normaliser never panics, is idempotent, agrees
// with netip on plain addresses, and whatever internal address it reads a
// host as, the save-time check of a guarded URL refuses.
func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{
		"2130706433", "017700000001", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "127.1", "127.0.1", "10.1", "0",
		"169.254.169.254.", "0xa9fea9fe", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:0:a00:1",
		"64:ff9b::7f00:1", "64:ff9b::10.0.0.1", "64:ff9b:1::a00:1", "2002:7f00:1::", "2002:a9fe:a9fe::1", "fe80::1%eth0",
		"localhost.", "LocalHost", "api.localhost.", "127\uff0e0\uff0e0\uff0e1", "127\u30020\u30020\u30021", "127\uff610\uff610\uff611",
		"\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54", "localhost\uff0e", "metadata.google.internal", "hooks.ada.ng",
		"8.8.8.8", "xn--bcher-kva.example", "b\u00fccher.example", "4294967296", "1.2.3.4.5", "0x", "08.0.0.1", "..", "",
		"-a.example", "a_b.example.com", "255.255.255.255", "0x100.0.0.1", "1.0xffffff", "1.2.0xffff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		h, err := normalizeHost(host)
		if err != nil {
			return
		}
		if h.ip.IsValid() == (h.name != "") {
			t.Fatalf("%q: both or neither of name %q and ip %v", host, h.name, h.ip)
		}
		if h.ip.IsValid() {
			if ip, err := netip.ParseAddr(host); err == nil && ip != h.ip {
				t.Fatalf("%q: read as %v, netip reads %v", host, h.ip, ip)
			}
			again, err := normalizeHost(h.ip.String())
			if err != nil || again.ip != h.ip {
				t.Fatalf("%q: %v does not read back (%v, %v)", host, h.ip, again, err)
			}
			if kobo.InternalAddr(h.ip) {
				u := "https://" + (&url.URL{Host: bracket(h.ip)}).Host + "/x"
				if msg := checkWebhookURL(u, true, true, nil); msg == "" {
					t.Fatalf("%q: internal %v accepted as %s", host, h.ip, u)
				}
				if strings.ContainsAny(host, "/?#@") {
					return
				}
				if msg := checkWebhookURL("https://"+hostPort(host)+"/x", true, true, nil); msg == "" {
					t.Fatalf("%q: internal %v accepted", host, h.ip)
				}
			}
			return
		}
		if _, err := netip.ParseAddr(h.name); err == nil {
			t.Fatalf("%q: name %q is an address", host, h.name)
		}
		if _, ok := inetAton(h.name); ok {
			t.Fatalf("%q: name %q is an inet_aton address", host, h.name)
		}
		again, err := normalizeHost(h.name)
		if err != nil || again.name != h.name {
			t.Fatalf("%q: name %q does not read back (%v, %v)", host, h.name, again, err)
		}
	})
}

func bracket(ip netip.Addr) string {
	if ip.Is6() {
		return "[" + strings.ReplaceAll(ip.String(), "%", "%25") + "]"
	}
	return ip.String()
}

func hostPort(host string) string {
	if strings.Contains(host, ":") {
		return "[" + strings.ReplaceAll(host, "%", "%25") + "]"
	}
	return host
}

// TestInetAton pins the inet_aton forms against their addresses.
func TestInetAton(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2130706433": "127.0.0.1", "017700000001": "127.0.0.1", "0x7f000001": "127.0.0.1", "0x7f.0.0.1": "127.0.0.1",
		"0177.0.0.1": "127.0.0.1", "127.1": "127.0.0.1", "127.0.1": "127.0.0.1", "10.1": "10.0.0.1", "0": "0.0.0.0",
		"1.0xffffff": "1.255.255.255", "1.2.0xffff": "1.2.255.255", "8.8.8.8": "8.8.8.8",
	} {
		got, ok := inetAton(in)
		if !ok || got.String() != want {
			t.Errorf("inetAton(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
	for _, bad := range []string{"4294967296", "1.2.3.4.5", "0x", "08.0.0.1", "256.0.0.1", "1.16777216", "1.2.65536", "1.2.3.256", "", "a.b"} {
		if got, ok := inetAton(bad); ok {
			t.Errorf("inetAton(%q) = %v, want no address", bad, got)
		}
	}
}
