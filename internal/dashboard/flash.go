package dashboard

import (
	"net/http"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

type flashText struct {
	text string
	warn bool // a warning: shown as one, never as a success
}

// flashes are the fixed messages a redirect may carry. Before login the
// URL names one by id (?flash=welcome): text taken from the query string
// would let anyone send a partner a kobo link that shows kobo saying
// whatever they like ("your keys leaked: rotate them at evil.example").
var flashes = map[string]flashText{
	"welcome":          {text: "Welcome to kobo. Create your first app to get sandbox keys."},
	"logged-out":       {text: "You are logged out."},
	"expired":          {text: "Your session has expired. Please log in again.", warn: true},
	"password-changed": {text: "Password changed. Other sessions were logged out."},
	"reset-sent":       {text: "If an account has that email, a link to set a new password is on its way. It works once, for 30 minutes."},
	"password-reset":   {text: "Password set. Every session was signed out; log in with the new password."},
	"session-ended":    {text: "That session is signed out."},
	"others-ended":     {text: "Every other session is signed out."},
	"settings-saved":   {text: "Settings saved."},
	"widget-saved":     {text: "Widget settings saved. The widget shows them to the next customer who opens it."},
	"sync-limited":     {text: "This account was synced moments ago. Try again in a couple of minutes.", warn: true},
	"sync-none":        {text: "Synced: no new data."},
	"sync-new":         {text: "Synced: new data arrived."},
	"sync-reauth":      {text: "Not synced: the bank wants the customer to log in again. Create a re-auth link below and send it to them.", warn: true},
	"sync-failed":      {text: "The sync failed. The bank did not answer as expected; try again later.", warn: true},
	"unlinked":         {text: "Account unlinked and its data deleted."},
	"redelivery":       {text: "Queued for redelivery with the same event id."},
	"test-sent":        {text: "Test event sent. It appears below within a second or two."},
	"webhooks-enabled": {text: "Webhooks re-enabled."},
	"test-linked":      {text: "Test account linked. Its data is being fetched."},
	"invite-withdrawn": {text: "Invitation withdrawn; its link no longer works."},
	"member-removed":   {text: "Member removed. They no longer see this organisation's apps."},
	"role-changed":     {text: "Role changed."},
	"transferred":      {text: "Ownership transferred. You are now an admin."},
	"clock-advanced":   {text: "Sandbox clock advanced. New transactions appear at the next sync."},
	"event-fired":      {text: "Webhook fired. It appears in the delivery log within a second or two."},
	"login-reset":      {text: "The next sync of this account will need re-authorisation."},
	"user-created":     {text: "Sandbox user created. Log in as it in the widget or with the Partners API."},
	"user-deleted":     {text: "Sandbox user deleted."},
	"provider-saved":   {text: "Provider keys saved and sealed. They are never shown again."},
	"provider-checked": {text: "Provider keys checked."},
	"provider-deleted": {text: "Provider keys forgotten; the deployment's defaults apply, if any."},
}

// flashCookie names the database flash the next page shows. The cookie
// holds only a random id; the message and any secret stay server-side,
// bound to the login, and are deleted when shown, so a refresh or a
// second tab shows nothing and no secret is in a URL, the history or a
// Referer.
const flashCookie = "kobo_flash"

// redirectWith stores m for the logged-in partner and redirects to path.
func (d *Dashboard) redirectWith(q *request, path string, m app.FlashMessage) error {
	id, err := d.app.PutFlash(q.r.Context(), q.partner.ID, m)
	if err != nil {
		return err
	}
	http.SetCookie(q.w, &http.Cookie{Name: flashCookie, Value: id, Path: "/dashboard", HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode, MaxAge: 300})
	http.Redirect(q.w, q.r, path, http.StatusSeeOther)
	return nil
}

// takeFlash shows (and so deletes) the flash the cookie names.
func (d *Dashboard) takeFlash(q *request) {
	c, err := q.r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return
	}
	http.SetCookie(q.w, &http.Cookie{Name: flashCookie, Value: "", Path: "/dashboard", HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	m, err := d.app.TakeFlash(q.r.Context(), q.partner.ID, c.Value)
	if err != nil {
		if kobo.ErrorCode(err) != kobo.ENOTFOUND {
			d.log.WarnContext(q.r.Context(), "dashboard flash", "err", err)
		}
		return
	}
	q.v.Flash, q.v.Warn = m.Message, m.Kind == "warn"
	if len(m.Secrets) > 0 {
		q.v.Data["NewSecrets"] = m.Secrets
	}
	if m.Link != "" {
		q.v.Data["FlashLink"] = m.Link
	}
}
