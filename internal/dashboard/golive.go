package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// checkItem is one line of the go-live checklist.
type checkItem struct {
	ID       string
	Label    string
	Done     bool
	Required bool
	Help     string
	Link     string
}

// goLiveChecklist is what an app needs before real customers use it.
func (d *Dashboard) goLiveChecklist(q *request) []checkItem {
	a := q.app.App
	base := "/dashboard/apps/" + a.ID + "/"
	real := d.app.RealProviders()
	hook := strings.HasPrefix(a.WebhookURL, "https://")
	liveHook, err := d.app.LiveWebhookURL(q.r.Context(), q.org, a.ID)
	if err != nil {
		d.log.WarnContext(q.r.Context(), "live webhook URL", "app_id", a.ID, "err", err)
	}
	return []checkItem{
		{ID: "business-name", Label: "Business name customers see in the widget", Done: strings.TrimSpace(a.DisplayName) != "", Required: true,
			Help: "Customers are asked to share bank data with this name.", Link: base + "#display-name"},
		{ID: "logo", Label: "Logo", Done: a.Icon != "", Help: "Shown next to your name in the widget. Recommended.", Link: base + "#icon"},
		{ID: "https-webhook", Label: "An https webhook URL", Done: hook, Required: true,
			Help: "Live events carry customers' data; kobo sends them only over https.", Link: base + "#webhook-url"},
		{ID: "live-webhook", Label: "A live webhook URL separate from the sandbox one", Done: liveHook != "" && liveHook != a.WebhookURL,
			Help: "Live events go to it and sandbox events to the webhook URL, so a test never reaches production. Recommended.", Link: base + "#live-webhook-url"},
		{ID: "providers", Label: "Real bank connections configured", Done: len(real) > 0,
			Help: providersHelp(real)},
	}
}

func providersHelp(real []string) string {
	if len(real) == 0 {
		return "This kobo has no real bank connector configured yet: only the sandbox bank. Provider credentials are set by the operator (the Providers page arrives with real-data support)."
	}
	return "Configured: " + strings.Join(real, ", ") + "."
}

func (d *Dashboard) goLive(q *request) error {
	q.v.Title, q.v.Nav = "Go live", "golive"
	items := d.goLiveChecklist(q)
	ready := true
	for _, it := range items {
		ready = ready && (it.Done || !it.Required)
	}
	q.v.Data["Items"], q.v.Data["Ready"] = items, ready
	q.v.Data["RealProviders"] = d.app.RealProviders()
	q.v.Data["CanGoLive"] = app.Can(q.v.Role, app.PermGoLive)
	policy, _, err := d.app.GoLivePolicy(q.r.Context())
	if err != nil {
		return err
	}
	rev, err := d.app.GoLiveReview(q.r.Context(), q.org, q.app.App.ID)
	if err != nil {
		return err
	}
	q.v.Data["Review"], q.v.Data["Policy"] = rev, policy
	if q.v.Form == nil && rev != nil {
		// a resubmission starts from what was sent last time
		q.v.Form = url.Values{"legal_name": {rev.LegalName}, "registration_number": {rev.RegistrationNumber}, "country": {rev.Country},
			"website": {rev.Website}, "contact_email": {rev.ContactEmail}, "use_case": {rev.UseCase}}
	}
	d.render(q, "golive")
	return nil
}

func (d *Dashboard) goLiveSubmit(q *request) error {
	rev, err := d.app.GoLiveReview(q.r.Context(), q.org, q.app.App.ID)
	if err != nil {
		return err
	}
	page := "/dashboard/apps/" + q.app.App.ID + "/golive"
	if q.app.App.Live && (rev == nil || rev.Status == kobo.GoLiveApproved) {
		return d.redirect(q, page, "")
	}
	for _, it := range d.goLiveChecklist(q) {
		if it.Required && !it.Done {
			q.v.Error = "Not live yet: finish the required items first (" + it.Label + ")."
			q.w.WriteHeader(http.StatusBadRequest)
			return d.goLive(q)
		}
	}
	if q.r.PostFormValue("confirm") != "yes" {
		q.v.Error = "Not live yet: tick the box to confirm you have read what live means on this kobo."
		q.v.Form = q.r.PostForm
		q.w.WriteHeader(http.StatusBadRequest)
		return d.goLive(q)
	}
	f := q.r.PostFormValue
	a, rev, err := d.app.GoLive(q.r.Context(), q.org, q.app.App.ID, kobo.BusinessDetails{LegalName: f("legal_name"), RegistrationNumber: f("registration_number"),
		Country: f("country"), Website: f("website"), ContactEmail: f("contact_email"), UseCase: f("use_case")})
	if err != nil {
		if fieldErrors(q, err) {
			q.v.Form = q.r.PostForm
			return d.goLive(q)
		}
		return err
	}
	if rev != nil && rev.Status == kobo.GoLivePending {
		if len(secrets(a)) > 0 {
			// the overview is the page that shows secrets once
			return d.redirectWith(q, "/dashboard/apps/"+a.App.ID+"/", app.FlashMessage{Kind: "ok", Secrets: secrets(a),
				Message: "Submitted for review. Copy the live secret key now: kobo keeps only a hash of it, and it works once the operator approves (the Live status page says where the review stands). Sandbox keys keep working."})
		}
		return d.redirectWith(q, page, app.FlashMessage{Kind: "ok", Message: "Submitted for review again. The operator of this kobo reviews your business details; where it stands is on this page."})
	}
	return d.redirectWith(q, "/dashboard/apps/"+a.App.ID+"/?mode=live", app.FlashMessage{Kind: "ok",
		Message: "Your app is live. Copy the live secret key now: kobo keeps only a hash of it. Sandbox keys keep working.", Secrets: secrets(a)})
}
