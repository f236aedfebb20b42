package dashboard

import (
	"fmt"
	"html/template"
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// usageRanges are the ranges the usage page offers, in days.
var usageRanges = []int{7, 30, 90}

// usageMetric is one chart of the usage page.
type usageMetric struct {
	ID, Name, Help string
	Total          int64
	Chart          template.HTML
}

// usage is the app's usage per UTC day: a chart per metric and the days
// as a table (the same figures as GET /v1/apps/{id}/usage).
func (d *Dashboard) usage(q *request) error {
	days := 30
	if n, err := strconv.Atoi(q.r.URL.Query().Get("days")); err == nil {
		days = n
	}
	list, err := d.app.AppUsage(q.r.Context(), q.org, q.app.App.ID, q.v.Live, days)
	if err != nil {
		return err
	}
	pick := []struct {
		id, name, help string
		get            func(kobo.UsageCounts) int64
	}{
		{"calls", "API calls", "Requests made with this app's keys.", func(c kobo.UsageCounts) int64 { return c.Calls }},
		{"errors", "Errors", "Of the calls, those answered 4xx or 5xx.", func(c kobo.UsageCounts) int64 { return c.Errors }},
		{"links", "Accounts linked", "Accounts linked through Connect (re-authorisations not counted).", func(c kobo.UsageCounts) int64 { return c.Links }},
		{"syncs", "Syncs", "Syncs of linked accounts that finished successfully.", func(c kobo.UsageCounts) int64 { return c.Syncs }},
		{"webhooks", "Webhooks delivered", "Deliveries your endpoint answered 2xx.", func(c kobo.UsageCounts) int64 { return c.Webhooks }},
	}
	from, to := list[0].Day.Format("2 Jan"), list[len(list)-1].Day.Format("2 Jan")
	var metrics []usageMetric
	for _, p := range pick {
		vals := make([]float64, len(list))
		var total int64
		for i, u := range list {
			vals[i] = float64(p.get(u.UsageCounts))
			total += p.get(u.UsageCounts)
		}
		m := usageMetric{ID: p.id, Name: p.name, Help: p.help, Total: total}
		label := fmt.Sprintf("%s per day from %s to %s: %d in all", p.name, from, to, total)
		if len(vals) == 1 {
			vals = append([]float64{0}, vals...) // one day draws as a rise from zero
		}
		m.Chart = lineChart(vals, chartSpec{W: 320, H: 120, Label: label, ZeroBase: true, From: from, To: to,
			Format: func(v float64) string { return strconv.FormatInt(int64(v), 10) }})
		metrics = append(metrics, m)
	}
	rows := make([]kobo.UsageDay, len(list)) // the table: newest first
	for i, u := range list {
		rows[len(list)-1-i] = u
	}
	q.v.Title, q.v.Nav = "Usage", "usage"
	q.v.Data["Metrics"], q.v.Data["Days"], q.v.Data["Range"], q.v.Data["Ranges"] = metrics, rows, len(list), usageRanges
	q.v.Data["MaxDays"] = app.UsageMaxDays
	d.render(q, "usage")
	return nil
}
