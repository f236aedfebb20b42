package app_test

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// internalSpellings are ways of writing a loopback, private or metadata
// address that a resolver or dialer reads as one, though they do not look
// like one.
var internalSpellings = []string{
	"https://2130706433/x",               // 127.0.0.1 as one decimal number
	"https://017700000001/x",             // ... in octal
	"https://0x7f000001/x",               // ... in hex
	"https://0x7f.0.0.1/x",               // hex part
	"https://0177.0.0.1/x",               // octal part
	"https://127.1/x",                    // a.d
	"https://127.0.1/x",                  // a.b.d
	"https://10.1/x",                     // 10.0.0.1
	"https://0/x",                        // 0.0.0.0
	"https://169.254.169.254./x",         // trailing dot
	"https://0xa9fea9fe/x",               // 169.254.169.254 in hex
	"https://[::127.0.0.1]/x",            // IPv4-compatible IPv6
	"https://[::ffff:127.0.0.1]/x",       // IPv4-mapped
	"https://[::ffff:7f00:1]/x",          // ... in hex
	"https://[::ffff:0:a00:1]/x",         // IPv4-translated (SIIT)
	"https://[64:ff9b::7f00:1]/x",        // NAT64
	"https://[64:ff9b::10.0.0.1]/x",      // NAT64, dotted
	"https://[64:ff9b:1::a00:1]/x",       // local-use NAT64
	"https://[2002:7f00:1::]/x",          // 6to4 of 127.0.0.1
	"https://[2002:a9fe:a9fe::1]/x",      // 6to4 of the metadata address
	"https://[fe80::1%25eth0]/x",         // link-local with a zone
	"https://localhost./x",               // trailing dot
	"https://LocalHost/x",                // case
	"https://api.localhost./x",           // a localhost subdomain
	"https://127\uff0e0\uff0e0\uff0e1/x", // full-width dots
	"https://127\u30020\u30020\u30021/x", // ideographic full stops
	"https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/x", // full-width letters
	"https://localhost\uff0e/x",                                        // full-width trailing dot
	"https://metadata.google.internal/computeMetadata/v1/",
}

// TestLiveWebhookURLRejectsEverySpellingOfAnInternalHost: the save-time
// check reads a live app's webhook host the way a resolver would
// (inet_aton numbers, IDNA width folding, trailing dots, IPv4 inside IPv6)
// and refuses every internal address however it is written.
func TestLiveWebhookURLRejectsEverySpellingOfAnInternalHost(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "spellings@ada.ng")
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("Loans"), Live: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range internalSpellings {
		_, err := b.svc.UpdateApp(ctx, p.ID, d.App.ID, app.AppInput{WebhookURL: ptr(bad)})
		if kobo.ErrorCode(err) != kobo.EINVALID {
			t.Errorf("%s was accepted for a live app (%v)", bad, err)
			continue
		}
		if e := err.(*kobo.Error); e.Fields["webhook_url"] == "" {
			t.Errorf("%s: %v names no webhook_url problem", bad, e)
		}
	}
	if _, err := b.svc.UpdateApp(ctx, p.ID, d.App.ID, app.AppInput{WebhookURL: ptr("https://\uff18.\uff18.\uff18.\uff18/x")}); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Errorf("a public address in full-width digits was accepted (%v); it should be asked for in its usual form", err)
	}
	for _, good := range []string{"https://8.8.8.8/x", "https://[2a00:1450:4001::1]/x", "https://hooks.ada.ng/x", "https://hooks.ada.ng./x", "https://HOOKS.ada.ng:8443/x"} {
		if _, err := b.svc.UpdateApp(ctx, p.ID, d.App.ID, app.AppInput{WebhookURL: ptr(good)}); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}

// setupHooks is setup with a fake resolver and the sandbox switch.
func setupHooks(t *testing.T, sandboxPrivate bool) bundle {
	t.Helper()
	b := setup(t)
	hosts := map[string][]netip.Addr{
		"hooks.ada.ng":        {netip.MustParseAddr("102.89.1.1")},
		"rebind.ada.ng":       {netip.MustParseAddr("10.0.0.7")},
		"half.ada.ng":         {netip.MustParseAddr("102.89.1.2"), netip.MustParseAddr("127.0.0.1")},
		"nat64.ada.ng":        {netip.MustParseAddr("64:ff9b::a9fe:a9fe")},
		"metadata.example.ng": {netip.MustParseAddr("169.254.169.254")},
	}
	b.svc = app.New(app.Config{Store: b.store, Clock: b.clock, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1},
		SandboxWebhooksPrivate: sandboxPrivate,
		LookupHost: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if a, ok := hosts[host]; ok {
				return a, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}})
	return b
}

// TestWebhookURLResolvedBeforeSaving: a name that resolves to an internal
// address is refused for a live app, and for a sandbox app on a kobo whose
// operator has not allowed private targets; a developer's kobo lets a
// sandbox app use the receiver beside it.
func TestWebhookURLResolvedBeforeSaving(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	internal := []string{"https://rebind.ada.ng/x", "https://half.ada.ng/x", "https://nat64.ada.ng/x", "https://METADATA.example.ng./x", "https://metadata/x"}
	for _, c := range []struct {
		name           string
		live           bool
		sandboxPrivate bool
		wantRefused    bool
	}{
		{"live app", true, true, true},
		{"sandbox app on a public kobo", false, false, true},
		{"sandbox app on a developer's kobo", false, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setupHooks(t, c.sandboxPrivate)
			p := signup(t, b, "resolve@ada.ng")
			d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("Loans"), Live: ptr(c.live)})
			if err != nil {
				t.Fatal(err)
			}
			urls := internal
			if !c.live {
				urls = append(urls, "http://127.0.0.1:3000/hooks", "http://localhost:3000/hooks", "http://0x7f000001:3000/hooks", "http://[::1]:3000/hooks")
			}
			for _, u := range urls {
				_, err := b.svc.UpdateApp(ctx, p.ID, d.App.ID, app.AppInput{WebhookURL: ptr(u)})
				if refused := kobo.ErrorCode(err) == kobo.EINVALID; refused != c.wantRefused {
					t.Errorf("%s: refused = %v (%v), want %v", u, refused, err, c.wantRefused)
				}
			}
			for _, u := range []string{"https://hooks.ada.ng/x", "https://unpublished.ada.ng/x"} {
				if _, err := b.svc.UpdateApp(ctx, p.ID, d.App.ID, app.AppInput{WebhookURL: ptr(u)}); err != nil {
					t.Errorf("%s: %v", u, err)
				}
			}
			// creating with the URL is checked the same way
			_, err = b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("Other"), Live: ptr(c.live), WebhookURL: ptr("https://rebind.ada.ng/x")})
			if refused := kobo.ErrorCode(err) == kobo.EINVALID; refused != c.wantRefused {
				t.Errorf("create: refused = %v (%v), want %v", refused, err, c.wantRefused)
			}
		})
	}
	// going live re-checks the URL a sandbox app already has
	b := setupHooks(t, true)
	p := signup(t, b, "golive@ada.ng")
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("Loans"), WebhookURL: ptr("https://rebind.ada.ng/x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.UpdateApp(ctx, p.ID, d.App.ID, app.AppInput{Live: ptr(true)}); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Fatalf("went live with a webhook resolving to 10.0.0.7: %v", err)
	}
}
