package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/console"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/vault"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Level()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadConfig builds the configuration for a long-running command from
// defaults, env and flags.
func loadConfig(e env, name string) (config.Config, error) {
	cfg, err := config.Default().FromEnv(e.getenv)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg.Flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: kobo %s [flags]\n\nFlags:\n", name)
		config.PrintUsage(e.stderr, fs, true)
	}
	if perr := fs.Parse(e.args); perr != nil {
		return cfg, perr
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg = cfg.WithDerived()
	return cfg, errors.Join(err, cfg.Validate())
}

func serve(ctx context.Context, e env) error {
	cfg, err := loadConfig(e, "serve")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	return run(ctx, cfg, e.stdout, newLogger(cfg, e.stderr), nil)
}

// listening tells a caller (tests, the demo, the benchmark) where the
// server ended up when it was asked for port 0.
type listening struct {
	API   string // http://host:port
	Admin string
}

// run starts kobo and blocks until ctx is cancelled, then shuts down: it
// stops accepting requests, lets in-flight ones finish within the
// shutdown timeout, stops the workers, and closes the database last.
func run(ctx context.Context, cfg config.Config, stdout io.Writer, log *slog.Logger, ready func(listening)) error {
	started := time.Now()
	log = log.With("replica", cfg.ReplicaID) // many replicas log to one place
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	// Asked for any free port, links (paging, statements, Connect Link)
	// must name the port the kernel gave, not ":0".
	if _, port, _ := net.SplitHostPort(cfg.Addr); port == "0" && strings.HasSuffix(cfg.PublicURL, ":0") {
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	stk, err := build(ctx, cfg, log, kobo.SystemClock{})
	if err != nil {
		return err
	}
	defer stk.close()
	stk.start(ctx)

	srv := &http.Server{
		Handler:           stk.api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // PDF statements and full-history exports can be large
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()

	addrs := listening{API: "http://" + ln.Addr().String()}
	if cfg.AdminAddr != "" {
		aln, err := net.Listen("tcp", cfg.AdminAddr)
		if err != nil {
			srv.Close()
			return fmt.Errorf("listen on admin address %s: %w", cfg.AdminAddr, err)
		}
		admin := &http.Server{Handler: adminHandler(stk.reg, readiness(stk.store), fullVersion(), console.New(console.Config{App: stk.svc, Logger: log.With("component", "console")})), ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, admin)
		go func() { errc <- admin.Serve(aln) }()
		addrs.Admin = "http://" + aln.Addr().String()
	}
	if ok, why := cfg.SandboxWebhooksPrivate(); ok {
		log.Info("sandbox webhooks may reach loopback and private addresses", "why", why)
	} else {
		log.Info("sandbox webhooks are guarded like live ones: no loopback, private or link-local targets", "why", why)
	}
	if cfg.ProviderAllowPrivate {
		log.Warn("providers may reach loopback and private addresses named by customers' tokens (provider-allow-private)")
	}
	log.Info("kobo started", "version", fullVersion(), "config", cfg, "api", addrs.API, "admin", addrs.Admin, "engine", stk.store.Engine(),
		"lease", cfg.Lease, "workers", cfg.Workers, "startup", time.Since(started).Round(time.Millisecond))
	banner(stdout, cfg, addrs, stk.store.Engine())
	if ready != nil {
		ready(addrs)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			log.Warn("shutdown incomplete", "err", err)
		}
	}
	stk.stop()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	log.Info("stopped")
	return serveErr
}

// adminHandler is the operator listener: metrics, health (with the build
// and Go version, which the public /healthz does not publish), pprof and
// the operator console, kept off the public listener.
func adminHandler(reg *prometheus.Registry, ready func(context.Context) error, version string, con *console.Console) http.Handler {
	m := http.NewServeMux()
	con.Register(m)
	m.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	// profiles for operators: the admin listener is loopback-only by default
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"status\":\"ok\",\"version\":%q}\n", version)
	})
	m.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "{\"status\":\"unavailable\",\"reason\":%q}\n", err.Error())
			return
		}
		fmt.Fprintln(w, `{"status":"ready"}`)
	})
	m.HandleFunc("GET /debug/pprof/", pprof.Index)
	m.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	m.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return m
}

func banner(w io.Writer, cfg config.Config, a listening, engine string) {
	db := "SQLite at " + cfg.SQLitePath()
	if engine == "postgres" {
		db = "PostgreSQL " + cfg.Database()
	}
	fmt.Fprintf(w, "\nkobo %s is running\n\n", fullVersion())
	fmt.Fprintf(w, "  API, Connect widget, dashboard  %s\n", a.API)
	if a.Admin != "" {
		fmt.Fprintf(w, "  Operator console, metrics       %s/console\n", a.Admin)
	}
	fmt.Fprintf(w, "  Database                        %s\n", db)
	// No sample password: a copied command would make an account anyone
	// who read the banner (or the README) could log in to. The placeholder
	// is too short to be accepted, so pasting it as is fails loudly.
	fmt.Fprintf(w, "\nNext: create a partner account, then an app for its sandbox keys, in the dashboard:\n\n")
	fmt.Fprintf(w, "  %s/dashboard/signup\n\n", a.API)
	fmt.Fprintf(w, "or with the Partner API, choosing a password of your own (10 characters or more):\n\n")
	fmt.Fprintf(w, "  curl -s %s/v1/auth/signup -H 'Content-Type: application/json' \\\n", a.API)
	fmt.Fprintf(w, "    -d '{\"name\":\"Acme Lending\",\"email\":\"you@acme.ng\",\"password\":\"…\"}'\n\n")
	fmt.Fprintf(w, "  The README walks from signup to transactions in five minutes. Stop with Ctrl-C.\n\n")
}

// openVault loads the master key: KOBO_MASTER_KEY when set, else a key
// file in the data directory, created on first start. Replicas on one
// Postgres must share a key, so Postgres requires the environment key.
func openVault(cfg config.Config, engine string) (*vault.Vault, error) {
	if cfg.MasterKey != "" {
		keys, err := vault.ParseKeys(cfg.MasterKey.Reveal())
		if err != nil {
			return nil, err
		}
		return vault.New(keys...)
	}
	if engine == "postgres" {
		return nil, fmt.Errorf("KOBO_MASTER_KEY is required with PostgreSQL, so every replica decrypts the same stored credentials (generate one with: openssl rand -base64 32)")
	}
	keys, err := vault.LoadOrCreateKeyFile(keyFile(cfg))
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return vault.New(keys...)
}

// housekeeping runs the periodic work every replica shares: it enqueues
// due scheduled syncs (claims are exclusive, so replicas never double up),
// announces consents that end within a week (once each),
// purges deleted apps whose grace period is over and statement uploads
// abandoned in the widget, and hourly prunes
// finished jobs, old idempotency records and what retention no longer
// keeps (events and delivery logs, connect sessions, customers that never
// linked, statement PDFs, expired tokens, bank call counters older than a
// day, usage days older than app.UsageKept), counting it in pruned.
func housekeeping(ctx context.Context, svc *app.Service, st kobo.Store, log *slog.Logger, pruned func(what string, n int)) {
	ctx = kobo.Background(ctx)
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		if n, err := svc.ScheduleSyncs(ctx); err != nil && ctx.Err() == nil {
			log.Warn("scheduling syncs failed", "err", err)
		} else if n > 0 {
			log.Info("scheduled syncs", "accounts", n)
		}
		if n, err := svc.AnnounceExpiringConsents(ctx); err != nil && ctx.Err() == nil {
			log.Warn("announcing expiring consents failed", "err", err)
		} else if n > 0 {
			log.Info("announced expiring consents", "accounts", n)
		}
		if n, err := svc.PurgeDeletedApps(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purging deleted apps failed", "err", err)
		} else if n > 0 {
			pruned("purged_apps", n)
		}
		// abandoned widget uploads hold up to 20 MB each: every tick, not hourly
		if n, err := svc.PruneStagedUploads(ctx); err != nil && ctx.Err() == nil {
			log.Warn("pruning abandoned statement uploads failed", "err", err)
		} else if n > 0 {
			pruned("staged_uploads", n)
		}
		if time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			err := st.Update(ctx, func(tx kobo.Tx) error {
				if _, err := tx.PruneJobs(ctx, time.Now().Add(-7*24*time.Hour)); err != nil {
					return err
				}
				_, err := tx.PruneIdempotency(ctx, time.Now().Add(-app.IdempotencyTTL))
				return err
			})
			if err != nil && ctx.Err() == nil {
				log.Warn("pruning failed", "err", err)
			}
			if _, err := svc.PruneThrottles(ctx); err != nil && ctx.Err() == nil {
				log.Warn("pruning throttle counters failed", "err", err)
			}
			if n, err := svc.PruneBankHealth(ctx); err != nil && ctx.Err() == nil {
				log.Warn("pruning bank call counters failed", "err", err)
			} else if n > 0 {
				pruned("bank_calls", n)
			}
			if n, err := svc.PruneUsage(ctx); err != nil && ctx.Err() == nil {
				log.Warn("pruning usage counters failed", "err", err)
			} else if n > 0 {
				pruned("usage_days", n)
			}
			counts, err := svc.Prune(ctx)
			for k, n := range counts {
				pruned(string(k), n)
			}
			if err != nil && ctx.Err() == nil {
				log.Warn("retention pruning failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// keyFile is where the master keys live when KOBO_MASTER_KEY is not set.
func keyFile(cfg config.Config) string { return filepath.Join(cfg.DataDir, "master.key") }
