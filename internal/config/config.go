// Package config owns kobo's configuration: one Config struct filled from
// defaults, then the environment (KOBO_* plus the conventional DATABASE_URL
// and PORT), then command-line flags, and validated once at start with
// every problem reported together.
//
// There is no global settings object: cli builds a Config and hands the
// pieces each component needs to its constructor.
package config

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Config is the whole configuration of a kobo process.
type Config struct {
	// Addr is the public listener (API, widget, dashboard).
	Addr string
	// getenv is the environment FromEnv read, kept for the settings whose
	// names depend on what is wired (ProviderDefault).
	getenv func(string) string
	// AdminAddr is the operator listener (metrics, health, pprof); loopback
	// by default so metrics are never exposed by accident.
	AdminAddr string
	// PublicURL is the externally visible base URL, used to build absolute
	// links (paging, statement paths, Connect Link). Default: http://Addr.
	PublicURL string
	// DatabaseURL selects the engine: empty, sqlite:PATH, file:PATH or a
	// file path (/x, ./x, x.db) → SQLite; postgres://, postgresql:// or a
	// libpq key=value list (host=db dbname=kobo) → PostgreSQL; anything
	// else is refused.
	DatabaseURL kobo.Secret
	// DataDir holds the SQLite database and the generated master key file.
	DataDir string
	// Migrate lets serve apply pending Postgres migrations at start.
	Migrate bool
	// MasterKey encrypts stored bank credentials (base64 of 32 bytes). When
	// empty, a key file in DataDir is used (and created on first start).
	MasterKey kobo.Secret
	// BanksimURL points the sandbox provider at an external banksim; empty
	// runs banksim in-process.
	BanksimURL string
	// BanksimSeed seeds the in-process simulator's data generator.
	BanksimSeed int64
	// Mono is the Mono upstream provider (config/mono.go).
	Mono Mono
	// LogFormat is "text" or "json"; LogLevel is debug|info|warn|error.
	LogFormat string
	LogLevel  string
	// BodyLimit caps request bodies, in bytes.
	BodyLimit int64
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
	// TokenTTL is the lifetime of Partner API bearer tokens.
	TokenTTL time.Duration
	// Workers is the number of concurrent background job workers.
	Workers int
	// RateLimitPerKey and RateLimitPerIP cap API requests per second per
	// API key and per client address (bursts of twice that); 0 disables.
	RateLimitPerKey float64
	RateLimitPerIP  float64
	// Lease is how long a replica holds a claimed job or webhook delivery
	// without a heartbeat: after a crash, other replicas take its work
	// over once its leases lapse.
	Lease time.Duration
	// PageCacheMB bounds the in-memory cache of recently served
	// transaction pages (kept exact by each account's history version);
	// 0 turns it off.
	PageCacheMB int64
	// WebhookAllowPrivate, when set, decides whether sandbox apps' webhooks
	// may reach loopback and private addresses. Unset, they may only when
	// kobo listens on loopback with a loopback public URL (a developer's
	// machine); see SandboxWebhooksPrivate. Live apps' webhooks never may.
	WebhookAllowPrivate *bool
	// ProviderAllowPrivate lets bank providers whose upstream URL comes
	// from a customer (a SimpleFIN setup token) reach loopback and private
	// addresses: for tests with local fakes, or an operator's own server
	// beside kobo. Off, those addresses are refused at dial time.
	ProviderAllowPrivate bool
	// BanksFile names a JSON file of banks reached through an open-banking
	// standard (UK OBIE, Berlin Group): an object keyed by standard, each
	// holding that connector's list of bank entries. Adding a bank that
	// follows a standard is an entry here, not code (internal/cli/banks.go).
	BanksFile string
	// ReplicaID names this process in logs, metrics and job leases
	// (default hostname-pid).
	ReplicaID string
	// GoLivePolicy is how apps go live ("automatic", or "review": the
	// operator approves each) while the operator has not chosen one in the
	// console; the console's choice is kept in the database and wins, so
	// every replica agrees.
	GoLivePolicy string
	// RequestLog ("off", "errors", "sampled", "all"), RequestLogSample,
	// RequestLogRetention and RequestLogMaxRows bound the API request log.
	RequestLog          string
	RequestLogSample    float64
	RequestLogRetention time.Duration
	RequestLogMaxRows   int
	// PasswordMemoryMB bounds the memory argon2id may use at once in one
	// replica (each hash takes 19 MiB); checks beyond it wait briefly, then
	// get 503 with Retry-After. Size it to the container's memory limit.
	PasswordMemoryMB int64
	// PublicKeySessionsPerHour and PublicKeyCustomersPerHour cap the
	// connect sessions and new customers one app's public key (the
	// widget's, or a Connect Link's) may create in an hour.
	PublicKeySessionsPerHour  int
	PublicKeyCustomersPerHour int
	// SignupsPerAddressPerHour caps partner signups from one client
	// address. Behind a reverse proxy every client has the proxy's address
	// (kobo trusts no X-Forwarded-For), so raise it there.
	SignupsPerAddressPerHour int
	// Retention: how long kobo keeps what outlives its use (see the README's
	// Security section). AppPurgeGrace is how long a deleted app's
	// customers and their data stay (not synced, not readable) before they
	// are purged; EventRetention keeps events and webhook delivery logs;
	// SessionRetention keeps expired connect sessions and customers that
	// never linked; StatementRetention keeps built statement PDFs.
	AppPurgeGrace      time.Duration
	EventRetention     time.Duration
	SessionRetention   time.Duration
	StatementRetention time.Duration
}

// Default returns the defaults: everything local, SQLite in ./kobo-data.
func Default() Config {
	c := Config{
		Addr:            "127.0.0.1:8080",
		AdminAddr:       "127.0.0.1:9090",
		DataDir:         "kobo-data",
		BanksimSeed:     20260101,
		LogFormat:       "text",
		LogLevel:        "info",
		BodyLimit:       1 << 20,
		ShutdownTimeout: 15 * time.Second,
		TokenTTL:        24 * time.Hour,
		Workers:         8,
		RateLimitPerKey: 100,
		RateLimitPerIP:  300,
		Lease:           time.Minute,
		PageCacheMB:     32,

		PasswordMemoryMB:          256,
		PublicKeySessionsPerHour:  1000,
		PublicKeyCustomersPerHour: 300,
		SignupsPerAddressPerHour:  10,
		AppPurgeGrace:             7 * 24 * time.Hour,
		EventRetention:            30 * 24 * time.Hour,
		SessionRetention:          7 * 24 * time.Hour,
		StatementRetention:        24 * time.Hour,
	}
	c.opsDefaults()
	return c
}

// FromEnv overlays the environment on c. getenv is os.Getenv in production
// and a map lookup in tests.
func (c Config) FromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	str := func(dst *string, keys ...string) {
		for _, k := range keys {
			if v := getenv(k); v != "" {
				*dst = v
				return
			}
		}
	}
	c.getenv = getenv
	str(&c.Addr, "KOBO_ADDR")
	if getenv("KOBO_ADDR") == "" && getenv("PORT") != "" {
		// PORT is the platform convention (Heroku, Cloud Run, Render): the
		// platform routes to it from outside, so listen on every interface.
		c.Addr = net.JoinHostPort("0.0.0.0", getenv("PORT"))
	}
	str(&c.AdminAddr, "KOBO_ADMIN_ADDR")
	str(&c.PublicURL, "KOBO_PUBLIC_URL")
	var dsn string
	str(&dsn, "KOBO_DATABASE_URL", "DATABASE_URL")
	if dsn != "" {
		c.DatabaseURL = kobo.Secret(dsn)
	}
	str(&c.DataDir, "KOBO_DATA_DIR")
	var mk string
	str(&mk, "KOBO_MASTER_KEY")
	if mk != "" {
		c.MasterKey = kobo.Secret(mk)
	}
	str(&c.BanksimURL, "KOBO_BANKSIM_URL")
	str(&c.LogFormat, "KOBO_LOG_FORMAT")
	str(&c.LogLevel, "KOBO_LOG_LEVEL")
	if v := getenv("KOBO_WEBHOOK_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KOBO_WEBHOOK_ALLOW_PRIVATE: %q is not a boolean", v))
		} else {
			c.WebhookAllowPrivate = &b
		}
	}
	if v := getenv("KOBO_PROVIDER_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KOBO_PROVIDER_ALLOW_PRIVATE: %q is not a boolean", v))
		}
		c.ProviderAllowPrivate = b
	}
	if v := getenv("KOBO_BANKS_FILE"); v != "" {
		c.BanksFile = v
	}
	if v := getenv("KOBO_MIGRATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KOBO_MIGRATE: %q is not a boolean", v))
		}
		c.Migrate = b
	}
	ints := []struct {
		key string
		dst *int64
	}{{"KOBO_BODY_LIMIT", &c.BodyLimit}, {"KOBO_BANKSIM_SEED", &c.BanksimSeed}, {"KOBO_PAGE_CACHE_MB", &c.PageCacheMB}}
	for _, x := range ints {
		if v := getenv(x.key); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not an integer", x.key, v))
				continue
			}
			*x.dst = n
		}
	}
	for _, x := range []struct {
		key string
		dst *int
	}{{"KOBO_PUBLIC_KEY_SESSIONS_PER_HOUR", &c.PublicKeySessionsPerHour}, {"KOBO_PUBLIC_KEY_CUSTOMERS_PER_HOUR", &c.PublicKeyCustomersPerHour},
		{"KOBO_SIGNUPS_PER_ADDRESS_PER_HOUR", &c.SignupsPerAddressPerHour}} {
		if v := getenv(x.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive integer", x.key, v))
				continue
			}
			*x.dst = n
		}
	}
	if v := getenv("KOBO_PASSWORD_MEMORY_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 19 {
			errs = append(errs, fmt.Errorf("KOBO_PASSWORD_MEMORY_MB: %q is not a size in MiB of at least 19 (one argon2id hash)", v))
		} else {
			c.PasswordMemoryMB = n
		}
	}
	if v := getenv("KOBO_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KOBO_WORKERS: %q is not an integer", v))
		}
		c.Workers = n
	}
	for _, x := range []struct {
		key string
		dst *float64
	}{{"KOBO_RATE_LIMIT_PER_KEY", &c.RateLimitPerKey}, {"KOBO_RATE_LIMIT_PER_IP", &c.RateLimitPerIP}} {
		if v := getenv(x.key); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a rate (requests per second, 0 for no limit)", x.key, v))
				continue
			}
			*x.dst = f
		}
	}
	durs := []struct {
		key string
		dst *time.Duration
	}{{"KOBO_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout}, {"KOBO_TOKEN_TTL", &c.TokenTTL}, {"KOBO_LEASE", &c.Lease},
		{"KOBO_APP_PURGE_GRACE", &c.AppPurgeGrace}, {"KOBO_EVENT_RETENTION", &c.EventRetention},
		{"KOBO_SESSION_RETENTION", &c.SessionRetention}, {"KOBO_STATEMENT_RETENTION", &c.StatementRetention}}
	for _, x := range durs {
		if v := getenv(x.key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration (e.g. 30s, 24h)", x.key, v))
				continue
			}
			*x.dst = d
		}
	}
	errs = append(errs, c.opsFromEnv(getenv), c.Mono.fromEnv(getenv))
	return c, errors.Join(errs...)
}

// Flags registers c's fields on fs; parsing fs overlays the flags on c.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "public listen address (API, widget, dashboard)")
	fs.StringVar(&c.AdminAddr, "admin-addr", c.AdminAddr, "operator listen address (metrics, health); empty disables it")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "external base URL used in links (default http://ADDR)")
	fs.Func("database-url", "database: empty for embedded SQLite in --data-dir, or postgres://...", func(s string) error {
		c.DatabaseURL = kobo.Secret(s)
		return nil
	})
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the SQLite database and key file")
	fs.BoolVar(&c.Migrate, "migrate", c.Migrate, "apply pending PostgreSQL migrations at start")
	fs.StringVar(&c.BanksimURL, "banksim-url", c.BanksimURL, "use an external banksim at this URL instead of the in-process one")
	fs.Int64Var(&c.BanksimSeed, "banksim-seed", c.BanksimSeed, "seed of the in-process banksim data generator")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.Int64Var(&c.BodyLimit, "body-limit", c.BodyLimit, "maximum request body size in bytes")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long graceful shutdown may take")
	fs.IntVar(&c.Workers, "workers", c.Workers, "concurrent background job workers")
	fs.DurationVar(&c.Lease, "lease", c.Lease, "how long a replica holds a job or delivery without a heartbeat (crash takeover time)")
	fs.Float64Var(&c.RateLimitPerKey, "rate-limit-per-key", c.RateLimitPerKey, "API requests per second per API key (bursts of twice that); 0 disables")
	fs.Float64Var(&c.RateLimitPerIP, "rate-limit-per-ip", c.RateLimitPerIP, "API requests per second per client address; 0 disables")
	fs.Int64Var(&c.PageCacheMB, "page-cache-mb", c.PageCacheMB, "memory for recently served transaction pages, in MiB; 0 disables")
	fs.DurationVar(&c.AppPurgeGrace, "app-purge-grace", c.AppPurgeGrace, "how long a deleted app's customers and their data are kept before they are purged")
	fs.DurationVar(&c.EventRetention, "event-retention", c.EventRetention, "how long events and webhook delivery logs are kept")
	fs.DurationVar(&c.SessionRetention, "session-retention", c.SessionRetention, "how long expired connect sessions and customers that never linked are kept")
	fs.DurationVar(&c.StatementRetention, "statement-retention", c.StatementRetention, "how long built statement PDFs are kept")
	fs.Var(optionalBool{&c.WebhookAllowPrivate}, "webhook-allow-private",
		"let sandbox apps' webhooks reach loopback and private addresses (=false forbids it; env KOBO_WEBHOOK_ALLOW_PRIVATE);\n"+
			"unset, they may only when kobo listens on loopback with a loopback public URL. Live apps' webhooks never may")
	fs.BoolVar(&c.ProviderAllowPrivate, "provider-allow-private", c.ProviderAllowPrivate,
		"let providers reach loopback and private addresses named by customers' tokens (SimpleFIN); for local fakes only")
	fs.StringVar(&c.BanksFile, "banks-file", c.BanksFile, "JSON file of banks reached through an open-banking standard, keyed by standard (env KOBO_BANKS_FILE)")
	c.opsFlags(fs)
	fs.Int64Var(&c.PasswordMemoryMB, "password-memory-mb", c.PasswordMemoryMB, "memory argon2id password hashing may use at once, in MiB (19 per hash)")
	fs.IntVar(&c.PublicKeySessionsPerHour, "public-key-sessions-per-hour", c.PublicKeySessionsPerHour, "connect sessions one public key may open per hour")
	fs.IntVar(&c.PublicKeyCustomersPerHour, "public-key-customers-per-hour", c.PublicKeyCustomersPerHour, "new customers one public key may create per hour")
	fs.IntVar(&c.SignupsPerAddressPerHour, "signups-per-address-per-hour", c.SignupsPerAddressPerHour, "partner signups one client address may make per hour (raise behind a proxy)")
}

// optionalBool is a boolean flag that can also be left unset (nil).
type optionalBool struct{ p **bool }

func (o optionalBool) IsBoolFlag() bool { return true }

func (o optionalBool) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatBool(**o.p)
}

func (o optionalBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*o.p = &b
	return nil
}

// SandboxWebhooksPrivate reports whether sandbox apps' webhook deliveries
// may reach loopback and private addresses, and why. A kobo reachable from
// elsewhere (listening beyond loopback, or published under a non-loopback
// URL) takes sign-ups from strangers, whose sandbox webhooks would otherwise
// be a window into the operator's network; a developer's kobo on loopback
// needs to call the webhook receiver beside it. Call it after WithDerived.
func (c Config) SandboxWebhooksPrivate() (bool, string) {
	if c.WebhookAllowPrivate != nil {
		if *c.WebhookAllowPrivate {
			return true, "allowed by webhook-allow-private"
		}
		return false, "forbidden by webhook-allow-private=false"
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil || !loopbackHost(host) {
		return false, "kobo listens beyond loopback (" + c.Addr + "); set webhook-allow-private to allow it"
	}
	if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || !loopbackHost(u.Hostname())) {
		return false, "the public URL is not a loopback one (" + c.PublicURL + "); set webhook-allow-private to allow it"
	}
	return true, "kobo listens on loopback only with a loopback public URL (local development)"
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// WithDerived fills values that depend on others.
func (c Config) WithDerived() Config {
	if c.PublicURL == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err == nil {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "localhost"
			}
			c.PublicURL = "http://" + net.JoinHostPort(host, port)
		}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.DataDir = cmp.Or(c.DataDir, "kobo-data")
	c.opsDerived()
	return c
}

// Engine returns "postgres" or "sqlite" according to DatabaseURL, or ""
// when it is neither (Validate says why).
func (c Config) Engine() string {
	d, err := parseDatabase(c.DatabaseURL.Reveal())
	if err != nil {
		return ""
	}
	return d.engine
}

// SQLitePath is the database file for the SQLite engine.
func (c Config) SQLitePath() string {
	if d, err := parseDatabase(c.DatabaseURL.Reveal()); err == nil && d.path != "" {
		return d.path
	}
	return strings.TrimRight(c.DataDir, "/") + "/kobo.db"
}

// Database names the engine and the database for logs and `kobo migrate
// status` (e.g. "postgres://kobo@db:5432/kobo", "sqlite:kobo-data/kobo.db"),
// never a password.
func (c Config) Database() string {
	d, err := parseDatabase(c.DatabaseURL.Reveal())
	switch {
	case err != nil:
		return "[invalid database-url]"
	case d.engine == dbSQLite:
		return "sqlite:" + c.SQLitePath()
	}
	return d.show
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr: %q is not host:port", c.Addr))
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			errs = append(errs, fmt.Errorf("admin-addr: %q is not host:port", c.AdminAddr))
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("public-url: %q is not an http(s) URL", c.PublicURL))
		}
	}
	if _, err := parseDatabase(c.DatabaseURL.Reveal()); err != nil {
		errs = append(errs, err)
	}
	if c.BanksimURL != "" {
		if u, err := url.Parse(c.BanksimURL); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("banksim-url: %q is not a URL", c.BanksimURL))
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format: %q is not text or json", c.LogFormat))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("log-level: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.BodyLimit < 1024 || c.BodyLimit > 64<<20 {
		errs = append(errs, fmt.Errorf("body-limit: %d is outside 1 KiB..64 MiB", c.BodyLimit))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown-timeout: must be positive"))
	}
	if c.TokenTTL < time.Minute {
		errs = append(errs, fmt.Errorf("token-ttl: must be at least 1m"))
	}
	if c.Workers < 1 || c.Workers > 256 {
		errs = append(errs, fmt.Errorf("workers: %d is outside 1..256", c.Workers))
	}
	if c.PasswordMemoryMB < 19 {
		errs = append(errs, fmt.Errorf("password-memory-mb: %d is less than one argon2id hash (19)", c.PasswordMemoryMB))
	}
	if c.PublicKeySessionsPerHour < 1 || c.PublicKeyCustomersPerHour < 1 || c.SignupsPerAddressPerHour < 1 {
		errs = append(errs, fmt.Errorf("public-key-sessions-per-hour, public-key-customers-per-hour and signups-per-address-per-hour must be at least 1"))
	}
	if c.PageCacheMB < 0 || c.PageCacheMB > 64<<10 {
		errs = append(errs, fmt.Errorf("page-cache-mb: %d is outside 0..65536", c.PageCacheMB))
	}
	for _, r := range []struct {
		name     string
		v, least time.Duration
	}{{"app-purge-grace", c.AppPurgeGrace, time.Hour}, {"session-retention", c.SessionRetention, time.Hour},
		{"statement-retention", c.StatementRetention, time.Hour},
		// deliveries retry for about two days; their events must outlive them
		{"event-retention", c.EventRetention, 72 * time.Hour}} {
		if r.v < r.least {
			errs = append(errs, fmt.Errorf("%s: %v is shorter than %v", r.name, r.v, r.least))
		}
	}
	if c.Lease < 3*time.Second || c.Lease > time.Hour {
		errs = append(errs, fmt.Errorf("lease: %v is outside 3s..1h (heartbeats run every third of it)", c.Lease))
	}
	errs = append(errs, c.opsValidate()...)
	errs = append(errs, c.Mono.validate()...)
	return errors.Join(errs...)
}

// Level returns the parsed log level (Validate first).
func (c Config) Level() slog.Level {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	return lvl
}

// LogValue prints the effective configuration with secrets redacted.
func (c Config) LogValue() slog.Value {
	db := c.Database()
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("admin_addr", c.AdminAddr),
		slog.String("public_url", c.PublicURL),
		slog.String("database", db),
		slog.Bool("migrate", c.Migrate),
		slog.Bool("master_key_from_env", c.MasterKey != ""),
		slog.String("banksim", cmp.Or(c.BanksimURL, "in-process")),
		slog.String("log", c.LogFormat+"/"+c.LogLevel),
		slog.Int64("body_limit", c.BodyLimit),
		slog.Int("workers", c.Workers),
		slog.Float64("rate_limit_per_key", c.RateLimitPerKey),
		slog.Float64("rate_limit_per_ip", c.RateLimitPerIP),
		slog.Int64("page_cache_mb", c.PageCacheMB),
		slog.String("webhook_allow_private", cmp.Or(optionalBool{&c.WebhookAllowPrivate}.String(), "auto")),
		slog.Bool("provider_allow_private", c.ProviderAllowPrivate),
		slog.String("banks_file", c.BanksFile),
		slog.String("replica_id", c.ReplicaID),
		slog.Duration("lease", c.Lease),
		slog.String("request_log", fmt.Sprintf("%s sample=%v retention=%v max_rows=%d", c.RequestLog, c.RequestLogSample, c.RequestLogRetention, c.RequestLogMaxRows)),
		slog.Int64("password_memory_mb", c.PasswordMemoryMB),
		slog.Int("public_key_sessions_per_hour", c.PublicKeySessionsPerHour),
		slog.Int("public_key_customers_per_hour", c.PublicKeyCustomersPerHour),
		slog.Int("signups_per_address_per_hour", c.SignupsPerAddressPerHour),
		slog.Group("retention", slog.Duration("app_purge_grace", c.AppPurgeGrace), slog.Duration("events", c.EventRetention),
			slog.Duration("sessions", c.SessionRetention), slog.Duration("statements", c.StatementRetention)),
	)
}

// ProviderDefault is the deployment's default for one field of a
// provider's credentials: KOBO_PROVIDER_<NAME>_<FIELD> (upper case, "-"
// as "_"), e.g. KOBO_PROVIDER_MONO_SECRET_KEY. The names come from the
// providers cli wires (their Policy().Credentials), so only those fields
// are ever read.
func (c Config) ProviderDefault(provider, field string) kobo.Secret {
	if c.getenv == nil {
		return ""
	}
	return kobo.Secret(c.getenv(ProviderEnvName(provider, field)))
}

// ProviderEnvName is the variable ProviderDefault reads.
func ProviderEnvName(provider, field string) string {
	up := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
	return "KOBO_PROVIDER_" + up(provider) + "_" + up(field)
}
