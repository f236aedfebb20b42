package config

import (
	"flag"
	"strings"
	"testing"
)

// TestSandboxWebhooksPrivateFollowsWhereKoboRuns: sandbox webhooks may
// reach loopback and private hosts only on a developer's machine (loopback
// listener and loopback public URL) unless the operator says otherwise.
func TestSandboxWebhooksPrivateFollowsWhereKoboRuns(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		env   map[string]string
		flags []string
		want  bool
	}{
		{"the serve default", nil, nil, true},
		{"localhost listener", nil, []string{"--addr", "localhost:8080"}, true},
		{"IPv6 loopback listener", nil, []string{"--addr", "[::1]:8080"}, true},
		{"every interface", nil, []string{"--addr", "0.0.0.0:8080"}, false},
		{"empty host is every interface", nil, []string{"--addr", ":8080"}, false},
		{"a LAN address", nil, []string{"--addr", "192.168.1.10:8080"}, false},
		{"PORT (a platform)", map[string]string{"PORT": "9000"}, nil, false},
		{"loopback listener behind a public URL", map[string]string{"KOBO_PUBLIC_URL": "https://kobo.acme.ng"}, nil, false},
		{"operator allows, env", map[string]string{"PORT": "9000", "KOBO_WEBHOOK_ALLOW_PRIVATE": "true"}, nil, true},
		{"operator allows, flag", nil, []string{"--addr", "0.0.0.0:8080", "--webhook-allow-private"}, true},
		{"operator forbids on loopback", nil, []string{"--webhook-allow-private=false"}, false},
		{"flag wins over env", map[string]string{"KOBO_WEBHOOK_ALLOW_PRIVATE": "1"}, []string{"--webhook-allow-private=false"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Default().FromEnv(env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg.Flags(fs)
			if err := fs.Parse(c.flags); err != nil {
				t.Fatal(err)
			}
			cfg = cfg.WithDerived()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			got, why := cfg.SandboxWebhooksPrivate()
			if got != c.want || why == "" {
				t.Fatalf("SandboxWebhooksPrivate() = %v (%q), want %v", got, why, c.want)
			}
		})
	}
	if _, err := Default().FromEnv(env(map[string]string{"KOBO_WEBHOOK_ALLOW_PRIVATE": "sometimes"})); err == nil || !strings.Contains(err.Error(), "KOBO_WEBHOOK_ALLOW_PRIVATE") {
		t.Fatalf("a bad boolean was accepted: %v", err)
	}
}
