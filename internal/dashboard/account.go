package dashboard

import (
	"net/http"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// The login's own security: "forgot password" links and the Sessions page.

func (d *Dashboard) forgotForm(q *request) error {
	q.v.Title = "Forgot your password?"
	d.render(q, "forgot")
	return nil
}

// forgot answers the same whether or not an account has the email, so
// the form tells nobody which emails have accounts.
func (d *Dashboard) forgot(q *request) error {
	q.v.Form = q.r.PostForm
	l, err := d.app.RequestPasswordReset(q.r.Context(), q.r.PostFormValue("email"), clientIP(q.r))
	if err != nil {
		if fieldErrors(q, err) {
			return d.forgotForm(q)
		}
		return err
	}
	if l != nil {
		link := d.baseURL(q) + "/dashboard/reset/" + l.Token.Reveal()
		if !d.secure {
			// kobo sends no email; on a development deployment (plain http)
			// the server log carries the link, as a mail log would (as for
			// team invitations)
			d.log.InfoContext(q.r.Context(), "password reset link (development: kobo sends no email)", "email", l.Partner.Email, "url", link, "expires_at", l.ExpiresAt)
		} else {
			d.log.InfoContext(q.r.Context(), "password reset requested; kobo sends no email, so the operator passes the link on", "partner_id", l.Partner.ID)
		}
	}
	return d.redirect(q, "/dashboard/forgot", "reset-sent")
}

func (d *Dashboard) resetForm(q *request) error {
	if err := d.app.CheckPasswordReset(q.r.Context(), q.r.PathValue("token")); err != nil {
		return err
	}
	q.v.Title = "Set a new password"
	q.v.Data["Token"] = q.r.PathValue("token")
	d.render(q, "reset")
	return nil
}

func (d *Dashboard) reset(q *request) error {
	err := d.app.ResetPassword(q.r.Context(), q.r.PathValue("token"), kobo.Secret(q.r.PostFormValue("password")))
	switch {
	case err == nil:
		d.clearSession(q.w)
		return d.redirect(q, "/dashboard/login", "password-reset")
	case kobo.ErrorCode(err) == kobo.ERATELIMIT || kobo.ErrorCode(err) == kobo.EUNAVAILABLE:
		status, msg := busy(q, err)
		q.v.Error = msg
		q.w.WriteHeader(status)
	case !fieldErrors(q, err):
		return err
	}
	q.v.Title = "Set a new password"
	q.v.Data["Token"] = q.r.PathValue("token")
	d.render(q, "reset")
	return nil
}

func (d *Dashboard) sessions(q *request) error {
	list, err := d.app.Sessions(q.r.Context(), q.partner.ID, q.token)
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Sessions", "account"
	q.v.Data["Sessions"] = list
	d.render(q, "sessions")
	return nil
}

func (d *Dashboard) endSession(q *request) error {
	if err := d.app.EndSession(q.r.Context(), q.partner.ID, q.token, q.r.PostFormValue("session")); err != nil {
		if kobo.ErrorCode(err) == kobo.ENOTFOUND || kobo.ErrorCode(err) == kobo.EINVALID {
			q.v.Error = kobo.ErrorMessage(err)
			q.w.WriteHeader(http.StatusBadRequest)
			return d.sessions(q)
		}
		return err
	}
	return d.redirect(q, "/dashboard/sessions", "session-ended")
}

func (d *Dashboard) endOtherSessions(q *request) error {
	if _, err := d.app.EndOtherSessions(q.r.Context(), q.partner.ID, q.token); err != nil {
		return err
	}
	return d.redirect(q, "/dashboard/sessions", "others-ended")
}
