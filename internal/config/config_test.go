package config

import (
	"flag"
	"github.com/kobo-oss/kobo/internal/kobo"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLayering(t *testing.T) {
	t.Parallel()
	c, err := Default().FromEnv(env(map[string]string{
		"DATABASE_URL":   "postgres://kobo:hunter2@db:5432/kobo",
		"PORT":           "9000",
		"KOBO_LOG_LEVEL": "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" {
		t.Errorf("PORT: addr = %q", c.Addr)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--log-level", "warn", "--migrate"}); err != nil {
		t.Fatal(err)
	}
	c = c.WithDerived()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != "warn" || !c.Migrate || c.Engine() != "postgres" {
		t.Errorf("flags did not win over env: %+v", c)
	}
	if c.PublicURL != "http://localhost:9000" {
		t.Errorf("public url = %q", c.PublicURL)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", c)
	if strings.Contains(b.String(), "hunter2") {
		t.Errorf("password leaked in %s", b.String())
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	c, err := Default().FromEnv(env(map[string]string{"KOBO_WORKERS": "x", "KOBO_TOKEN_TTL": "forever"}))
	if err == nil || !strings.Contains(err.Error(), "KOBO_WORKERS") || !strings.Contains(err.Error(), "KOBO_TOKEN_TTL") {
		t.Fatalf("env errors = %v", err)
	}
	c.Addr = "nope"
	c.LogFormat = "xml"
	c.BodyLimit = 1
	c.DatabaseURL = "mysql://x"
	err = c.Validate()
	for _, want := range []string{"addr", "log-format", "body-limit", "database-url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want mention of %s", err, want)
		}
	}
}

func TestSQLitePath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dsn, dir, want string }{
		{"", "kobo-data", "kobo-data/kobo.db"},
		{"sqlite:/tmp/x.db", "kobo-data", "/tmp/x.db"},
		{"/var/lib/kobo.db", "d", "/var/lib/kobo.db"},
	} {
		c := Default()
		c.DatabaseURL, c.DataDir = kobo.Secret(tc.dsn), tc.dir
		if got := c.SQLitePath(); got != tc.want {
			t.Errorf("SQLitePath(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

func TestRetentionSettings(t *testing.T) {
	t.Parallel()
	d := Default()
	if d.AppPurgeGrace != 7*24*time.Hour || d.EventRetention != 30*24*time.Hour || d.SessionRetention != 7*24*time.Hour || d.StatementRetention != 24*time.Hour {
		t.Fatalf("defaults = %v %v %v %v", d.AppPurgeGrace, d.EventRetention, d.SessionRetention, d.StatementRetention)
	}
	c, err := d.FromEnv(env(map[string]string{"KOBO_APP_PURGE_GRACE": "48h", "KOBO_EVENT_RETENTION": "2160h",
		"KOBO_SESSION_RETENTION": "24h", "KOBO_STATEMENT_RETENTION": "2h"}))
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--statement-retention", "6h"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.AppPurgeGrace != 48*time.Hour || c.EventRetention != 2160*time.Hour || c.SessionRetention != 24*time.Hour || c.StatementRetention != 6*time.Hour {
		t.Fatalf("env and flags = %v %v %v %v", c.AppPurgeGrace, c.EventRetention, c.SessionRetention, c.StatementRetention)
	}
	c.EventRetention, c.AppPurgeGrace = 24*time.Hour, time.Minute
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "event-retention") || !strings.Contains(err.Error(), "app-purge-grace") {
		t.Fatalf("too short a retention: %v", err)
	}
	if _, err := d.FromEnv(env(map[string]string{"KOBO_EVENT_RETENTION": "a month"})); err == nil || !strings.Contains(err.Error(), "KOBO_EVENT_RETENTION") {
		t.Fatalf("bad duration: %v", err)
	}
}
