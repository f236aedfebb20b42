package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/atrest"
	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/dashboard"
	"github.com/kobo-oss/kobo/internal/enrich"
	"github.com/kobo-oss/kobo/internal/httpapi"
	"github.com/kobo-oss/kobo/internal/jobs"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres"
	bankconn "github.com/kobo-oss/kobo/internal/provider/banksim"
	"github.com/kobo-oss/kobo/internal/provider/simplefin"
	"github.com/kobo-oss/kobo/internal/provider/statement"
	"github.com/kobo-oss/kobo/internal/statementimport"
	"github.com/kobo-oss/kobo/internal/webhook"
	"github.com/kobo-oss/kobo/internal/widget"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// stack is a wired kobo process without its listeners: what serve runs
// and what end-to-end tests drive through an httptest server.
type stack struct {
	cfg        config.Config
	log        *slog.Logger
	store      store         // the engine: migrations, LISTEN, close
	sealed     *atrest.Store // what every component reads and writes through
	svc        *app.Service
	api        *httpapi.Server
	runner     *jobs.Runner
	dispatcher *webhook.Dispatcher
	reg        *prometheus.Registry

	pruned func(what string, n int) // counts what retention removed (kobo_pruned_total)

	tppKeys *tppKeyring // nil without a banks file

	stopWork func()
	done     []chan struct{}
}

// build opens the store, wires every component and seeds the catalog.
func build(ctx context.Context, cfg config.Config, log *slog.Logger, clock kobo.Clock) (*stack, error) {
	policy := migrateAlways
	if cfg.Engine() == "postgres" && !cfg.Migrate {
		policy = migrateRefuse
	}
	st, err := openStore(ctx, cfg, log, policy)
	if err != nil {
		return nil, err
	}
	vlt, err := openVault(cfg, st.Engine())
	if err == nil {
		err = app.VerifyMasterKey(ctx, st, clock, vlt)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	// Everything above the engine sees the store through the at-rest
	// sealing; plaintext an older database still holds is sealed first.
	sealed, err := sealStore(ctx, st, vlt, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	// keys for other purposes are kept in the database, so they survive a
	// rotation of the master key and replicas share them
	fpKey, err := sealed.DerivedKey(ctx, "account-fingerprint", func() []byte { return vlt.Derive("account-fingerprint") })
	if err != nil {
		st.Close()
		return nil, err
	}
	urlKey, err := sealed.DerivedKey(ctx, "statement-links", func() []byte { return vlt.Derive("statement-links") })
	if err != nil {
		st.Close()
		return nil, err
	}
	// The work names the replica too (run puts it on every log line): its
	// lease holder ids are the replica id with a suffix unique to this
	// process (two processes given one id must still not share leases).
	s := &stack{cfg: cfg, log: log, store: st, sealed: sealed}
	s.reg = prometheus.NewRegistry()
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	work := replicaRegisterer(s.reg, cfg.ReplicaID)
	jobMetrics, hookMetrics, hookLag, fetchOutcome, bankError := workMetrics(work)
	jobClaims := claimMetrics(work)
	s.reg.MustRegister(queueCollector{store: sealed, clock: clock})
	s.pruned = prunedMetric(s.reg)
	s.runner = jobs.New(jobs.Config{Store: sealed, Clock: clock, Logger: log.With("component", "jobs"), Workers: cfg.Workers, Lease: cfg.Lease, Metrics: jobMetrics,
		Claimed: jobClaims, WorkerID: leaseHolder(cfg.ReplicaID)})
	runningJobs(work, s.runner.Running)
	bank := sandboxBank(cfg, clock, log, sandboxState{st: sealed, clock: clock})
	providers, provDefaults, catalog := upstreamProviders(cfg, clock, log, bank)
	sandboxPrivate, _ := cfg.SandboxWebhooksPrivate()
	sfin := simplefin.New(simplefin.Config{Logger: log.With("component", "simplefin"), Clock: clock, AllowPrivate: cfg.ProviderAllowPrivate})
	providers[simplefin.Name] = sfin
	catalog = append(catalog, simplefin.Catalog()...)
	std, err := standardBanks(cfg.BanksFile, standards())
	if err == nil && len(std) > 0 {
		// the certificates and keys entries name in the database
		// (cert_secret, signing_secret), re-read while serving
		s.tppKeys = newTPPKeyring(sealed, log.With("component", "tpp-keys"), s.reg)
		err = s.tppKeys.load(ctx)
	}
	if err == nil {
		catalog, err = wireOBIE(std[obieStandard], clock, log, s.tppKeys, providers, catalog)
	}
	if err == nil {
		catalog, err = wireBerlinGroup(std[berlinGroupStandard], clock, log, s.tppKeys, providers, catalog)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	s.svc = app.New(app.Config{
		Store: sealed, Clock: clock, Logger: log.With("component", "app"), TokenTTL: cfg.TokenTTL,
		Sealer: vlt, FingerprintKey: fpKey, Categorize: enrich.Categorize,
		URLSigningKey: urlKey, KeyRateLimit: cfg.RateLimitPerKey, IPRateLimit: cfg.RateLimitPerIP,
		PageCacheBytes: pageCacheBytes(cfg.PageCacheMB), PasswordMemoryBudget: cfg.PasswordMemoryMB << 20,
		Throttles: app.Throttles{SessionsPerPublicKey: cfg.PublicKeySessionsPerHour, CustomersPerPublicKey: cfg.PublicKeyCustomersPerHour, SignupsPerAddress: cfg.SignupsPerAddressPerHour},
		RequestLog: app.RequestLogConfig{Mode: app.RequestLogMode(cfg.RequestLog), SampleRate: cfg.RequestLogSample,
			Retention: cfg.RequestLogRetention, MaxRows: cfg.RequestLogMaxRows},
		Notify:    func() { s.runner.Notify(); s.dispatcher.Notify() },
		Providers: providers, ProviderDefaults: mergeDefaults(provDefaults, providerDefaults(cfg, providers)), Sandbox: bank, Renderer: webhook.Renderer{},
		FetchOutcome: fetchOutcome, BankError: bankError, SandboxWebhooksPrivate: sandboxPrivate,
		ProviderOutcome: providerMetrics(work), PublicURL: cfg.PublicURL, GoLivePolicy: cfg.GoLivePolicy,
		Statements: statement.New(statementimport.NewPDFParser()),
		Retention: app.Retention{AppPurgeGrace: cfg.AppPurgeGrace, Events: cfg.EventRetention, Sessions: cfg.SessionRetention,
			Statements: cfg.StatementRetention},
	})
	s.dispatcher = webhook.NewDispatcher(webhook.DispatcherConfig{
		Store: sealed, Clock: clock, Logger: log.With("component", "webhooks"), Send: webhook.NewClient(10 * time.Second).Send,
		Health: s.svc.RecordWebhookHealth, Backoff: webhook.Backoff, MaxAttempts: webhook.MaxAttempts, Lease: cfg.Lease,
		Metrics: hookMetrics, FirstAttemptLag: hookLag, SandboxPrivate: sandboxPrivate, WorkerID: leaseHolder(cfg.ReplicaID),
		Delivered: s.svc.CountWebhook,
	})
	if err := s.svc.SeedInstitutions(ctx, catalog); err != nil {
		st.Close()
		return nil, fmt.Errorf("seed institutions: %w", err)
	}
	for _, kind := range app.FetchJobKinds {
		s.runner.Handle(kind, s.svc.FetchAccount)
	}
	s.runner.Handle(app.JobBuildStatement, s.svc.BuildStatement)
	s.runner.Handle(app.JobAnalyzeIncome, s.svc.AnalyzeIncomeJob)
	s.runner.Handle(app.JobEnrich, s.svc.RunEnrichment)
	s.runner.Handle(app.JobIngestStatement, s.svc.IngestStatement)
	s.api = httpapi.New(httpapi.Config{
		App: s.svc, Logger: log.With("component", "http"), Clock: clock, PublicURL: cfg.PublicURL,
		BodyLimit: cfg.BodyLimit, Registry: s.reg, Ready: readiness(st),
	})
	var origins []string // embedded provider widgets the widget page may load
	for _, p := range providers {
		if sh, ok := p.(kobo.ScriptHost); ok {
			origins = append(origins, sh.ScriptOrigins()...)
		}
	}
	slices.Sort(origins)
	for pattern, h := range widget.New(origins...).Routes() {
		s.api.Handle(pattern, h)
	}
	dash := dashboard.New(dashboard.Config{App: s.svc, Logger: log.With("component", "dashboard"), Clock: clock, PublicURL: cfg.PublicURL})
	for pattern, h := range dash.Routes() {
		s.api.Handle(pattern, h)
	}
	return s, nil
}

// start runs the background workers until stop.
func (s *stack) start(ctx context.Context) {
	workCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWork = cancel
	spawn := func(fn func(context.Context)) {
		done := make(chan struct{})
		s.done = append(s.done, done)
		go func() { defer close(done); fn(workCtx) }()
	}
	spawn(func(ctx context.Context) { _ = s.runner.Run(ctx) })
	spawn(func(ctx context.Context) { _ = s.dispatcher.Run(ctx) })
	spawn(s.svc.RunRequestLog)
	spawn(s.svc.RunBankHealth)
	spawn(s.svc.RunUsage)
	if s.tppKeys != nil {
		spawn(func(ctx context.Context) { s.tppKeys.refresh(ctx, tppKeyRefresh) })
	}
	spawn(func(ctx context.Context) {
		housekeeping(ctx, s.svc, s.sealed, s.log.With("component", "scheduler"), s.pruned)
	})
	if pg, ok := s.store.(*postgres.Store); ok {
		spawn(func(ctx context.Context) { pg.Listen(ctx, postgres.JobsChannel, s.log, s.runner.Notify) })
		spawn(func(ctx context.Context) { pg.Listen(ctx, postgres.WebhooksChannel, s.log, s.dispatcher.Notify) })
	}
}

// stop ends the workers and waits for them: jobs in progress finish or go
// back to the queue, webhook outcomes are recorded.
func (s *stack) stop() {
	if s.stopWork != nil {
		s.stopWork()
	}
	for _, d := range s.done {
		<-d
	}
	s.done = nil
}

func (s *stack) close() {
	s.stop()
	s.store.Close()
}

// pageCacheBytes turns the configured MiB into app's setting, where zero
// means the default and a negative size turns the cache off.
func pageCacheBytes(mb int64) int64 {
	if mb == 0 {
		return -1
	}
	return mb << 20
}

// sandboxBank is the connector to the sandbox bank: the simulator in this
// process (through an in-memory transport, no listener) or, with
// --banksim-url, one running elsewhere (kobo banksim).
func sandboxBank(cfg config.Config, clock kobo.Clock, log *slog.Logger, state banksim.State) *bankconn.Connector {
	if cfg.BanksimURL != "" {
		return bankconn.New(bankconn.Config{BaseURL: cfg.BanksimURL, Logger: log.With("component", "banksim-connector")})
	}
	sim := banksim.New(banksim.Config{Seed: cfg.BanksimSeed, Clock: clock, Logger: log.With("component", "banksim"), State: state})
	return bankconn.New(bankconn.Config{BaseURL: "http://banksim.internal", HTTPClient: &http.Client{Transport: banksim.Transport(sim.Handler())},
		Logger: log.With("component", "banksim-connector")})
}

// workMetrics registers the background work's metrics: jobs by kind and
// outcome with their durations, webhook attempts by event and result with
// their latency and how long events waited for their first attempt, how
// fetches of accounts ended, and bank errors by institution.
func workMetrics(reg prometheus.Registerer) (jobs func(kind, outcome string, d time.Duration), hooks func(event string, ok bool, d time.Duration),
	hookLag func(time.Duration), fetch func(reason, code string), bank func(institution, call string, kind kobo.BankErrorKind)) {
	jobsDone := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_jobs_total", Help: "Finished job runs by kind and outcome."}, []string{"kind", "outcome"})
	jobTime := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kobo_job_duration_seconds", Help: "Job run time by kind.",
		Buckets: prometheus.ExponentialBuckets(0.005, 3, 10)}, []string{"kind"})
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_webhook_attempts_total", Help: "Webhook delivery attempts by event and result."}, []string{"event", "result"})
	hookTime := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kobo_webhook_attempt_seconds", Help: "Webhook POST latency.",
		Buckets: prometheus.ExponentialBuckets(0.005, 3, 9)})
	lag := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kobo_webhook_lag_seconds", Help: "Time from an event to its first delivery attempt.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)})
	fetches := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_account_fetches_total",
		Help: "Fetches of an account's data by reason (link, reauth, sync, realtime) and outcome code."}, []string{"reason", "code"})
	bankErrs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_bank_errors_total",
		Help: "Errors bank connectors returned, by institution, call and kind."}, []string{"institution", "call", "kind"})
	reg.MustRegister(jobsDone, jobTime, attempts, hookTime, lag, fetches, bankErrs)
	return func(kind, outcome string, d time.Duration) {
			jobsDone.WithLabelValues(kind, outcome).Inc()
			jobTime.WithLabelValues(kind).Observe(d.Seconds())
		}, func(event string, ok bool, d time.Duration) {
			result := "ok"
			if !ok {
				result = "failed"
			}
			attempts.WithLabelValues(event, result).Inc()
			hookTime.Observe(d.Seconds())
		}, func(d time.Duration) { lag.Observe(d.Seconds()) },
		func(reason, code string) { fetches.WithLabelValues(reason, code).Inc() },
		func(institution, call string, kind kobo.BankErrorKind) {
			bankErrs.WithLabelValues(institution, call, string(kind)).Inc()
		}
}

// queueCollector reports the backlog at scrape time: jobs due by kind and
// webhook deliveries due, with the age of the oldest of each.
type queueCollector struct {
	store kobo.Store
	clock kobo.Clock
}

func (queueCollector) descs() (depth, age *prometheus.Desc) {
	return prometheus.NewDesc("kobo_queue_depth", "Background work due now, by queue (job kind, or webhooks).", []string{"queue"}, nil),
		prometheus.NewDesc("kobo_queue_oldest_seconds", "How long the oldest work due in a queue has waited.", []string{"queue"}, nil)
}

func (q queueCollector) Describe(ch chan<- *prometheus.Desc) {
	depth, age := q.descs()
	ch <- depth
	ch <- age
}

func (q queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := q.clock.Now()
	var st kobo.QueueStats
	if err := q.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		st, err = tx.QueueStats(ctx, now)
		return err
	}); err != nil {
		return // a scrape without the queue figures beats a failed scrape
	}
	depthDesc, ageDesc := q.descs()
	for _, d := range append(st.Jobs, st.Deliveries) {
		age := 0.0
		if d.OldestDue != nil {
			age = max(now.Sub(*d.OldestDue).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(d.Depth), d.Kind)
		ch <- prometheus.MustNewConstMetric(ageDesc, prometheus.GaugeValue, age, d.Kind)
	}
}

// sealBatch is how many rows one sealing or re-sealing transaction takes.
const sealBatch = 500

// sealStore wraps st in the at-rest sealing and seals the plaintext an
// older database holds (migration 0008 lists the fields). Every replica
// may run it at once: a value is replaced only if it is still what was
// read.
func sealStore(ctx context.Context, st kobo.Store, vlt kobo.Sealer, log *slog.Logger) (*atrest.Store, error) {
	sealed := atrest.Wrap(st, vlt)
	n, err := sealed.SealPlaintext(ctx, sealBatch)
	if err != nil {
		return nil, fmt.Errorf("sealing stored personal data: %w", err)
	}
	if n > 0 {
		log.Info("sealed personal data stored in plaintext by an older kobo", "values", n)
		// the overwritten plaintext must not stay in SQLite's WAL either
		if c, ok := st.(interface{ Checkpoint(context.Context) error }); ok {
			if err := c.Checkpoint(ctx); err != nil {
				return nil, err
			}
		}
	}
	return sealed, nil
}

// prunedMetric registers kobo_pruned_total: rows retention removed, by
// what they were (events, connect_sessions, customers, statements, tokens,
// purged_apps for deleted apps whose data went, staged_uploads for
// widget statement uploads that were never exchanged, and usage_days for
// per-day usage past app.UsageKept).
func prunedMetric(reg *prometheus.Registry) func(what string, n int) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_pruned_total",
		Help: "Rows removed by retention and deleted-app purges, by kind."}, []string{"kind"})
	reg.MustRegister(c)
	for _, k := range kobo.PruneKinds {
		c.WithLabelValues(string(k)) // present at zero, so alerts can tell "none" from "not running"
	}
	c.WithLabelValues("purged_apps")
	c.WithLabelValues("staged_uploads") // widget statement uploads nobody exchanged
	c.WithLabelValues("usage_days")     // per-day usage rows past app.UsageKept
	return func(what string, n int) { c.WithLabelValues(what).Add(float64(n)) }
}

// providerDefaults reads each provider's declared credential fields from
// the environment (config.ProviderDefault); providers with none set get
// no defaults.
func providerDefaults(cfg config.Config, providers map[string]kobo.Provider) map[string]kobo.ProviderCredentials {
	out := map[string]kobo.ProviderCredentials{}
	for name, p := range providers {
		pp, ok := p.(kobo.Policied)
		if !ok {
			continue
		}
		creds := kobo.ProviderCredentials{}
		for _, f := range pp.Policy().Credentials {
			if v := cfg.ProviderDefault(name, f); v != "" {
				creds[f] = v
			}
		}
		if len(creds) > 0 {
			out[name] = creds
		}
	}
	return out
}

// providerMetrics counts provider calls by provider, call and outcome
// ("ok", a bank error kind, or "budget": kobo refused to call out because
// the app's per-minute budget at the provider was spent).
func providerMetrics(reg prometheus.Registerer) app.ProviderOutcome {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_provider_calls_total",
		Help: "Calls to bank providers by provider, call and outcome (ok, a bank error kind, or budget: refused before calling out)."}, []string{"provider", "call", "outcome"})
	denied := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_provider_budget_denials_total",
		Help: "Provider calls and syncs kobo refused before calling out, by provider and reason (budget, manual_sync_interval, sync_interval)."}, []string{"provider", "reason"})
	reg.MustRegister(calls, denied)
	return func(provider, call, outcome string) {
		switch {
		case call == "sync": // a sync refused by the provider's policy: no call was made
			denied.WithLabelValues(provider, outcome).Inc()
			return
		case outcome == "budget":
			denied.WithLabelValues(provider, "budget").Inc()
		}
		calls.WithLabelValues(provider, call, outcome).Inc()
	}
}

// mergeDefaults adds the KOBO_PROVIDER_<NAME>_<FIELD> defaults to those a
// provider's own variables set (which win).
func mergeDefaults(own, env map[string]kobo.ProviderCredentials) map[string]kobo.ProviderCredentials {
	out := map[string]kobo.ProviderCredentials{}
	for _, m := range []map[string]kobo.ProviderCredentials{env, own} {
		for name, creds := range m {
			if out[name] == nil {
				out[name] = kobo.ProviderCredentials{}
			}
			for k, v := range creds {
				out[name][k] = v
			}
		}
	}
	return out
}
