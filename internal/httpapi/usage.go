package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// usageJSON is one metric set of GET /v1/apps/{id}/usage.
type usageJSON struct {
	Date     string `json:"date,omitempty"` // YYYY-MM-DD, UTC; absent on totals
	Calls    int64  `json:"calls"`
	Errors   int64  `json:"errors"`
	Links    int64  `json:"links"`
	Syncs    int64  `json:"syncs"`
	Webhooks int64  `json:"webhooks"`
}

func usageOf(date string, c kobo.UsageCounts) usageJSON {
	return usageJSON{Date: date, Calls: c.Calls, Errors: c.Errors, Links: c.Links, Syncs: c.Syncs, Webhooks: c.Webhooks}
}

// appUsage answers the app's usage per UTC day for the last ?days= days
// (1..90, default 30, today included), every day present.
func (s *Server) appUsage(w http.ResponseWriter, r *http.Request) error {
	live, err := modeParam(r)
	if err != nil {
		return err
	}
	days := 0
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 {
			return &kobo.Error{Code: kobo.EINVALID, Message: "days must be a whole number from 1 to " + strconv.Itoa(app.UsageMaxDays),
				Fields: map[string]string{"days": "must be a whole number from 1 to " + strconv.Itoa(app.UsageMaxDays)}}
		}
	}
	list, err := s.app.AppUsage(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), live, days)
	if err != nil {
		return err
	}
	out := make([]usageJSON, 0, len(list))
	var total kobo.UsageCounts
	for _, d := range list {
		out = append(out, usageOf(d.Day.Format("2006-01-02"), d.UsageCounts))
		total = total.Add(d.UsageCounts)
	}
	writeJSON(w, http.StatusOK, map[string]any{"app_id": r.PathValue("id"), "mode": kobo.ModeOf(live), "days": len(out),
		"from": out[0].Date, "to": out[len(out)-1].Date, "totals": usageOf("", total), "data": out})
	return nil
}
