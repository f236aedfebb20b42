package config

import (
	"flag"
	"strings"
	"testing"
)

// TestAbuseLimits: the password memory budget and the public-key caps come
// from the environment and flags, and nonsense is refused by name.
func TestAbuseLimits(t *testing.T) {
	t.Parallel()
	c, err := Default().FromEnv(env(map[string]string{"KOBO_PASSWORD_MEMORY_MB": "64", "KOBO_PUBLIC_KEY_SESSIONS_PER_HOUR": "5000", "KOBO_SIGNUPS_PER_ADDRESS_PER_HOUR": "50"}))
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--public-key-customers-per-hour", "900"}); err != nil {
		t.Fatal(err)
	}
	if c.PasswordMemoryMB != 64 || c.PublicKeySessionsPerHour != 5000 || c.PublicKeyCustomersPerHour != 900 || c.SignupsPerAddressPerHour != 50 {
		t.Fatalf("limits = %d MiB, %d sessions, %d customers", c.PasswordMemoryMB, c.PublicKeySessionsPerHour, c.PublicKeyCustomersPerHour)
	}
	_, err = Default().FromEnv(env(map[string]string{"KOBO_PASSWORD_MEMORY_MB": "4", "KOBO_PUBLIC_KEY_CUSTOMERS_PER_HOUR": "lots"}))
	if err == nil || !strings.Contains(err.Error(), "KOBO_PASSWORD_MEMORY_MB") || !strings.Contains(err.Error(), "KOBO_PUBLIC_KEY_CUSTOMERS_PER_HOUR") {
		t.Fatalf("bad values: %v", err)
	}
	bad := Default()
	bad.PasswordMemoryMB, bad.PublicKeySessionsPerHour = 1, 0
	if err := bad.WithDerived().Validate(); err == nil || !strings.Contains(err.Error(), "password-memory-mb") || !strings.Contains(err.Error(), "public-key-sessions-per-hour") {
		t.Fatalf("Validate: %v", err)
	}
}
