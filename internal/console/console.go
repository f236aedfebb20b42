// Package console is the operator's console of a kobo deployment, served
// on the admin listener: partners and their apps with usage, pending
// add-on requests to approve or deny, and suspending and reinstating
// partners and apps, and notes on institutions (planned maintenance, an
// outage) with their live health. It owns the HTML page and a small JSON API for
// scripts (the same actions as `kobo admin …`).
//
// The admin listener has no login: it must stay on a private address, as
// metrics and pprof already require. What guards it from other web pages
// in the operator's browser is that every POST must come from the console
// itself (Sec-Fetch-Site / Origin) or carry a JSON body, which a
// cross-site form cannot send.
package console

import (
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

//go:embed templates
var files embed.FS

// Config is what the console needs.
type Config struct {
	App    *app.Service
	Logger *slog.Logger
}

// Console serves the operator's pages and JSON API.
type Console struct {
	app  *app.Service
	log  *slog.Logger
	page *template.Template
}

// New returns the console.
func New(c Config) *Console {
	funcs := template.FuncMap{
		"when": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"pct":  func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Console{app: c.App, log: log, page: template.Must(template.New("console.html").Funcs(funcs).ParseFS(files, "templates/console.html"))}
}

// Register adds the console's routes to m.
func (c *Console) Register(m *http.ServeMux) {
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/console", http.StatusSeeOther) })
	m.HandleFunc("GET /console", c.show)
	m.HandleFunc("POST /console/apps/{id}/addons/{addon}/{decision}", c.form(c.decide))
	m.HandleFunc("POST /console/{kind}/{id}/{action}", c.form(c.hold))
	m.HandleFunc("POST /console/institutions/{id}/note", c.form(c.setNote))
	m.HandleFunc("POST /console/institutions/{id}/clear", c.form(c.clearNote))
	m.HandleFunc("POST /console/apps/{id}/golive/{decision}", c.form(c.decideGoLive))
	m.HandleFunc("POST /console/golive-policy", c.form(c.setPolicy))

	m.HandleFunc("GET /v1/admin/partners", c.api(c.partnersJSON))
	m.HandleFunc("GET /v1/admin/addons/requests", c.api(c.pendingJSON))
	m.HandleFunc("POST /v1/admin/apps/{id}/addons/{addon}/{decision}", c.api(c.decide))
	m.HandleFunc("POST /v1/admin/{kind}/{id}/{action}", c.api(c.hold))
	m.HandleFunc("GET /v1/admin/institutions", c.api(c.institutionsJSON))
	m.HandleFunc("POST /v1/admin/institutions/{id}/note", c.api(c.setNote))
	m.HandleFunc("POST /v1/admin/institutions/{id}/clear", c.api(c.clearNote))
	m.HandleFunc("GET /v1/admin/golive/requests", c.api(c.goLiveQueueJSON))
	m.HandleFunc("POST /v1/admin/apps/{id}/golive/{decision}", c.api(c.decideGoLive))
	m.HandleFunc("GET /v1/admin/golive/policy", c.api(c.policyJSON))
	m.HandleFunc("POST /v1/admin/golive/policy", c.api(c.setPolicy))
}

// action is one operator action; it reads its input from r (form or JSON
// already parsed into in) and returns what to answer in JSON.
type action func(r *http.Request, in map[string]string) (any, error)

func actor(r *http.Request) *http.Request {
	return r.WithContext(app.WithActor(r.Context(), app.ConsoleActor()))
}

// api runs an action for the JSON API: POSTs need a JSON content type (no
// cross-site form can send one without a preflight the listener never
// answers).
func (c *Console) api(h action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in := map[string]string{}
		if r.Method == http.MethodPost {
			if !strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "json") {
				writeErr(w, kobo.Errorf(kobo.EINVALID, "send Content-Type: application/json (and a JSON object body, {} when there is nothing to say)"))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			dec := json.NewDecoder(r.Body)
			if err := dec.Decode(&in); err != nil || dec.Decode(&struct{}{}) != io.EOF || in == nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					writeErr(w, kobo.Errorf(kobo.ETOOLARGE, "request body is over 16 KiB"))
					return
				}
				writeErr(w, kobo.Errorf(kobo.EINVALID, "request body must be one JSON object of strings ({} when there is nothing to say)"))
				return
			}
		}
		out, err := h(actor(r), in)
		if err != nil {
			c.log.InfoContext(r.Context(), "operator action refused", "path", r.URL.Path, "err", err)
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// form runs an action from the console page and redirects back to it,
// with what happened in the query string (refresh does not repeat it).
func (c *Console) form(h action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			http.Error(w, "cross-site request refused: use the console itself", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		in := map[string]string{}
		for k := range r.PostForm {
			in[k] = r.PostForm.Get(k)
		}
		q := url.Values{}
		if _, err := h(actor(r), in); err != nil {
			q.Set("error", kobo.ErrorMessage(err))
		} else {
			q.Set("done", doneText(r))
		}
		http.Redirect(w, r, "/console?"+q.Encode(), http.StatusSeeOther)
	}
}

func doneText(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/console/institutions/") {
		return "the note on institution " + r.PathValue("id") + " " + map[bool]string{true: "cleared", false: "saved"}[strings.HasSuffix(r.URL.Path, "/clear")]
	}
	if r.URL.Path == "/console/golive-policy" {
		return "go-live policy set to " + r.PostForm.Get("policy")
	}
	if d := r.PathValue("decision"); d != "" && r.PathValue("addon") == "" {
		return "go-live " + pastTense(d) + " for app " + r.PathValue("id")
	}
	if d := r.PathValue("decision"); d != "" {
		return r.PathValue("addon") + " " + pastTense(d) + " for app " + r.PathValue("id")
	}
	return strings.TrimSuffix(r.PathValue("kind"), "s") + " " + r.PathValue("id") + " " + pastTense(r.PathValue("action"))
}

func pastTense(verb string) string {
	switch verb {
	case "approve":
		return "approved"
	case "deny":
		return "denied"
	case "reject":
		return "rejected"
	case "revoke":
		return "revoked"
	case "suspend":
		return "suspended"
	case "reinstate":
		return "reinstated"
	}
	return verb
}

// sameOrigin accepts a browser POST only from the console's own pages.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false // no proof where the form came from
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (c *Console) decide(r *http.Request, in map[string]string) (any, error) {
	to := map[string]kobo.AddonStatus{"approve": kobo.AddonApproved, "deny": kobo.AddonDenied, "revoke": kobo.AddonRevoked}[r.PathValue("decision")]
	if to == "" {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "decision must be approve, deny or revoke")
	}
	a, err := c.app.DecideAddon(r.Context(), r.PathValue("id"), r.PathValue("addon"), to, in["note"])
	if err != nil {
		return nil, err
	}
	return addonJSON(a), nil
}

func (c *Console) hold(r *http.Request, in map[string]string) (any, error) {
	kind := map[string]string{"partners": kobo.SuspendPartner, "apps": kobo.SuspendApp}[r.PathValue("kind")]
	if kind == "" {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "no such route: partners/{id}/… or apps/{id}/…")
	}
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "suspend":
		err = c.app.Suspend(r.Context(), kind, id, in["reason"])
	case "reinstate":
		err = c.app.Reinstate(r.Context(), kind, id)
	default:
		return nil, kobo.Errorf(kobo.ENOTFOUND, "action must be suspend or reinstate")
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"kind": kind, "id": id, "suspended": r.PathValue("action") == "suspend"}, nil
}

func addonJSON(a *kobo.AppAddon) map[string]any {
	return map[string]any{"app_id": a.AppID, "addon": a.Addon, "status": a.Status, "reason": a.Reason, "note": a.Note,
		"requested_at": a.RequestedAt, "decided_at": a.DecidedAt, "decided_by": a.DecidedBy}
}

func (c *Console) pendingJSON(r *http.Request, _ map[string]string) (any, error) {
	list, err := c.app.PendingAddons(r.Context())
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, p := range list {
		m := addonJSON(&p.AppAddon)
		m["app_name"], m["partner_id"], m["partner_email"] = p.App.Name, p.Partner.ID, p.Partner.Email
		out = append(out, m)
	}
	return map[string]any{"data": out}, nil
}

func (c *Console) partnersJSON(r *http.Request, _ map[string]string) (any, error) {
	list, err := c.app.OperatorPartners(r.Context(), r.URL.Query().Get("after"), 100)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, p := range list {
		apps := []map[string]any{}
		for _, a := range p.Apps {
			ad := map[string]string{}
			for _, x := range a.Addons {
				ad[x.Addon] = string(x.Status)
			}
			apps = append(apps, map[string]any{"id": a.App.ID, "name": a.App.Name, "live": a.App.Live, "suspended": a.Suspended != nil,
				"addons": ad, "accounts": map[string]int{"test": a.AccountsTest, "live": a.AccountsLive},
				"usage_30d": map[string]int64{"calls": a.Usage.Calls, "errors": a.Usage.Errors, "links": a.Usage.Links, "syncs": a.Usage.Syncs, "webhooks": a.Usage.Webhooks}})
		}
		out = append(out, map[string]any{"id": p.Partner.ID, "name": p.Partner.Name, "email": p.Partner.Email,
			"created_at": p.Partner.CreatedAt, "suspended": p.Suspended != nil, "apps": apps})
	}
	return map[string]any{"data": out}, nil
}

func (c *Console) setNote(r *http.Request, in map[string]string) (any, error) {
	n, err := c.app.SetInstitutionNote(r.Context(), r.PathValue("id"), in["status"], in["note"])
	if err != nil {
		return nil, err
	}
	return noteJSON(n), nil
}

func (c *Console) clearNote(r *http.Request, _ map[string]string) (any, error) {
	if err := c.app.ClearInstitutionNote(r.Context(), r.PathValue("id")); err != nil {
		return nil, err
	}
	return map[string]any{"institution_id": r.PathValue("id"), "cleared": true}, nil
}

func noteJSON(n *kobo.InstitutionNote) map[string]any {
	return map[string]any{"institution_id": n.InstitutionID, "status": n.Status, "note": n.Note, "set_by": n.By, "updated_at": n.UpdatedAt}
}

// institutionsJSON lists every institution with its live health (the
// status partners' live keys see) and the operator's note.
func (c *Console) institutionsJSON(r *http.Request, _ map[string]string) (any, error) {
	list, err := c.app.OperatorInstitutions(r.Context())
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, x := range list {
		m := map[string]any{"id": x.Institution.ID, "name": x.Institution.Name, "status": x.Status, "computed_status": x.Computed,
			"status_note": x.Note, "calls": x.Calls, "errors": x.Errors, "error_rate": x.ErrorRate(), "last_error_at": x.LastErrorAt}
		if x.Operator != nil {
			m["operator_note"] = noteJSON(x.Operator)
		}
		out = append(out, m)
	}
	return map[string]any{"data": out}, nil
}

type pageData struct {
	Done, Error  string
	Pending      []app.PendingAddon
	Partners     []app.OperatorPartner
	Institutions []app.InstitutionStatus
	NoteAudit    []*kobo.AuditEntry
	GoLives      []app.PendingGoLive
	Policy       string
	PolicySet    *kobo.Setting // nil: the configured default
}

func (c *Console) show(w http.ResponseWriter, r *http.Request) {
	d := pageData{Done: r.URL.Query().Get("done"), Error: r.URL.Query().Get("error")}
	var err error
	if d.Pending, err = c.app.PendingAddons(r.Context()); err == nil {
		d.Partners, err = c.app.OperatorPartners(r.Context(), r.URL.Query().Get("after"), 100)
	}
	if err == nil {
		d.Institutions, err = c.app.OperatorInstitutions(r.Context())
	}
	if err == nil {
		d.NoteAudit, err = c.app.OperatorAudit(r.Context(), 20)
	}
	if err == nil {
		d.GoLives, err = c.app.PendingGoLives(r.Context())
	}
	if err == nil {
		d.Policy, d.PolicySet, err = c.app.GoLivePolicy(r.Context())
	}
	if err != nil {
		c.log.ErrorContext(r.Context(), "console", "err", err)
		http.Error(w, "the console could not read the database; see the logs", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	if err := c.page.Execute(w, d); err != nil {
		c.log.ErrorContext(r.Context(), "console render", "err", err)
	}
}

// ---- go-live reviews and the policy ----------------------------------------

func (c *Console) decideGoLive(r *http.Request, in map[string]string) (any, error) {
	d := r.PathValue("decision")
	if d != "approve" && d != "reject" {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "decision must be approve or reject")
	}
	rev, err := c.app.DecideGoLive(r.Context(), r.PathValue("id"), d == "approve", in["reason"])
	if err != nil {
		return nil, err
	}
	return reviewJSON(rev), nil
}

func reviewJSON(r *kobo.GoLiveReview) map[string]any {
	return map[string]any{"app_id": r.AppID, "status": r.Status, "legal_name": r.LegalName, "registration_number": r.RegistrationNumber,
		"country": r.Country, "website": r.Website, "contact_email": r.ContactEmail, "use_case": r.UseCase,
		"submitted_at": r.SubmittedAt, "submitted_by": r.SubmittedBy, "decided_at": r.DecidedAt, "decided_by": r.DecidedBy, "reason": r.Reason}
}

func (c *Console) goLiveQueueJSON(r *http.Request, _ map[string]string) (any, error) {
	list, err := c.app.PendingGoLives(r.Context())
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, p := range list {
		m := reviewJSON(&p.GoLiveReview)
		m["app_name"], m["partner_id"], m["partner_email"] = p.App.Name, p.Partner.ID, p.Partner.Email
		out = append(out, m)
	}
	return map[string]any{"data": out}, nil
}

func (c *Console) policyJSON(r *http.Request, _ map[string]string) (any, error) {
	p, set, err := c.app.GoLivePolicy(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[string]any{"policy": p, "source": "configured default (KOBO_GOLIVE_POLICY)"}
	if set != nil {
		out["source"], out["updated_at"], out["updated_by"] = "operator", set.UpdatedAt, set.UpdatedBy
	}
	return out, nil
}

func (c *Console) setPolicy(r *http.Request, in map[string]string) (any, error) {
	if err := c.app.SetGoLivePolicy(r.Context(), in["policy"]); err != nil {
		return nil, err
	}
	return c.policyJSON(r, in)
}

var statusOf = map[kobo.Code]int{
	kobo.EINVALID: http.StatusBadRequest, kobo.ENOTFOUND: http.StatusNotFound, kobo.ECONFLICT: http.StatusConflict,
	kobo.EFORBIDDEN: http.StatusForbidden, kobo.ETOOLARGE: http.StatusRequestEntityTooLarge,
}

func writeErr(w http.ResponseWriter, err error) {
	st, ok := statusOf[kobo.ErrorCode(err)]
	msg := kobo.ErrorMessage(err)
	var ke *kobo.Error
	if !ok || !errors.As(err, &ke) {
		st, msg = http.StatusInternalServerError, "internal error; see the logs"
	}
	writeJSON(w, st, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
