// Package app holds kobo's business rules: every use case (partner signup
// and login, app and key management, key authentication, the institutions
// catalog and each institution's health, and later the connect flow, data
// reads, sync, webhooks) written once, above the storage seam, and shared
// by the HTTP API, the widget, the dashboard, the jobs and the CLI.
//
// It depends on the domain package (storage is a kobo.Store, time is a
// kobo.Clock, banks are kobo.Providers) and on two pure libraries with no
// I/O of their own: enrich (categories, income) and statement (PDF
// rendering). Validation happens here, so every entry point rejects the
// same bad input with the same message.
package app

import (
	"cmp"
	"context"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/enrich"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Config is what a Service needs.
type Config struct {
	Store    kobo.Store
	Clock    kobo.Clock
	Logger   *slog.Logger
	TokenTTL time.Duration // Partner API bearer token lifetime (default 24h)
	// KeyCacheTTL bounds how long a resolved API key is trusted without a
	// database read. Rotation purges the local cache at once; other
	// replicas see a revocation within this window. Suspensions do not
	// wait for it: each cached key is checked against the holds' epoch.
	KeyCacheTTL time.Duration
	// PasswordParams tunes argon2id; zero uses OWASP's recommendation.
	PasswordParams PasswordParams
	// PasswordMemoryBudget bounds the memory argon2id may hold at once in
	// this process (default 256 MiB), and PasswordCPUs (default
	// GOMAXPROCS) the hashes at once to twice that; PasswordQueue is how
	// many password checks may wait (default 16 rounds' worth, negative:
	// none) and PasswordWait for how long (default 5s) before the answer
	// is 503 with Retry-After.
	PasswordMemoryBudget int64
	PasswordCPUs         int
	PasswordQueue        int
	PasswordWait         time.Duration
	// Throttles are the abuse limits kept in the database (failed logins,
	// signups, password checks, what a public key may create); zero fields
	// take the defaults.
	Throttles Throttles

	// Providers are the bank connectors, by kobo.Institution.Provider.
	Providers map[string]kobo.Provider
	// ProviderDefaults are the deployment's credentials per provider (from
	// the environment), used for apps that configured none of their own.
	ProviderDefaults map[string]kobo.ProviderCredentials
	// Sandbox controls the simulated bank for sandbox endpoints (may be nil).
	Sandbox kobo.Sandbox
	// Sealer encrypts bank credentials and sessions at rest.
	Sealer kobo.Sealer
	// FingerprintKey keys the HMAC that recognises a re-linked bank account
	// without storing anything derived from the raw number in the clear.
	FingerprintKey []byte
	// Renderer renders webhook payloads when events are recorded.
	Renderer kobo.EventRenderer
	// Categorize assigns a transaction its category at ingest.
	Categorize func(narration string, typ kobo.TxnType, amount int64) string
	// Notify is called after a commit that enqueued jobs, to wake workers.
	Notify func()
	// KeyRateLimit and IPRateLimit cap API requests per second per API key
	// and per client address (bursts of twice that); zero turns a limit off.
	KeyRateLimit, IPRateLimit float64
	// URLSigningKey signs statement download links.
	URLSigningKey []byte
	// RequestLog bounds the API request log (which calls, how long, how
	// many lines); the zero value keeps every call for 7 days, up to a
	// million lines.
	RequestLog RequestLogConfig
	// PageCacheBytes bounds the cache of recently served transaction
	// pages; zero uses 32 MiB, negative turns the cache off.
	PageCacheBytes int64
	// FetchOutcome is told how each fetch of an account's data ended (the
	// reason: link, reauth, sync (scheduled or asked for), realtime; the code:
	// SYNC_SUCCESSFUL, REAUTHORISATION_REQUIRED, ...). May be nil.
	FetchOutcome func(reason, code string)
	// Statements reads uploaded statement files (nil: uploads are off).
	Statements kobo.StatementReader
	// BankError is told of every error a bank connector returns, by
	// institution, call and kind. May be nil.
	BankError func(institution, call string, kind kobo.BankErrorKind)
	// ProviderOutcome is told of every provider call by provider, call and
	// outcome ("ok", a bank error kind, or "budget" when kobo refused to
	// call out). May be nil.
	ProviderOutcome ProviderOutcome
	// PublicURL is kobo's own address as customers' browsers reach it
	// (the redirect consent's callback is <PublicURL>/connect/callback/{provider}).
	PublicURL string
	// SandboxWebhooksPrivate lets sandbox apps save webhook URLs on
	// loopback and private hosts (a developer's kobo; cli wires the
	// dispatcher's switch alike). Live apps never may.
	SandboxWebhooksPrivate bool
	// LookupHost resolves webhook hosts when they are saved; nil uses
	// net.DefaultResolver.
	LookupHost func(ctx context.Context, host string) ([]netip.Addr, error)
	// GoLivePolicy is kobo.GoLivePolicyAutomatic (the default) or
	// kobo.GoLivePolicyReview, until the operator sets one in the console.
	GoLivePolicy string
	// Retention says how long deleted apps' data, events, sessions and
	// statements are kept (zero fields: DefaultRetention).
	Retention Retention
}

// Service implements the use cases.
type Service struct {
	store    kobo.Store
	clock    kobo.Clock
	log      *slog.Logger
	tokenTTL time.Duration
	pw       PasswordParams
	// dummyPW is a hash to verify against when the email is unknown, so
	// timing does not reveal which accounts exist. It is made on first use:
	// argon2id's 19 MiB would otherwise cost every start time and memory.
	dummyPW func() string

	ipLimiter    *keyedLimiter
	gate         *hashGate
	throttles    Throttles
	keys         *keyCache
	holds        *epochWatch // of kobo.EpochHolds, for the key cache
	catalog      *catalogCache
	health       *healthRecorder
	healthCache  *healthCache
	pages        *pageCache
	fetchOutcome func(reason, code string)
	bankError    func(institution, call string, kind kobo.BankErrorKind)

	providers    map[string]kobo.Provider
	provDefaults map[string]kobo.ProviderCredentials
	provOutcome  ProviderOutcome
	publicURL    string
	statements   kobo.StatementReader
	sandbox      kobo.Sandbox
	sealer       kobo.Sealer
	fpKey        []byte
	renderer     kobo.EventRenderer
	categorize   func(string, kobo.TxnType, int64) string
	notify       func()

	sandboxPrivate bool
	lookupHost     func(context.Context, string) ([]netip.Addr, error)
	urlKey         []byte
	reqlog         *requestLog
	usage          *usageRecorder
	keyLimiter     *keyedLimiter // nil: unlimited
	apiIPLimiter   *keyedLimiter // nil: unlimited (API traffic; ipLimiter is for logins)
	retention      Retention
	goLiveDefault  string
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{
		store:    c.Store,
		clock:    cmp.Or[kobo.Clock](c.Clock, kobo.SystemClock{}),
		log:      cmp.Or(c.Logger, slog.New(slog.DiscardHandler)),
		tokenTTL: cmp.Or(c.TokenTTL, 24*time.Hour),
		pw:       c.PasswordParams.withDefaults(),
	}
	s.dummyPW = sync.OnceValue(func() string { return hashPassword("kobo-dummy-password", s.pw) })
	// Login attempts: 60 per address per minute in this process, a load
	// bound. Who may guess how often is decided by the failed-login
	// throttles in the database (Throttles).
	s.ipLimiter = newKeyedLimiter(s.clock, 1, 60)
	s.gate = newHashGate(cmp.Or(c.PasswordMemoryBudget, 256<<20), s.pw, cmp.Or(c.PasswordCPUs, runtime.GOMAXPROCS(0)), c.PasswordQueue, cmp.Or(c.PasswordWait, 5*time.Second))
	s.throttles = c.Throttles.withDefaults()
	s.keys = newKeyCache(s.clock, cmp.Or(c.KeyCacheTTL, 5*time.Second))
	s.holds = newEpochWatch(s.store, kobo.EpochHolds)
	s.catalog = &catalogCache{}
	s.health = &healthRecorder{pending: map[healthKey]*kobo.BankCalls{}}
	s.healthCache = &healthCache{m: map[string]healthEntry{}}
	s.pages = newPageCache(cmp.Or(c.PageCacheBytes, 32<<20))
	s.fetchOutcome, s.bankError = c.FetchOutcome, c.BankError
	if s.fetchOutcome == nil {
		s.fetchOutcome = func(string, string) {}
	}
	s.reqlog = newRequestLog(c.RequestLog)
	s.usage = newUsageRecorder()
	if c.KeyRateLimit > 0 {
		s.keyLimiter = newKeyedLimiter(s.clock, c.KeyRateLimit, int(2*c.KeyRateLimit))
	}
	if c.IPRateLimit > 0 {
		s.apiIPLimiter = newKeyedLimiter(s.clock, c.IPRateLimit, int(2*c.IPRateLimit))
	}
	s.providers, s.sandbox, s.sealer, s.fpKey = c.Providers, c.Sandbox, c.Sealer, c.FingerprintKey
	s.provDefaults, s.provOutcome, s.publicURL = c.ProviderDefaults, c.ProviderOutcome, c.PublicURL
	s.statements = c.Statements
	s.retention = c.Retention.withDefaults()
	s.goLiveDefault = cmp.Or(c.GoLivePolicy, kobo.GoLivePolicyAutomatic)
	s.renderer = c.Renderer
	if s.renderer == nil {
		s.renderer = minimalRenderer{}
	}
	s.categorize = c.Categorize
	if s.categorize == nil {
		s.categorize = enrich.Categorize
	}
	s.urlKey = c.URLSigningKey
	if len(s.urlKey) == 0 {
		s.urlKey = []byte(kobo.RandomToken(32)) // links then last only as long as this process
	}
	s.notify = c.Notify
	if s.notify == nil {
		s.notify = func() {}
	}
	s.sandboxPrivate = c.SandboxWebhooksPrivate
	s.lookupHost = c.LookupHost
	if s.lookupHost == nil {
		s.lookupHost = defaultLookupHost
	}
	return s
}

// SandboxWebhooksPrivate reports whether sandbox apps' webhooks may reach
// loopback and private hosts on this kobo (the dashboard says so).
func (s *Service) SandboxWebhooksPrivate() bool { return s.sandboxPrivate }

// Clock returns the service's clock.
func (s *Service) Clock() kobo.Clock { return s.clock }

// Store returns the service's store.
func (s *Service) Store() kobo.Store { return s.store }

// now returns the current time at microsecond precision, which is what both
// engines store, so values read back compare equal.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }
