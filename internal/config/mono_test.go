package config

import (
	"strings"
	"testing"
)

func TestMonoFromEnv(t *testing.T) {
	t.Parallel()
	c, err := Default().FromEnv(env(map[string]string{"KOBO_MONO_SECRET_KEY": " test_sk_abc ", "KOBO_MONO_PUBLIC_KEY": "test_pk_abc",
		"KOBO_MONO_WEBHOOK_SECRET": "whsec", "KOBO_MONO_DEFAULT_FOR": "058, 044,", "KOBO_MONO_BASE_URL": "http://127.0.0.1:9000"}))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Mono
	if !m.On() || m.SecretKey != "test_sk_abc" || m.BaseURL != "http://127.0.0.1:9000" || strings.Join(m.DefaultFor, "|") != "058|044" {
		t.Fatalf("mono = %+v", m)
	}
	if !m.Default("044") || m.Default("057") || m.Default("") {
		t.Fatal("DefaultFor")
	}
	if cr := m.Credentials(); len(cr) != 3 || cr["webhook_secret"] != "whsec" {
		t.Fatalf("credentials = %v", cr)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if (Mono{}).On() || (Mono{}).Credentials() != nil || !(Mono{Enabled: true}).On() || !(Mono{DefaultFor: []string{"*"}}).Default("058") {
		t.Fatal("zero Mono")
	}
	bad := Default()
	bad.Mono = Mono{SecretKey: "sk_live_wrong", BaseURL: "ftp://x"}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "KOBO_MONO_SECRET_KEY") || !strings.Contains(err.Error(), "KOBO_MONO_BASE_URL") {
		t.Fatalf("validate: %v", err)
	}
	if _, err := Default().FromEnv(env(map[string]string{"KOBO_MONO_ENABLED": "maybe"})); err == nil {
		t.Fatal("a bad boolean was accepted")
	}
}
