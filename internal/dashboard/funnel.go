package dashboard

import (
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
)

// funnelDays are the windows the funnel page offers.
func funnelDays() []int { return []int{1, 7, 30, 90} }

// funnel is the app's link funnel: sessions started, institution chosen,
// credentials submitted and linked, by institution, over the chosen days
// in the mode being viewed.
func (d *Dashboard) funnel(q *request) error {
	v := q.r.URL.Query()
	days := app.FunnelDefaultDays
	if n, err := strconv.Atoi(v.Get("days")); err == nil && n >= 1 && n <= app.FunnelMaxDays {
		days = n
	}
	fq := app.FunnelQuery{Days: days, Live: &q.v.Live}
	scope := v.Get("scope")
	switch scope {
	case "new":
		fq.Reauth = new(false)
	case "reauth":
		fq.Reauth = new(true)
	default:
		scope = ""
	}
	f, err := d.app.ConnectFunnel(q.r.Context(), q.org, q.app.App.ID, fq)
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Link funnel", "funnel"
	q.v.Data["Funnel"], q.v.Data["Days"], q.v.Data["Scope"], q.v.Data["DayChoices"] = f, days, scope, funnelDays()
	d.render(q, "funnel")
	return nil
}

// pct shows a ratio (0 to 1) as a percentage with at most one decimal.
func pct(r float64) string {
	s := strconv.FormatFloat(r*100, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + "%"
}
