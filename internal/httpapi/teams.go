package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// routePerms is the permission every Partner API route needs (the role
// table is app.Permissions). A route that names an app ({id}, or ?id= on
// /v1/apps) is checked against the login's role in the app's
// organisation; the team and audit routes check the organisation they
// name. A test holds every bearer route to having an entry.
var routePerms = map[string]app.Permission{
	"POST /v1/auth/logout":                                  "",
	"GET /v1/auth/me":                                       "",
	"POST /v1/auth/password":                                "",
	"GET /v1/apps":                                          app.PermView,
	"POST /v1/apps":                                         app.PermSettings, // checked in the handler, on the login's own organisation
	"PATCH /v1/apps":                                        app.PermSettings,
	"PUT /v1/apps":                                          app.PermSettings,
	"DELETE /v1/apps":                                       app.PermData,
	"GET /v1/apps/{id}":                                     app.PermView,
	"PATCH /v1/apps/{id}":                                   app.PermSettings,
	"PUT /v1/apps/{id}":                                     app.PermSettings,
	"GET /v1/apps/{id}/addons":                              app.PermView,
	"POST /v1/apps/{id}/addons/{addon}":                     app.PermSettings,
	"GET /v1/apps/{id}/golive":                              app.PermView,
	"POST /v1/apps/{id}/golive":                             app.PermGoLive,
	"DELETE /v1/apps/{id}":                                  app.PermData,
	"POST /v1/apps/{id}/keys/rotate":                        app.PermKeys,
	"POST /v1/apps/{id}/webhook/rotate":                     app.PermKeys,
	"GET /v1/apps/{id}/webhooks/deliveries":                 app.PermView,
	"GET /v1/apps/{id}/webhooks/deliveries/{d}":             app.PermView,
	"POST /v1/apps/{id}/webhooks/deliveries/{d}/redeliver":  app.PermDevelop,
	"POST /v1/apps/{id}/webhooks/test":                      app.PermDevelop,
	"POST /v1/apps/{id}/webhooks/replay":                    app.PermDevelop,
	"POST /v1/apps/{id}/webhooks/enable":                    app.PermSettings,
	"GET /v1/apps/{id}/events":                              app.PermView,
	"GET /v1/apps/{id}/funnel":                              app.PermView,
	"GET /v1/apps/{id}/usage":                               app.PermView,
	"GET /v1/apps/{id}/providers":                           app.PermView,
	"PUT /v1/apps/{id}/providers/{provider}":                app.PermKeys,
	"POST /v1/apps/{id}/providers/{provider}/check":         app.PermDevelop,
	"DELETE /v1/apps/{id}/providers/{provider}":             app.PermKeys,
	"GET /v1/apps/{id}/institutions/{institution}/provider": app.PermView,
	"PUT /v1/apps/{id}/institutions/{institution}/provider": app.PermSettings,
	"GET /v1/team":                                          app.PermView,
	"POST /v1/team/invites":                                 app.PermTeam,
	"DELETE /v1/team/invites/{invite}":                      app.PermTeam,
	"POST /v1/team/invites/accept":                          "",
	"PATCH /v1/team/members/{member}":                       app.PermTeam,
	"DELETE /v1/team/members/{member}":                      "", // members may leave; removing others is checked in app
	"POST /v1/team/transfer":                                app.PermOwner,
	"GET /v1/audit":                                         app.PermAudit,
}

type ctxRole struct{}
type ctxUser struct{}

// roleFrom is the login's role in the organisation of the request's app
// (or named organisation).
func roleFrom(ctx context.Context) kobo.Role {
	r, _ := ctx.Value(ctxRole{}).(kobo.Role)
	return r
}

// userFrom is the login itself, whatever organisation it acts in.
func userFrom(ctx context.Context) *kobo.Partner {
	if p, ok := ctx.Value(ctxUser{}).(*kobo.Partner); ok {
		return p
	}
	return partnerFrom(ctx)
}

// authorizeMember checks the login's role for the route and returns the
// request context: the actor for the audit log, the login, and as "the
// partner" the organisation that owns the app, so every handler below
// acts within it.
func (s *Server) authorizeMember(r *http.Request, user *kobo.Partner) (context.Context, error) {
	ctx := app.WithActor(r.Context(), app.Actor{ID: user.ID, Email: user.Email, Source: "api"})
	ctx = context.WithValue(ctx, ctxUser{}, user)
	ctx = context.WithValue(ctx, keyPartner, user)
	perm, ok := routePerms[r.Pattern]
	if !ok {
		// a bearer route missing from the table is refused rather than
		// left open (TestEveryBearerRouteHasAPermission catches it first)
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "this route has no permission rule")
	}
	if perm == "" {
		return ctx, nil
	}
	if strings.HasPrefix(r.Pattern, "GET /v1/team") || strings.HasPrefix(r.Pattern, "POST /v1/team") || strings.HasPrefix(r.Pattern, "PATCH /v1/team") ||
		strings.HasPrefix(r.Pattern, "DELETE /v1/team") || strings.HasPrefix(r.Pattern, "GET /v1/audit") {
		org := r.URL.Query().Get("org")
		if org == "" {
			org = user.ID
		}
		role, err := s.app.AuthorizeOrg(ctx, user.ID, org, perm)
		if err != nil {
			return nil, err
		}
		ctx = context.WithValue(ctx, ctxRole{}, role)
		return context.WithValue(ctx, keyPartner, &kobo.Partner{ID: org}), nil
	}
	id := r.PathValue("id")
	if id == "" && strings.HasSuffix(r.Pattern, " /v1/apps") {
		id = r.URL.Query().Get("id")
	}
	if id == "" {
		// listing or creating: the handler scopes it to the login
		role, err := s.app.AuthorizeOrg(ctx, user.ID, user.ID, app.PermView)
		if err != nil {
			return nil, err
		}
		return context.WithValue(ctx, ctxRole{}, role), nil
	}
	org, role, err := s.app.AuthorizeApp(ctx, user.ID, id, perm)
	if err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, ctxRole{}, role)
	return context.WithValue(ctx, keyPartner, &kobo.Partner{ID: org}), nil
}

func (s *Server) teamRoutes() {
	m := s.mux
	m.Handle("GET /v1/team", s.partner(s.bearer(s.getTeam)))
	m.Handle("POST /v1/team/invites", s.partner(s.bearer(s.inviteMember)))
	m.Handle("DELETE /v1/team/invites/{invite}", s.partner(s.bearer(s.withdrawInvite)))
	m.Handle("POST /v1/team/invites/accept", s.partner(s.bearer(s.acceptInvite)))
	m.Handle("PATCH /v1/team/members/{member}", s.partner(s.bearer(s.setMemberRole)))
	m.Handle("DELETE /v1/team/members/{member}", s.partner(s.bearer(s.removeMember)))
	m.Handle("POST /v1/team/transfer", s.partner(s.bearer(s.transferOwnership)))
	m.Handle("GET /v1/audit", s.partner(s.bearer(s.auditLog)))
}

type memberView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt string `json:"created_at"`
}

type inviteView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	ExpiresAt string `json:"expires_at"`
	AcceptURL string `json:"accept_url,omitempty"` // only when created
	Token     string `json:"token,omitempty"`      // only when created
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) error {
	org := partnerFrom(r.Context()).ID
	t, err := s.app.GetTeam(r.Context(), org)
	if err != nil {
		return err
	}
	members := make([]memberView, 0, len(t.Members))
	for _, m := range t.Members {
		members = append(members, memberView{ID: m.MemberID, Email: m.Email, Name: m.Name, Role: string(m.Role), CreatedAt: monoTime(m.CreatedAt)})
	}
	invites := make([]inviteView, 0, len(t.Invites))
	for _, i := range t.Invites {
		invites = append(invites, inviteView{ID: i.ID, Email: i.Email, Role: string(i.Role), ExpiresAt: monoTime(i.ExpiresAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"org": org, "your_role": roleFrom(r.Context()), "members": members, "invites": invites, "permissions": app.Permissions})
	return nil
}

type inviteRequest struct {
	Email *string `json:"email"`
	Role  *string `json:"role"`
}

func (s *Server) inviteMember(w http.ResponseWriter, r *http.Request) error {
	var req inviteRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	inv, err := s.app.Invite(r.Context(), userFrom(r.Context()).ID, partnerFrom(r.Context()).ID, deref(req.Email), kobo.Role(deref(req.Role)))
	if err != nil {
		return err
	}
	link := strings.TrimRight(s.publicURL, "/") + "/dashboard/invite/" + inv.Token.Reveal()
	writeJSON(w, http.StatusCreated, inviteView{ID: inv.Invite.ID, Email: inv.Invite.Email, Role: string(inv.Invite.Role), ExpiresAt: monoTime(inv.Invite.ExpiresAt),
		AcceptURL: link, Token: inv.Token.Reveal()})
	return nil
}

func (s *Server) withdrawInvite(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.WithdrawInvite(r.Context(), userFrom(r.Context()).ID, partnerFrom(r.Context()).ID, r.PathValue("invite")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("invite"), "withdrawn": true})
	return nil
}

type acceptRequest struct {
	Token *string `json:"token"`
}

func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	var req acceptRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	inv, err := s.app.AcceptInvite(r.Context(), userFrom(r.Context()), deref(req.Token))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"org": inv.OrgID, "role": inv.Role})
	return nil
}

type roleRequest struct {
	Role *string `json:"role"`
}

func (s *Server) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	var req roleRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if err := s.app.SetRole(r.Context(), userFrom(r.Context()).ID, partnerFrom(r.Context()).ID, r.PathValue("member"), kobo.Role(deref(req.Role))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("member"), "role": deref(req.Role)})
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	user := userFrom(r.Context())
	org := r.URL.Query().Get("org")
	if org == "" {
		org = user.ID
	}
	if err := s.app.RemoveMember(r.Context(), user.ID, org, r.PathValue("member")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("member"), "removed": true})
	return nil
}

type transferRequest struct {
	Member *string `json:"member"`
}

func (s *Server) transferOwnership(w http.ResponseWriter, r *http.Request) error {
	var req transferRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if err := s.app.TransferOwnership(r.Context(), userFrom(r.Context()).ID, partnerFrom(r.Context()).ID, deref(req.Member)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"owner": deref(req.Member)})
	return nil
}

type auditView struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
	Actor     string `json:"actor"`
	ActorID   string `json:"actor_id"`
	Source    string `json:"source"`
	Action    string `json:"action"`
	AppID     string `json:"app_id,omitempty"`
	Target    string `json:"target"`
	Detail    string `json:"detail"`
}

// auditLog is GET /v1/audit: ?action= (exact, or a prefix ending in "."),
// ?app=, ?actor=, ?since= and ?before= (RFC 3339), ?limit= (1..1000),
// ?format=csv for a CSV export of up to 10,000 lines.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := app.AuditQuery{AppID: v.Get("app"), Action: v.Get("action"), Actor: v.Get("actor")}
	for name, dst := range map[string]**time.Time{"since": &q.Since, "before": &q.Before} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return &kobo.Error{Code: kobo.EINVALID, Message: name + " must be an RFC 3339 time", Fields: map[string]string{name: "must be an RFC 3339 time"}}
			}
			*dst = &t
		}
	}
	csvOut := v.Get("format") == "csv"
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return &kobo.Error{Code: kobo.EINVALID, Message: "limit must be 1 to 1000", Fields: map[string]string{"limit": "must be 1 to 1000"}}
		}
		q.Limit = n
	}
	if csvOut && q.Limit == 0 {
		q.Limit = 10_000
	}
	list, err := s.app.AuditLog(r.Context(), partnerFrom(r.Context()).ID, q)
	if err != nil {
		return err
	}
	if csvOut {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="kobo-audit-log.csv"`)
		return app.WriteAuditCSV(w, list)
	}
	out := make([]auditView, 0, len(list))
	for _, e := range list {
		out = append(out, auditView{ID: e.ID, CreatedAt: monoTime(e.CreatedAt), Actor: e.ActorEmail, ActorID: e.ActorID, Source: e.Source, Action: e.Action, AppID: e.AppID, Target: e.Target, Detail: e.Detail})
	}
	next := ""
	if q.Limit > 0 && len(list) == q.Limit || q.Limit == 0 && len(list) == 100 {
		next = list[len(list)-1].CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next_before": next})
	return nil
}
