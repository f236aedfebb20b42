// Package dashboard owns the partner dashboard at /dashboard/: sign up and
// log in, apps and their keys, webhooks and their delivery log, linked
// accounts with their data and actions, the sandbox, the API request log
// and each institution's status. It is server-rendered with html/template
// and a little progressive JavaScript, embedded in the binary, no build
// step.
//
// Sessions are the Partner API's bearer tokens (kind "dashboard") carried
// in an HttpOnly, SameSite=Lax cookie (Secure when kobo is served over
// https). Every form carries a CSRF token: double-submit, the value of an
// HttpOnly SameSite=Strict cookie that a cross-site page can neither read
// nor set, compared in constant time; POSTs with a foreign Origin are
// refused as well. Every page sends a strict CSP (no inline script, no
// framing).
package dashboard

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

//go:embed templates static
var files embed.FS

const (
	sessionCookie = "kobo_session"
	csrfCookie    = "kobo_csrf"
)

// Config is what the dashboard needs.
type Config struct {
	App       *app.Service
	Logger    *slog.Logger
	Clock     kobo.Clock
	PublicURL string
}

// Dashboard serves /dashboard/.
type Dashboard struct {
	app    *app.Service
	log    *slog.Logger
	clock  kobo.Clock
	secure bool
	base   string // the configured public URL links are built on
	pages  map[string]*template.Template
	static http.Handler
}

// New parses the templates.
func New(c Config) *Dashboard {
	d := &Dashboard{app: c.App, log: cmp.Or(c.Logger, slog.New(slog.DiscardHandler)), clock: cmp.Or[kobo.Clock](c.Clock, kobo.SystemClock{}),
		secure: strings.HasPrefix(c.PublicURL, "https://"), base: strings.TrimRight(c.PublicURL, "/"), pages: map[string]*template.Template{}}
	funcs := template.FuncMap{"naira": naira, "when": when, "ago": d.ago, "mask": mask, "lower": strings.ToLower, "upper": strings.ToUpper,
		"statusClass": statusClass, "add": func(a, b int) int { return a + b }, "query": query, "list": func(s ...string) []string { return s },
		"typed": typed, "expiresIn": d.expiresIn, "explain": explain, "can": app.Can, "perms": func() []app.Permission { return app.AllPermissions },
		"roles": func() []kobo.Role { return app.Roles }, "pct": pct, "itoa": itoa}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html"))
	entries, _ := fs.Glob(files, "templates/*.html")
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		d.pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(files, e))
	}
	sub, _ := fs.Sub(files, "static")
	d.static = http.StripPrefix("/dashboard/static/", http.FileServer(http.FS(sub)))
	return d
}

// Routes are the dashboard's paths, for the API server's mux. Each app
// route names the permission it needs (app.Permissions is the role
// table); every POST answers with a redirect (post/redirect/get).
func (d *Dashboard) Routes() map[string]http.Handler {
	app := func(perm app.Permission, h handler) http.Handler { return d.page(d.authed(d.withApp(perm, h))) }
	r := map[string]http.Handler{
		"GET /{$}":                                                 http.RedirectHandler("/dashboard/", http.StatusFound),
		"GET /favicon.ico":                                         d.headers(http.HandlerFunc(d.favicon)),
		"GET /dashboard":                                           http.RedirectHandler("/dashboard/", http.StatusMovedPermanently),
		"GET /dashboard/static/":                                   d.headers(d.static),
		"/dashboard/":                                              d.page(d.notFound),
		"GET /dashboard/{$}":                                       d.page(d.home),
		"GET /dashboard/signup":                                    d.page(d.signupForm),
		"POST /dashboard/signup":                                   d.page(d.signup),
		"GET /dashboard/login":                                     d.page(d.loginForm),
		"POST /dashboard/login":                                    d.page(d.login),
		"POST /dashboard/logout":                                   d.page(d.logout),
		"GET /dashboard/password":                                  d.page(d.authed(d.passwordForm)),
		"POST /dashboard/password":                                 d.page(d.authed(d.changePassword)),
		"GET /dashboard/forgot":                                    d.page(d.forgotForm),
		"POST /dashboard/forgot":                                   d.page(d.forgot),
		"GET /dashboard/reset/{token}":                             d.page(d.resetForm),
		"POST /dashboard/reset/{token}":                            d.page(d.reset),
		"GET /dashboard/sessions":                                  d.page(d.authed(d.sessions)),
		"POST /dashboard/sessions/end":                             d.page(d.authed(d.endSession)),
		"POST /dashboard/sessions/others":                          d.page(d.authed(d.endOtherSessions)),
		"POST /dashboard/apps":                                     d.page(d.authed(d.createApp)),
		"GET /dashboard/team":                                      d.page(d.authed(d.team)),
		"POST /dashboard/team/invite":                              d.page(d.authed(d.invite)),
		"POST /dashboard/team/withdraw":                            d.page(d.authed(d.withdrawInvite)),
		"POST /dashboard/team/remove":                              d.page(d.authed(d.removeMember)),
		"POST /dashboard/team/role":                                d.page(d.authed(d.setRole)),
		"POST /dashboard/team/transfer":                            d.page(d.authed(d.transfer)),
		"GET /dashboard/invite/{token}":                            d.page(d.inviteLanding),
		"POST /dashboard/invite/{token}":                           d.page(d.authed(d.acceptInvite)),
		"GET /dashboard/audit":                                     d.page(d.authed(d.auditLog)),
		"GET /verify/statements/{id}":                              d.page(d.verifyStatement),
		"GET /dashboard/audit.csv":                                 d.page(d.authed(d.auditCSV)),
		"GET /dashboard/apps/{app}/{$}":                            app(appPerm.View, d.appOverview),
		"GET /dashboard/apps/{app}/golive":                         app(appPerm.View, d.goLive),
		"POST /dashboard/apps/{app}/settings":                      app(appPerm.Settings, d.updateApp),
		"POST /dashboard/apps/{app}/golive":                        app(appPerm.GoLive, d.goLiveSubmit),
		"GET /dashboard/apps/{app}/addons":                         app(appPerm.View, d.addons),
		"POST /dashboard/apps/{app}/addons":                        app(appPerm.Settings, d.requestAddon),
		"POST /dashboard/apps/{app}/keys/rotate":                   app(appPerm.Keys, d.rotateKeys),
		"POST /dashboard/apps/{app}/webhook/rotate":                app(appPerm.Keys, d.rotateWebhook),
		"GET /dashboard/apps/{app}/accounts":                       app(appPerm.View, d.accounts),
		"GET /dashboard/apps/{app}/accounts/{acct}":                app(appPerm.View, d.account),
		"GET /dashboard/apps/{app}/accounts.csv":                   app(appPerm.View, d.accountsCSV),
		"POST /dashboard/apps/{app}/accounts/{acct}/sync":          app(appPerm.Develop, d.syncAccount),
		"POST /dashboard/apps/{app}/accounts/{acct}/reauth":        app(appPerm.Develop, d.reauthLink),
		"POST /dashboard/apps/{app}/accounts/{acct}/unlink":        app(appPerm.Data, d.unlink),
		"POST /dashboard/apps/{app}/accounts/{acct}/statement":     app(appPerm.Develop, d.statement),
		"GET /dashboard/apps/{app}/accounts/{acct}/statement/{st}": app(appPerm.View, d.statementStatus),
		"GET /dashboard/apps/{app}/webhooks":                       app(appPerm.View, d.webhooks),
		"GET /dashboard/apps/{app}/webhooks/{d}":                   app(appPerm.View, d.delivery),
		"POST /dashboard/apps/{app}/webhooks/{d}/redeliver":        app(appPerm.Develop, d.redeliver),
		"POST /dashboard/apps/{app}/webhooks/test":                 app(appPerm.Develop, d.testEvent),
		"POST /dashboard/apps/{app}/webhooks/enable":               app(appPerm.Settings, d.enableWebhooks),
		"GET /dashboard/apps/{app}/sandbox":                        app(appPerm.View, d.sandbox),
		"POST /dashboard/apps/{app}/sandbox/exchange":              app(appPerm.Develop, d.sandboxExchange),
		"POST /dashboard/apps/{app}/sandbox/clock":                 app(appPerm.Develop, d.sandboxAdvance),
		"POST /dashboard/apps/{app}/sandbox/fire":                  app(appPerm.Develop, d.sandboxFire),
		"POST /dashboard/apps/{app}/sandbox/reset_login":           app(appPerm.Develop, d.sandboxResetLogin),
		"POST /dashboard/apps/{app}/sandbox/users":                 app(appPerm.Develop, d.sandboxCreateUser),
		"POST /dashboard/apps/{app}/sandbox/users/{user}/delete":   app(appPerm.Develop, d.sandboxDeleteUser),
		"GET /dashboard/apps/{app}/logs":                           app(appPerm.View, d.logs),
		"GET /dashboard/apps/{app}/funnel":                         app(appPerm.View, d.funnel),
		"GET /dashboard/apps/{app}/usage":                          app(appPerm.View, d.usage),
		"GET /dashboard/apps/{app}/providers":                      app(appPerm.View, d.providers),
		"GET /dashboard/apps/{app}/institutions":                   app(appPerm.View, d.institutions),
		"GET /dashboard/apps/{app}/widget":                         app(appPerm.View, d.widget),
		"POST /dashboard/apps/{app}/widget":                        app(appPerm.Settings, d.saveWidget),
		"POST /dashboard/apps/{app}/providers/{provider}":          app(appPerm.Keys, d.saveProvider),
		"POST /dashboard/apps/{app}/providers/{provider}/check":    app(appPerm.Develop, d.checkProvider),
		"POST /dashboard/apps/{app}/providers/{provider}/delete":   app(appPerm.Keys, d.deleteProvider),
	}
	return r
}

// appPerm names app.Permission values briefly for the route table.
var appPerm = struct{ View, Develop, Settings, Keys, GoLive, Data app.Permission }{
	app.PermView, app.PermDevelop, app.PermSettings, app.PermKeys, app.PermGoLive, app.PermData}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string
	Partner *kobo.Partner
	App     *app.AppDetails
	Apps    []*app.AppDetails
	Live    bool // showing live data
	CSRF    string
	Flash   string
	Warn    bool // the flash is a warning, not a success
	Error   string
	Role    kobo.Role         // the viewer's role in the app's organisation
	Fields  map[string]string // field errors, by form field
	Form    url.Values        // what was typed, to show it again
	Data    map[string]any
}

// request is one dashboard request in progress.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	v       *view
	token   string
	partner *kobo.Partner
	app     *app.AppDetails
	caller  *kobo.Caller
	org     string // the organisation that owns the app being viewed
}

type handler func(q *request) error

// page wraps a handler: security headers, the CSRF cookie, CSRF checks on
// POST, and errors shown as pages.
func (d *Dashboard) page(h handler) http.Handler {
	return d.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// sessions made by this request remember where (the Sessions page)
		r = r.WithContext(app.WithClient(r.Context(), app.Client{IP: clientIP(r), UserAgent: r.UserAgent()}))
		q := &request{w: w, r: r, v: &view{Data: map[string]any{}, Fields: map[string]string{}}}
		q.v.CSRF = d.csrfToken(w, r)
		if r.Method == http.MethodPost {
			if err := d.checkCSRF(r); err != nil {
				w.WriteHeader(http.StatusForbidden)
				q.v.Title, q.v.Error = "Request refused", err.Error()
				d.render(q, "error")
				return
			}
		}
		if msg, ok := flashes[r.URL.Query().Get("flash")]; ok {
			q.v.Flash, q.v.Warn = msg.text, msg.warn
		}
		if err := h(q); err != nil {
			d.fail(q, err)
		}
	}))
}

func (d *Dashboard) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !strings.HasPrefix(r.URL.Path, "/dashboard/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if d.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// csrfToken returns the request's CSRF token, setting the cookie when the
// browser has none.
func (d *Dashboard) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	tok := kobo.RandomToken(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/dashboard", HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteStrictMode})
	return tok
}

var errCSRF = errors.New("This form has expired or did not come from kobo. Go back, reload the page and try again.")

func (d *Dashboard) checkCSRF(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			return errCSRF
		}
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 32 {
		return errCSRF
	}
	if subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		return errCSRF
	}
	return nil
}

// authed loads the partner from the session cookie, or sends the browser
// to the login page (saying so when the session expired).
func (d *Dashboard) authed(h handler) handler {
	return func(q *request) error {
		c, err := q.r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			return d.toLogin(q, "")
		}
		p, err := d.app.AuthenticatePartner(q.r.Context(), c.Value)
		if err != nil {
			d.clearSession(q.w)
			return d.toLogin(q, "expired")
		}
		q.partner, q.token, q.v.Partner = p, c.Value, p
		q.r = q.r.WithContext(app.WithActor(q.r.Context(), app.Actor{ID: p.ID, Email: p.Email, Source: "dashboard"}))
		apps, err := d.app.ListMemberApps(q.r.Context(), p)
		if err != nil {
			return err
		}
		q.v.Apps = apps
		if q.r.Method == http.MethodGet {
			d.takeFlash(q)
		}
		return h(q)
	}
}

func (d *Dashboard) toLogin(q *request, flash string) error {
	u := "/dashboard/login"
	v := url.Values{}
	if flash != "" {
		v.Set("flash", flash)
	}
	if q.r.Method == http.MethodGet && q.r.URL.Path != "/dashboard/" {
		v.Set("next", q.r.URL.RequestURI())
	}
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	http.Redirect(q.w, q.r, u, http.StatusSeeOther)
	return nil
}

// withApp loads the app named in the path and the mode being viewed,
// after checking the login's role in the app's organisation allows perm.
func (d *Dashboard) withApp(perm app.Permission, h handler) handler {
	return func(q *request) error {
		org, role, err := d.app.AuthorizeApp(q.r.Context(), q.partner.ID, q.r.PathValue("app"), perm)
		if err != nil {
			return err
		}
		q.org, q.v.Role = org, role
		a, err := d.app.GetApp(q.r.Context(), org, q.r.PathValue("app"))
		if err != nil {
			return err
		}
		q.app, q.v.App = a, a
		q.v.Live = a.App.Live && q.r.URL.Query().Get("mode") == "live"
		q.caller = &kobo.Caller{App: *a.App, Mode: kobo.ModeOf(q.v.Live)}
		return h(q)
	}
}

func (d *Dashboard) render(q *request, name string) {
	t, ok := d.pages[name]
	if !ok {
		http.Error(q.w, "no such page", http.StatusInternalServerError)
		return
	}
	// render fully before writing, so a template error is a clean 500
	// instead of half a page
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", q.v); err != nil {
		d.log.Error("render dashboard page", "page", name, "err", err)
		http.Error(q.w, "This page could not be shown. The error has been logged.", http.StatusInternalServerError)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = q.w.Write(buf.Bytes())
}

// fail shows an error page in plain words.
func (d *Dashboard) fail(q *request, err error) {
	status := http.StatusInternalServerError
	msg := "Something went wrong on our side. Try again in a moment."
	switch kobo.ErrorCode(err) {
	case kobo.ENOTFOUND:
		status, msg = http.StatusNotFound, "We could not find that. It may have been deleted, or the link is wrong."
	case kobo.EFORBIDDEN:
		status, msg = http.StatusForbidden, kobo.ErrorMessage(err)
	case kobo.EINVALID, kobo.EGONE, kobo.EPROCESSING, kobo.EREAUTH, kobo.ECONFLICT:
		status, msg = http.StatusBadRequest, kobo.ErrorMessage(err)
	case kobo.EUNAUTHORIZED:
		status, msg = http.StatusForbidden, kobo.ErrorMessage(err)
	case kobo.ERATELIMIT, kobo.EUNAVAILABLE:
		status, msg = busy(q, err)
	default:
		d.log.Error("dashboard request failed", "path", q.r.URL.Path, "err", err)
	}
	q.w.WriteHeader(status)
	q.v.Title, q.v.Error = "Something went wrong", msg
	d.render(q, "error")
}

// redirect answers a POST with a redirect to path (post/redirect/get),
// carrying the flash named flash. A logged-in partner's flash is stored
// in the database and named by a cookie (see redirectWith); before login
// there is nobody to bind it to, so the URL names one of the fixed
// messages by id.
func (d *Dashboard) redirect(q *request, path, flash string) error {
	msg, ok := flashes[flash]
	if !ok || q.partner == nil {
		if ok {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			path += sep + "flash=" + url.QueryEscape(flash)
		}
		http.Redirect(q.w, q.r, path, http.StatusSeeOther)
		return nil
	}
	kind := "ok"
	if msg.warn {
		kind = "warn"
	}
	return d.redirectWith(q, path, app.FlashMessage{Kind: kind, Message: msg.text})
}

// fieldErrors copies an EINVALID's fields onto the view.
func fieldErrors(q *request, err error) bool {
	var e *kobo.Error
	if !errors.As(err, &e) || e.Code != kobo.EINVALID {
		return false
	}
	for k, v := range e.Fields {
		q.v.Fields[k] = v
	}
	// the API's message names fields as the API spells them
	// (webhook_url); the page marks each field in words instead
	q.v.Error = "Not saved: fix the fields marked below."
	if len(e.Fields) == 0 {
		q.v.Error = e.Message
	}
	q.w.WriteHeader(http.StatusBadRequest)
	return true
}

// busy answers a throttled or overloaded request: 429 or 503 with
// Retry-After, and the message to show.
func busy(q *request, err error) (int, string) {
	var e *kobo.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		q.w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	if kobo.ErrorCode(err) == kobo.EUNAVAILABLE {
		return http.StatusServiceUnavailable, kobo.ErrorMessage(err)
	}
	return http.StatusTooManyRequests, kobo.ErrorMessage(err)
}

// baseURL is the origin links shown to partners are built on: the
// configured public URL, never the request's Host header (which a client
// chooses, so a link built from it can point anywhere).
func (d *Dashboard) baseURL(q *request) string {
	if d.base != "" {
		return d.base
	}
	if q.r.TLS != nil {
		return "https://" + q.r.Host
	}
	return "http://" + q.r.Host
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (d *Dashboard) setSession(w http.ResponseWriter, tok *app.Token) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: string(tok.Value), Path: "/dashboard", HttpOnly: true, Secure: d.secure,
		// the cookie outlives the session by a day so that, once the session
		// ends, kobo can say it expired rather than ask a stranger to log in
		SameSite: http.SameSiteLaxMode, Expires: tok.ExpiresAt.Add(24 * time.Hour)})
}

func (d *Dashboard) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/dashboard", HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// ago is a rough "5 minutes ago".
func (d *Dashboard) ago(t any) string {
	var tt time.Time
	switch x := t.(type) {
	case time.Time:
		tt = x
	case *time.Time:
		if x == nil {
			return "never"
		}
		tt = *x
	default:
		return ""
	}
	el := d.clock.Now().Sub(tt)
	switch {
	case el < time.Minute:
		return "just now"
	case el < time.Hour:
		return plural(int(el.Minutes()), "minute") + " ago"
	case el < 48*time.Hour:
		return plural(int(el.Hours()), "hour") + " ago"
	default:
		return plural(int(el.Hours()/24), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return itoa(n) + " " + unit + "s"
}
