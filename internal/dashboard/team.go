package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// orgOf is the organisation a team or audit request is about: the form's
// or query's org, else the login's own; the login must be a member with
// perm.
func (d *Dashboard) orgOf(q *request, perm app.Permission) (string, kobo.Role, error) {
	org := q.r.FormValue("org")
	if org == "" {
		org = q.partner.ID
	}
	role, err := d.app.AuthorizeOrg(q.r.Context(), q.partner.ID, org, perm)
	return org, role, err
}

func teamPath(org string) string { return "/dashboard/team?org=" + url.QueryEscape(org) }

func (d *Dashboard) team(q *request) error {
	org, role, err := d.orgOf(q, app.PermView)
	if err != nil {
		return err
	}
	t, err := d.app.GetTeam(q.r.Context(), org)
	if err != nil {
		return err
	}
	orgs, err := d.app.Memberships(q.r.Context(), q.partner)
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav, q.v.Role = "Team", "team", role
	q.v.Data["Org"], q.v.Data["Orgs"], q.v.Data["Team"] = org, orgs, t
	q.v.Data["CanTeam"], q.v.Data["CanOwner"] = app.Can(role, app.PermTeam), app.Can(role, app.PermOwner)
	q.v.Data["Permissions"] = app.Permissions
	d.render(q, "team")
	return nil
}

func (d *Dashboard) invite(q *request) error {
	org, _, err := d.orgOf(q, app.PermTeam)
	if err != nil {
		return err
	}
	inv, err := d.app.Invite(q.r.Context(), q.partner.ID, org, q.r.PostFormValue("email"), kobo.Role(q.r.PostFormValue("role")))
	if err != nil {
		if fieldErrors(q, err) || kobo.ErrorCode(err) == kobo.ECONFLICT {
			if kobo.ErrorCode(err) == kobo.ECONFLICT {
				q.v.Error = kobo.ErrorMessage(err)
				q.w.WriteHeader(http.StatusConflict)
			}
			q.v.Form = q.r.PostForm
			return d.team(q)
		}
		return err
	}
	link := d.baseURL(q) + "/dashboard/invite/" + inv.Token.Reveal()
	if !d.secure {
		// kobo sends no email; on a development deployment (plain http)
		// the server log carries the link too, as a mail log would
		d.log.InfoContext(q.r.Context(), "team invitation (development: kobo sends no email)", "email", inv.Invite.Email, "role", inv.Invite.Role, "url", link)
	}
	return d.redirectWith(q, teamPath(org), app.FlashMessage{Kind: "ok", Link: link,
		Message: "Invitation created for " + inv.Invite.Email + " as " + string(inv.Invite.Role) + ". Send them this link; it works for 7 days and is shown only now."})
}

func (d *Dashboard) withdrawInvite(q *request) error {
	org, _, err := d.orgOf(q, app.PermTeam)
	if err != nil {
		return err
	}
	if err := d.app.WithdrawInvite(q.r.Context(), q.partner.ID, org, q.r.PostFormValue("invite")); err != nil {
		return err
	}
	return d.redirect(q, teamPath(org), "invite-withdrawn")
}

func (d *Dashboard) removeMember(q *request) error {
	org, _, err := d.orgOf(q, app.PermView)
	if err != nil {
		return err
	}
	if q.r.PostFormValue("confirm") != "yes" {
		q.v.Error = "Not removed: tick the box to confirm."
		q.w.WriteHeader(http.StatusBadRequest)
		return d.team(q)
	}
	member := q.r.PostFormValue("member")
	if err := d.app.RemoveMember(q.r.Context(), q.partner.ID, org, member); err != nil {
		return err
	}
	if member == q.partner.ID {
		return d.redirect(q, "/dashboard/", "member-removed")
	}
	return d.redirect(q, teamPath(org), "member-removed")
}

func (d *Dashboard) setRole(q *request) error {
	org, _, err := d.orgOf(q, app.PermTeam)
	if err != nil {
		return err
	}
	if err := d.app.SetRole(q.r.Context(), q.partner.ID, org, q.r.PostFormValue("member"), kobo.Role(q.r.PostFormValue("role"))); err != nil {
		return err
	}
	return d.redirect(q, teamPath(org), "role-changed")
}

func (d *Dashboard) transfer(q *request) error {
	org, _, err := d.orgOf(q, app.PermOwner)
	if err != nil {
		return err
	}
	if q.r.PostFormValue("confirm") != "yes" {
		q.v.Error = "Ownership not transferred: tick the box to confirm you will become an admin."
		q.w.WriteHeader(http.StatusBadRequest)
		return d.team(q)
	}
	if err := d.app.TransferOwnership(q.r.Context(), q.partner.ID, org, q.r.PostFormValue("member")); err != nil {
		return err
	}
	return d.redirect(q, teamPath(org), "transferred")
}

// inviteLanding is the invitation link: who invites you and as what,
// then log in or sign up as the invited email to accept.
func (d *Dashboard) inviteLanding(q *request) error {
	tok := q.r.PathValue("token")
	inv, org, err := d.app.InviteByToken(q.r.Context(), tok)
	if err != nil {
		return err
	}
	q.v.Title = "Join " + org + " on kobo"
	q.v.Data["Invite"], q.v.Data["OrgName"] = inv, org
	q.v.Data["Next"] = q.r.URL.Path
	if c, err := q.r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if p, err := d.app.AuthenticatePartner(q.r.Context(), c.Value); err == nil {
			q.partner, q.v.Partner = p, p
			q.v.Data["Matches"] = strings.EqualFold(p.Email, inv.Email)
		}
	}
	d.render(q, "invite")
	return nil
}

func (d *Dashboard) acceptInvite(q *request) error {
	inv, err := d.app.AcceptInvite(q.r.Context(), q.partner, q.r.PathValue("token"))
	if err != nil {
		return err
	}
	return d.redirectWith(q, teamPath(inv.OrgID), app.FlashMessage{Kind: "ok", Message: "You joined the team as " + string(inv.Role) + ". Its apps are listed on your home page."})
}

// ---- audit log -------------------------------------------------------------

func (d *Dashboard) auditQuery(q *request) (string, app.AuditQuery, error) {
	org, role, err := d.orgOf(q, app.PermAudit)
	if err != nil {
		return "", app.AuditQuery{}, err
	}
	q.v.Role = role
	v := q.r.URL.Query()
	aq := app.AuditQuery{AppID: v.Get("app"), Action: v.Get("action"), Limit: 100}
	if s := v.Get("since"); s != "" {
		if t, err := time.ParseInLocation("2006-01-02", s, app.Lagos); err == nil {
			aq.Since = &t
		} else {
			q.v.Fields["since"] = "must be a date"
		}
	}
	if s := v.Get("before"); s != "" {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			aq.Before = &t
		}
	}
	return org, aq, nil
}

func (d *Dashboard) auditLog(q *request) error {
	org, aq, err := d.auditQuery(q)
	if err != nil {
		return err
	}
	list, err := d.app.AuditLog(q.r.Context(), org, aq)
	if err != nil {
		return err
	}
	orgs, err := d.app.Memberships(q.r.Context(), q.partner)
	if err != nil {
		return err
	}
	v := q.r.URL.Query()
	q.v.Title, q.v.Nav = "Audit log", "audit"
	q.v.Data["Entries"], q.v.Data["Org"], q.v.Data["Orgs"] = list, org, orgs
	q.v.Data["Action"], q.v.Data["AppID"], q.v.Data["Since"] = v.Get("action"), v.Get("app"), v.Get("since")
	q.v.Data["Filtered"] = v.Get("action") != "" || v.Get("app") != "" || v.Get("since") != ""
	q.v.Data["Actions"] = []string{"keys.", "webhook.", "app.", "account.", "member."}
	if len(list) == aq.Limit {
		q.v.Data["Before"] = list[len(list)-1].CreatedAt.Format(time.RFC3339Nano)
	}
	d.render(q, "audit")
	return nil
}

func (d *Dashboard) auditCSV(q *request) error {
	org, aq, err := d.auditQuery(q)
	if err != nil {
		return err
	}
	aq.Limit = 10_000
	list, err := d.app.AuditLog(q.r.Context(), org, aq)
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	q.w.Header().Set("Content-Disposition", `attachment; filename="kobo-audit-log.csv"`)
	return app.WriteAuditCSV(q.w, list)
}

// ---- pages that are not there --------------------------------------------

// notFound answers every other /dashboard/ path with a page: an unknown
// path is a 404, a form's address opened directly (a bookmark, a
// refresh of an old page) says what it is and where to go.
func (d *Dashboard) notFound(q *request) error {
	path := strings.TrimSuffix(q.r.URL.Path, "/")
	for _, action := range []string{"/keys/rotate", "/webhook/rotate", "/settings", "/sync", "/reauth", "/unlink", "/statement", "/redeliver", "/webhooks/test", "/webhooks/enable", "/sandbox/exchange", "/golive",
		"/dashboard/apps", "/dashboard/logout", "/dashboard/team/invite", "/dashboard/team/withdraw", "/dashboard/team/remove", "/dashboard/team/role", "/dashboard/team/transfer"} {
		if strings.HasSuffix(path, action) && q.r.Method != http.MethodPost {
			back := strings.TrimSuffix(path, action)
			switch {
			case strings.HasPrefix(action, "/dashboard/team"):
				back = "/dashboard/team"
			case strings.HasPrefix(action, "/dashboard/"):
				back = "/dashboard/"
			case strings.HasSuffix(back, "/webhooks") || strings.Contains(action, "webhooks"):
				back = strings.TrimSuffix(back, "/webhooks") + "/webhooks"
			case action == "/keys/rotate" || action == "/webhook/rotate" || action == "/settings":
				back += "/"
			}
			q.w.Header().Set("Allow", http.MethodPost)
			q.w.WriteHeader(http.StatusMethodNotAllowed)
			q.v.Title = "Nothing to see at this address"
			q.v.Error = "This address is where a form sends its answer; opening it does nothing, and nothing was changed."
			q.v.Data["Back"] = back
			d.render(q, "error")
			return nil
		}
	}
	q.w.WriteHeader(http.StatusNotFound)
	q.v.Title = "Page not found"
	q.v.Error = "There is no dashboard page at this address. Check the link, or start from your apps."
	d.render(q, "error")
	return nil
}

// favicon answers browsers that ask for /favicon.ico whatever the page
// says.
func (d *Dashboard) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := files.ReadFile("static/favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}
