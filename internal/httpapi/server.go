package httpapi

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what a Server needs.
type Config struct {
	App       *app.Service
	Logger    *slog.Logger
	Clock     kobo.Clock
	PublicURL string // absolute base for links, e.g. https://api.example.com
	BodyLimit int64
	// Registry receives the HTTP metrics; cli also registers job and
	// webhook metrics on it and serves it on the admin listener.
	Registry *prometheus.Registry
	// Ready reports whether the process can serve traffic (database
	// reachable, migrations current); /readyz calls it.
	Ready func(ctx context.Context) error
}

// Server is the HTTP API.
type Server struct {
	app       *app.Service
	log       *slog.Logger
	clock     kobo.Clock
	publicURL string
	bodyLimit int64
	ready     func(context.Context) error
	mux       *routeMux
	metrics   *metrics
	handler   http.Handler

	catMu    sync.Mutex
	catCache map[string]*encoded // encoded institution responses, by catalog version and query
	catVer   int64

	bodies sync.Pool // *[]byte response buffers for transaction pages
}

// New builds the server and registers its routes.
func New(c Config) *Server {
	s := &Server{
		app:       c.App,
		log:       cmp.Or(c.Logger, slog.New(slog.DiscardHandler)),
		clock:     cmp.Or[kobo.Clock](c.Clock, kobo.SystemClock{}),
		publicURL: strings.TrimRight(c.PublicURL, "/"),
		bodyLimit: cmp.Or(c.BodyLimit, 1<<20),
		ready:     c.Ready,
		mux:       newRouteMux(),
		catCache:  map[string]*encoded{},
	}
	s.bodies.New = func() any { b := make([]byte, 0, 32<<10); return &b }
	reg := c.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(reg)
	s.routes()
	s.handler = s.recoverer(s.withRequestID(s.observe(s.limitBody(http.HandlerFunc(s.route)))))
	return s
}

// Handler is the public listener's handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Handle mounts h on the public mux (for the widget, dashboard and
// banksim), behind the same middleware.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.ServeMux.Handle(pattern, h) }

// PublicURL is the configured external base URL.
func (s *Server) PublicURL() string { return s.publicURL }

// handler is a route that returns its error.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) wrap(fl flavour, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, fl, err)
		}
	})
}

// fail logs and writes an error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, fl flavour, err error) {
	if st := StatusOf(err); st >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path)
	}
	s.writeError(w, r, fl, err)
}

func (s *Server) v1(h handler) http.Handler      { return s.wrap(flavourV1, h) }
func (s *Server) v2(h handler) http.Handler      { return s.wrap(flavourV2, h) }
func (s *Server) partner(h handler) http.Handler { return s.wrap(flavourPartner, h) }

func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	m.Handle("GET /readyz", http.HandlerFunc(s.readyz))
	s.docRoutes() // the OpenAPI document and /docs (routes.go)

	// Partner API (ours; Mono never published its shape).
	m.Handle("POST /v1/auth/signup", s.partner(s.signup))
	m.Handle("POST /v1/auth/login", s.partner(s.login))
	m.Handle("POST /v1/auth/logout", s.partner(s.bearer(s.logout)))
	m.Handle("GET /v1/auth/me", s.partner(s.bearer(s.me)))
	m.Handle("POST /v1/auth/password", s.partner(s.bearer(s.changePassword)))
	m.Handle("GET /v1/apps", s.partner(s.bearer(s.listApps)))
	m.Handle("POST /v1/apps", s.partner(s.bearer(s.createApp)))
	m.Handle("PATCH /v1/apps", s.partner(s.bearer(s.appByQuery(s.updateApp))))
	m.Handle("PUT /v1/apps", s.partner(s.bearer(s.appByQuery(s.updateApp))))
	m.Handle("DELETE /v1/apps", s.partner(s.bearer(s.appByQuery(s.deleteApp))))
	m.Handle("GET /v1/apps/{id}", s.partner(s.bearer(s.getApp)))
	m.Handle("PATCH /v1/apps/{id}", s.partner(s.bearer(s.updateApp)))
	m.Handle("PUT /v1/apps/{id}", s.partner(s.bearer(s.updateApp)))
	m.Handle("DELETE /v1/apps/{id}", s.partner(s.bearer(s.deleteApp)))
	m.Handle("POST /v1/apps/{id}/keys/rotate", s.partner(s.bearer(s.rotateKeys)))
	m.Handle("POST /v1/apps/{id}/webhook/rotate", s.partner(s.bearer(s.rotateWebhook)))
	m.Handle("GET /v1/apps/{id}/addons", s.partner(s.bearer(s.listAddons)))
	m.Handle("POST /v1/apps/{id}/addons/{addon}", s.partner(s.bearer(s.requestAddon)))
	m.Handle("GET /v1/apps/{id}/golive", s.partner(s.bearer(s.getGoLive)))
	m.Handle("POST /v1/apps/{id}/golive", s.partner(s.bearer(s.postGoLive)))
	m.Handle("GET /v1/apps/{id}/usage", s.partner(s.bearer(s.appUsage)))
	s.teamRoutes() // teams and the audit log (teams.go)

	// Providers' own webhooks (Mono's, for apps that link through Mono).
	m.Handle("POST /v1/providers/{provider}/webhooks/{app_id}", s.v1(s.providerWebhook))

	// Institutions.
	m.Handle("GET /coverage", s.v1(s.coverage))
	m.Handle("GET /v1/institutions", s.v1(s.institutionsV1))
	m.Handle("GET /v3/institutions", s.v2(s.secret(s.institutionsV3)))
	m.Handle("GET /static/institutions/{file}", http.HandlerFunc(s.institutionIcon))

	// Headless Connect (Partners API), v1 and v2.
	m.Handle("POST /v1/connect/session", s.v1(s.secret(s.headless(s.idempotent(flavourV1, s.createSessionV1)))))
	m.Handle("POST /v1/connect/login", s.v1(s.secret(s.headless(s.idempotent(flavourV1, s.connectStep(false, false))))))
	m.Handle("POST /v1/connect/commit", s.v1(s.secret(s.headless(s.idempotent(flavourV1, s.connectStep(false, true))))))
	m.Handle("POST /v2/connect/session", s.v2(s.secret(s.headless(s.idempotent(flavourV2, s.createSessionV2)))))
	m.Handle("POST /v2/connect/login", s.v2(s.secret(s.headless(s.idempotent(flavourV2, s.connectStep(true, false))))))
	m.Handle("POST /v2/connect/commit", s.v2(s.secret(s.headless(s.idempotent(flavourV2, s.connectStep(true, true))))))
	m.Handle("GET /v2/connect/sandbox", s.v2(s.secret(s.sandboxCredentials)))
	m.Handle("GET /connect/callback/{provider}", http.HandlerFunc(s.consentCallback))

	// Code exchange and account details.
	m.Handle("POST /account/auth", s.v1(s.secret(s.idempotent(flavourV1, s.exchange(false)))))
	m.Handle("POST /accounts/auth", s.v1(s.secret(s.idempotent(flavourV1, s.exchange(false)))))
	m.Handle("POST /v2/accounts/auth", s.v2(s.secret(s.idempotent(flavourV2, s.exchange(true)))))
	m.Handle("GET /accounts/{id}", s.v1(s.secret(s.accountV1)))
	m.Handle("GET /v2/accounts/{id}", s.v2(s.secret(s.realtime(s.accountV2))))

	// Financial data.
	m.Handle("GET /accounts/{id}/transactions", s.v1(s.secret(s.untilReady(false, emptyPaged, s.transactions(false)))))
	m.Handle("GET /v2/accounts/{id}/transactions", s.v2(s.secret(s.realtime(s.untilReady(true, emptyList, s.transactions(true))))))
	m.Handle("GET /v2/accounts/{id}/transactions/sync", s.v2(s.secret(s.untilReady(true, emptyObject, s.transactionsSync))))
	m.Handle("GET /accounts/{id}/credits", s.v1(s.secret(s.untilReady(false, emptyTotals, s.monthTotals(true, false)))))
	m.Handle("GET /accounts/{id}/debits", s.v1(s.secret(s.untilReady(false, emptyTotals, s.monthTotals(false, false)))))
	m.Handle("GET /v2/accounts/{id}/credits", s.v2(s.secret(s.untilReady(true, emptyObject, s.monthTotals(true, true)))))
	m.Handle("GET /v2/accounts/{id}/debits", s.v2(s.secret(s.untilReady(true, emptyObject, s.monthTotals(false, true)))))
	m.Handle("GET /v2/accounts/{id}/balance", s.v2(s.secret(s.realtimeJob(app.JobSyncBalance, s.untilReady(true, emptyObject, s.balanceV2)))))
	m.Handle("GET /accounts/{id}/identity", s.v1(s.secret(s.untilReady(false, emptyObject, s.identityV1))))
	m.Handle("GET /v2/accounts/{id}/identity", s.v2(s.secret(s.untilReady(true, emptyObject, s.identityV2))))
	m.Handle("GET /accounts/{id}/statement", s.v1(s.secret(s.untilReady(false, emptyMeta, s.statement(false)))))
	m.Handle("GET /v2/accounts/{id}/statement", s.v2(s.secret(s.realtime(s.untilReady(true, emptyObject, s.statement(true))))))
	m.Handle("GET /accounts/{id}/statement/jobs/{job}", s.v1(s.secret(s.statementJob(false))))
	m.Handle("GET /v2/accounts/{id}/statement/jobs/{job}", s.v2(s.secret(s.statementJob(true))))
	m.Handle("GET /statements/{file}", s.v1(s.statementPDF))
	m.Handle("GET /accounts/{id}/income", s.v1(s.secret(s.untilReady(false, emptyObject, s.incomeV1))))
	m.Handle("GET /v2/accounts/{id}/income", s.v2(s.secret(s.untilReady(true, emptyObject, s.incomeV2))))
	m.Handle("GET /v2/accounts/{id}/income-records", s.v2(s.secret(s.incomeRecords)))
	m.Handle("GET /v2/accounts/{id}/income/records", s.v2(s.secret(s.incomeRecords))) // kobo's first spelling

	// Sync, re-authorisation, unlink.
	m.Handle("POST /accounts/{id}/sync", s.v1(s.secret(s.syncV1)))
	m.Handle("GET /accounts/{id}/sync", s.v1(s.secret(s.syncV1))) // Mono's own sync demo calls it with GET
	m.Handle("POST /accounts/{id}/reauthorise", s.v1(s.secret(s.idempotent(flavourV1, s.reauthorise))))
	m.Handle("POST /accounts/{id}/unlink", s.v1(s.secret(s.idempotent(flavourV1, s.unlinkV1))))
	m.Handle("POST /v2/accounts/{id}/unlink", s.v2(s.secret(s.idempotent(flavourV2, s.unlinkV2))))
	m.Handle("GET /v2/accounts/{id}/jobs/{job}", s.v2(s.secret(s.accountJob)))
	m.HandleFirst("GET /v2/accounts/jobs/{job}", s.v2(s.secret(s.trackJob)))
	m.Handle("POST /v2/connect/reauth/session", s.v2(s.secret(s.headless(s.idempotent(flavourV2, s.reauthSessionV2)))))
	m.Handle("POST /v2/connect/reauth/login", s.v2(s.secret(s.headless(s.idempotent(flavourV2, s.reauthLoginV2)))))

	// Webhooks and the event feed (Partner API).
	m.Handle("GET /v1/apps/{id}/webhooks/deliveries", s.partner(s.bearer(s.listDeliveries)))
	m.Handle("GET /v1/apps/{id}/webhooks/deliveries/{d}", s.partner(s.bearer(s.getDelivery)))
	m.Handle("POST /v1/apps/{id}/webhooks/deliveries/{d}/redeliver", s.partner(s.bearer(s.redeliver)))
	m.Handle("POST /v1/apps/{id}/webhooks/test", s.partner(s.bearer(s.testWebhook)))
	m.Handle("POST /v1/apps/{id}/webhooks/replay", s.partner(s.bearer(s.replay)))
	m.Handle("POST /v1/apps/{id}/webhooks/enable", s.partner(s.bearer(s.enableWebhooks)))
	m.Handle("GET /v1/apps/{id}/events", s.partner(s.bearer(s.events)))
	m.Handle("GET /v1/apps/{id}/funnel", s.partner(s.bearer(s.funnel)))

	// The hosted widget's API (public key; see widgetapi.go).
	m.Handle("GET /connect/api/config", s.v1(s.widgetKey(s.widgetConfig)))
	m.Handle("POST /connect/api/session", s.v1(s.widgetKey(s.widgetSession)))
	m.Handle("GET /connect/api/sandbox", s.v1(s.widgetKey(s.widgetSandbox)))
	m.Handle("GET /connect/api/reauth", s.v1(s.widgetKey(s.widgetReauthTarget)))
	m.Handle("POST /connect/api/login", s.v1(s.widgetKey(s.widgetAdvance(false))))
	m.Handle("POST /connect/api/commit", s.v1(s.widgetKey(s.widgetAdvance(true))))
	m.Handle("POST /connect/api/link/complete", s.v1(s.widgetKey(s.widgetLinkDone(true))))
	m.Handle("POST /connect/api/link/cancel", s.v1(s.widgetKey(s.widgetLinkDone(false))))
	m.Handle("POST /connect/api/exit", s.v1(s.widgetKey(s.widgetExit)))
	m.Handle("POST /v2/accounts/initiate", s.v2(s.secret(s.idempotent(flavourV2, s.initiate))))

	// Statement uploads (statementupload.go).
	s.statementRoutes()

	// Accounts list, customers, enrichment, sandbox users (accountslist.go).
	s.fidelityRoutes()

	// Provider keys and choices (providers.go).
	s.providerRoutes()

	// Sandbox controls (test keys only).
	m.Handle("POST /v2/sandbox/clock/advance", s.v2(s.secret(s.sandboxAdvance)))
	m.Handle("GET /v2/sandbox/clock", s.v2(s.secret(s.sandboxClock)))
	m.Handle("POST /v2/sandbox/accounts/{id}/webhooks/fire", s.v2(s.secret(s.sandboxFire)))
	m.Handle("POST /v2/sandbox/accounts/{id}/reset_login", s.v2(s.secret(s.sandboxResetLogin)))
}

// route dispatches through the mux and answers unknown paths and wrong
// methods with JSON in the flavour the path suggests, not the mux's plain
// text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if !exemptFromIPLimit(r.URL.Path) {
		if err := s.app.AllowIP(clientIP(r)); err != nil {
			fl := flavourV1
			if strings.HasPrefix(r.URL.Path, "/v2/") || strings.HasPrefix(r.URL.Path, "/v3/") {
				fl = flavourV2
			}
			s.writeError(w, r, fl, err)
			return
		}
	}
	if _, pattern := s.mux.first.Handler(r); pattern != "" {
		s.mux.first.ServeHTTP(w, r) // routes ranked ahead of the main mux's (routeMux.first)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	fl := flavourV1
	if strings.HasPrefix(r.URL.Path, "/v2/") || strings.HasPrefix(r.URL.Path, "/v3/") {
		fl = flavourV2
	}
	probe := &statusProbe{header: http.Header{}}
	h, _ := s.mux.Handler(r)
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, fl, kobo.Errorf(kobo.EMETHOD, "method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, probe.header.Get("Allow")))
		return
	}
	s.writeError(w, r, fl, kobo.Errorf(kobo.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
}

// statusProbe records what the mux's own 404/405 handler would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// exemptFromIPLimit: health checks and static files cost nothing and are
// fetched in bursts by browsers (the widget's logos).
func exemptFromIPLimit(path string) bool {
	return path == "/healthz" || path == "/readyz" || strings.HasPrefix(path, "/static/") || strings.HasPrefix(path, "/dashboard/static/") ||
		path == "/connect/widget.js" || path == "/connect/widget.css" || path == "/connect.js"
}
