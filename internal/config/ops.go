package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The settings operators of many replicas need: which replica a log line
// or metric came from, and how much of the API request log to keep.

// RequestLogModes are the values of --request-log.
var RequestLogModes = []string{"off", "errors", "sampled", "all"}

// GoLivePolicies are the values of --golive-policy.
var GoLivePolicies = []string{"automatic", "review"}

// opsDefaults fills Default's share of these settings.
func (c *Config) opsDefaults() {
	c.GoLivePolicy = "automatic"
	c.RequestLog = "all"
	c.RequestLogSample = 0.1
	c.RequestLogRetention = 7 * 24 * time.Hour
	c.RequestLogMaxRows = 1_000_000
}

// opsFromEnv overlays the environment on these settings.
func (c *Config) opsFromEnv(getenv func(string) string) error {
	var errs []error
	if v := getenv("KOBO_REPLICA_ID"); v != "" {
		c.ReplicaID = v
	}
	if v := getenv("KOBO_GOLIVE_POLICY"); v != "" {
		c.GoLivePolicy = v
	}
	if v := getenv("KOBO_REQUEST_LOG"); v != "" {
		c.RequestLog = v
	}
	if v := getenv("KOBO_REQUEST_LOG_SAMPLE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("KOBO_REQUEST_LOG_SAMPLE: %q is not a number (the share of successful calls kept, 0..1)", v))
		}
		c.RequestLogSample = f
	}
	if v := getenv("KOBO_REQUEST_LOG_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KOBO_REQUEST_LOG_RETENTION: %q is not a duration (e.g. 168h)", v))
		}
		c.RequestLogRetention = d
	}
	if v := getenv("KOBO_REQUEST_LOG_MAX_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KOBO_REQUEST_LOG_MAX_ROWS: %q is not an integer", v))
		}
		c.RequestLogMaxRows = n
	}
	return errors.Join(errs...)
}

// opsFlags registers these settings' flags.
func (c *Config) opsFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.ReplicaID, "replica-id", c.ReplicaID, "this replica's name in logs, metrics and job leases (default hostname-pid)")
	fs.StringVar(&c.GoLivePolicy, "golive-policy", c.GoLivePolicy, "how apps go live until the operator sets it in the console: automatic, or review (the operator approves each, with the partner's business details)")
	fs.StringVar(&c.RequestLog, "request-log", c.RequestLog, "which API calls the dashboard's request log keeps: off, errors, sampled (every error and --request-log-sample of the rest) or all")
	fs.Float64Var(&c.RequestLogSample, "request-log-sample", c.RequestLogSample, "share of successful calls kept with --request-log sampled, 0..1")
	fs.DurationVar(&c.RequestLogRetention, "request-log-retention", c.RequestLogRetention, "how long request log lines are kept")
	fs.IntVar(&c.RequestLogMaxRows, "request-log-max-rows", c.RequestLogMaxRows, "request log lines kept across all apps (about 400 bytes each); the oldest go first")
}

// opsDerived names the replica when nothing did.
func (c *Config) opsDerived() {
	if c.ReplicaID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "kobo"
		}
		c.ReplicaID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
}

// opsValidate reports these settings' problems.
func (c Config) opsValidate() []error {
	var errs []error
	if len(c.ReplicaID) > 100 || strings.ContainsAny(c.ReplicaID, " \t\r\n\"") {
		errs = append(errs, fmt.Errorf("replica-id: %q must be at most 100 characters without spaces or quotes", c.ReplicaID))
	}
	if !slices.Contains(GoLivePolicies, c.GoLivePolicy) {
		errs = append(errs, fmt.Errorf("golive-policy: %q is not one of %s", c.GoLivePolicy, strings.Join(GoLivePolicies, ", ")))
	}
	if !slices.Contains(RequestLogModes, c.RequestLog) {
		errs = append(errs, fmt.Errorf("request-log: %q is not one of %s", c.RequestLog, strings.Join(RequestLogModes, ", ")))
	}
	if c.RequestLogSample < 0 || c.RequestLogSample > 1 {
		errs = append(errs, fmt.Errorf("request-log-sample: %v is outside 0..1", c.RequestLogSample))
	}
	if c.RequestLogRetention < time.Hour || c.RequestLogRetention > 366*24*time.Hour {
		errs = append(errs, fmt.Errorf("request-log-retention: %v is outside 1h..8784h", c.RequestLogRetention))
	}
	if c.RequestLogMaxRows < 1000 || c.RequestLogMaxRows > 1_000_000_000 {
		errs = append(errs, fmt.Errorf("request-log-max-rows: %d is outside 1000..1000000000", c.RequestLogMaxRows))
	}
	return errs
}

// EnvVars maps each flag to the environment variable that sets it, for
// help text; the names are those FromEnv reads (a test holds the two
// together).
var EnvVars = map[string]string{
	"addr":                  "KOBO_ADDR (or PORT, listening on every interface)",
	"admin-addr":            "KOBO_ADMIN_ADDR",
	"public-url":            "KOBO_PUBLIC_URL",
	"database-url":          "KOBO_DATABASE_URL or DATABASE_URL",
	"data-dir":              "KOBO_DATA_DIR",
	"migrate":               "KOBO_MIGRATE",
	"banksim-url":           "KOBO_BANKSIM_URL",
	"banksim-seed":          "KOBO_BANKSIM_SEED",
	"log-format":            "KOBO_LOG_FORMAT",
	"log-level":             "KOBO_LOG_LEVEL",
	"body-limit":            "KOBO_BODY_LIMIT",
	"shutdown-timeout":      "KOBO_SHUTDOWN_TIMEOUT",
	"workers":               "KOBO_WORKERS",
	"lease":                 "KOBO_LEASE",
	"rate-limit-per-key":    "KOBO_RATE_LIMIT_PER_KEY",
	"rate-limit-per-ip":     "KOBO_RATE_LIMIT_PER_IP",
	"page-cache-mb":         "KOBO_PAGE_CACHE_MB",
	"webhook-allow-private": "KOBO_WEBHOOK_ALLOW_PRIVATE",
	"replica-id":            "KOBO_REPLICA_ID",
	"request-log":           "KOBO_REQUEST_LOG",
	"request-log-sample":    "KOBO_REQUEST_LOG_SAMPLE",
	"golive-policy":         "KOBO_GOLIVE_POLICY",
	"request-log-retention": "KOBO_REQUEST_LOG_RETENTION",
	"request-log-max-rows":  "KOBO_REQUEST_LOG_MAX_ROWS",

	"password-memory-mb":            "KOBO_PASSWORD_MEMORY_MB",
	"public-key-sessions-per-hour":  "KOBO_PUBLIC_KEY_SESSIONS_PER_HOUR",
	"public-key-customers-per-hour": "KOBO_PUBLIC_KEY_CUSTOMERS_PER_HOUR",
	"signups-per-address-per-hour":  "KOBO_SIGNUPS_PER_ADDRESS_PER_HOUR",
	"app-purge-grace":               "KOBO_APP_PURGE_GRACE",
	"event-retention":               "KOBO_EVENT_RETENTION",
	"session-retention":             "KOBO_SESSION_RETENTION",
	"statement-retention":           "KOBO_STATEMENT_RETENTION",
	"provider-allow-private":        "KOBO_PROVIDER_ALLOW_PRIVATE",
	"banks-file":                    "KOBO_BANKS_FILE",
}

// EnvOnly are the settings with no flag.
var EnvOnly = []struct{ Name, Usage string }{
	{"KOBO_MASTER_KEY", "key that seals stored bank credentials: base64 of 32 bytes, or id:base64,... with the current key first (required on PostgreSQL; default: a key file in the data directory)"},
	{"KOBO_TOKEN_TTL", "lifetime of Partner API bearer tokens (default 24h)"},
	{"KOBO_MONO_SECRET_KEY", "the deployment's default Mono secret key (test_sk_… or live_sk_…); setting it turns the Mono provider on"},
	{"KOBO_MONO_PUBLIC_KEY", "the deployment's default Mono public key, for Mono's Connect widget"},
	{"KOBO_MONO_WEBHOOK_SECRET", "the deployment's default Mono webhook secret (Mono's mono-webhook-secret)"},
	{"KOBO_MONO_ENABLED", "turn the Mono provider on without default keys (apps bring their own)"},
	{"KOBO_MONO_BASE_URL", "Mono's API host (default https://api.withmono.com)"},
	{"KOBO_MONO_DEFAULT_FOR", "bank codes whose institutions go through Mono by default, comma separated, or * for every Nigerian bank"},
	{"KOBO_PROVIDER_<NAME>_<FIELD>", "the deployment's default credentials for a bank provider, one variable per field the provider declares (e.g. KOBO_PROVIDER_MONO_SECRET_KEY); an app's own keys (PUT /v1/apps/{id}/providers/{provider}) take precedence"},
}

// PrintUsage writes a command's flags, each with the environment variable
// that sets it, then (for serve, withEnvOnly) the settings only the
// environment sets. Flags win over the environment, which wins over the
// defaults.
func PrintUsage(w io.Writer, fs *flag.FlagSet, withEnvOnly bool) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s", f.Name)
		if name != "" {
			fmt.Fprintf(w, " %s", name)
		}
		fmt.Fprintf(w, "\n      %s", usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		if env, ok := EnvVars[f.Name]; ok {
			fmt.Fprintf(w, "\n      env: %s", env)
		}
		fmt.Fprintln(w)
	})
	if withEnvOnly {
		fmt.Fprintln(w, "\nSet only in the environment:")
		for _, e := range EnvOnly {
			fmt.Fprintf(w, "  %s\n      %s\n", e.Name, e.Usage)
		}
	}
	fmt.Fprintln(w, "\nFlags override the environment, which overrides the defaults.")
}

// MigrateFlags registers the flags `kobo migrate` uses: where the
// database is and how to log. Everything else about a server is no
// business of a migration.
func (c *Config) MigrateFlags(fs *flag.FlagSet) {
	all := flag.NewFlagSet("", flag.ContinueOnError)
	c.Flags(all)
	for _, name := range []string{"database-url", "data-dir", "log-format", "log-level"} {
		f := all.Lookup(name)
		fs.Var(f.Value, f.Name, f.Usage)
	}
}
