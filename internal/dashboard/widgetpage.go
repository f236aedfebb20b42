package dashboard

import (
	"html/template"
	"net/url"
	"strings"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// The widget page: what an app's customers see in Connect (business
// name, logo, accent colour, the partner's privacy policy and terms),
// a server-rendered preview of the consent screen, and the real sandbox
// widget in a frame, opened with the app's test public key.

// consentItem is one line of "what is shared" on the consent screen.
type consentItem struct{ What, Why string }

func (d *Dashboard) widget(q *request) error {
	a := q.app.App
	q.v.Title, q.v.Nav = "Widget", "widget"
	q.v.Data["CanSettings"] = app.Can(q.v.Role, app.PermSettings)
	name := typed(q.v.Form, "display_name", cmpOr(a.DisplayName, a.Name))
	if strings.TrimSpace(name) == "" {
		name = a.Name
	}
	q.v.Data["PreviewName"] = name
	q.v.Data["Initials"] = initials(name)
	q.v.Data["Shared"] = sharedData(a)
	q.v.Data["Swatch"] = swatch(cmpOr(a.BrandColor, defaultBrandColor))
	q.v.Data["DefaultColor"] = defaultBrandColor
	if pk := q.app.PublicKeys[kobo.ModeTest]; pk != "" {
		// the real widget, same origin: the dashboard's CSP allows
		// frame-src 'self' and the widget allows any ancestor
		q.v.Data["WidgetURL"] = "/connect/?key=" + url.QueryEscape(pk) + "&reference=dashboard-preview"
	}
	d.render(q, "widget")
	return nil
}

func (d *Dashboard) saveWidget(q *request) error {
	f := q.r.PostForm
	get := func(k string) *string { v := strings.TrimSpace(f.Get(k)); return &v }
	in := app.AppInput{DisplayName: get("display_name"), Icon: get("icon"), BrandColor: get("brand_color"),
		PrivacyURL: get("privacy_url"), TermsURL: get("terms_url")}
	if _, err := d.app.UpdateApp(q.r.Context(), q.org, q.app.App.ID, in); err != nil {
		if fieldErrors(q, err) {
			q.v.Form = f // the form shows what was typed, not what is stored
			q.v.Error = "The widget settings were not saved. Fix the fields marked below."
			return d.widget(q)
		}
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/widget", "widget-saved")
}

// defaultBrandColor is the widget's own accent when an app sets none.
const defaultBrandColor = "#0a6cff" // widget.css --brand

// sharedData lists what a linked account gives the app and for how long,
// as the consent screen says it.
func sharedData(a *kobo.App) []consentItem {
	months := a.HistoryMonths
	if months <= 0 {
		months = kobo.DefaultHistoryMonths
	}
	return []consentItem{
		{"Account details", "the account's name, number, type and bank"},
		{"Balance", "the current balance, refreshed at each sync"},
		{"Transactions", "up to " + plural(months, "month") + " of history, then new transactions as they arrive"},
		{"Identity", "the account holder's name and contact details the bank holds"},
	}
}

// initials stand in for a logo the dashboard does not load: up to two
// letters from the business name, as the widget shows for banks.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// swatch is a data: SVG of the accent colour. The dashboard's CSP has no
// inline styles, and the colour is checked as #rrggbb by the app layer
// before it is stored, so it cannot break out of the attribute.
func swatch(color string) template.URL {
	if len(color) != 7 || color[0] != '#' {
		color = defaultBrandColor
	}
	for _, r := range color[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			color = defaultBrandColor
			break
		}
	}
	return template.URL("data:image/svg+xml," + url.PathEscape(`<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" rx="6" fill="`+color+`"/></svg>`))
}
