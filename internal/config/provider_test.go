package config

import (
	"flag"
	"strings"
	"testing"
)

// TestProviderAllowPrivate: the switch is off by default and set by the
// environment or the flag; a non-boolean is refused by name.
func TestProviderAllowPrivate(t *testing.T) {
	if Default().ProviderAllowPrivate {
		t.Fatal("on by default")
	}
	c, err := Default().FromEnv(env(map[string]string{"KOBO_PROVIDER_ALLOW_PRIVATE": "true"}))
	if err != nil || !c.ProviderAllowPrivate {
		t.Fatalf("env: %v %v", c.ProviderAllowPrivate, err)
	}
	if _, err := Default().FromEnv(env(map[string]string{"KOBO_PROVIDER_ALLOW_PRIVATE": "maybe"})); err == nil || !strings.Contains(err.Error(), "KOBO_PROVIDER_ALLOW_PRIVATE") {
		t.Fatalf("bad value: %v", err)
	}
	c.ProviderAllowPrivate = false
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--provider-allow-private"}); err != nil || !c.ProviderAllowPrivate {
		t.Fatalf("flag: %v %v", c.ProviderAllowPrivate, err)
	}
}
