package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// funnel is GET /v1/apps/{id}/funnel: the app's link conversion by
// institution over the last ?days= UTC days (1 to 90, default 30), in
// ?mode= test or live (default both) and ?reauth= true or false (default
// both).
func (s *Server) funnel(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	var q app.FunnelQuery
	bad := kobo.Invalid{}
	if d := v.Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > app.FunnelMaxDays {
			bad.Add("days", "must be a whole number from 1 to 90")
		}
		q.Days = n
	}
	switch m := v.Get("mode"); m {
	case "":
	case "test", "sandbox":
		q.Live = new(false)
	case "live":
		q.Live = new(true)
	default:
		bad.Add("mode", `must be "test" or "live"`)
	}
	switch ra := v.Get("reauth"); ra {
	case "":
	case "true", "1":
		q.Reauth = new(true)
	case "false", "0":
		q.Reauth = new(false)
	default:
		bad.Add("reauth", `must be "true" or "false"`)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	f, err := s.app.ConnectFunnel(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	rows := make([]map[string]any, 0, len(f.Rows))
	for _, l := range f.Rows {
		rows = append(rows, funnelJSON(l, true))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"from": f.From.Format("2006-01-02"), "to": f.To.AddDate(0, 0, -1).Format("2006-01-02"), "days": f.Days,
		"mode": orAll(v.Get("mode")), "reauth": orAll(v.Get("reauth")),
		"data": rows, "total": funnelJSON(f.Total, false),
	})
	return nil
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

func funnelJSON(l app.FunnelLine, byInstitution bool) map[string]any {
	out := map[string]any{
		"started": l.Started, "chosen": l.Chosen, "submitted": l.Submitted, "linked": l.Linked, "exited": l.Exited, "failed": l.Failed,
		"chosen_rate": l.ChosenRate, "submitted_rate": l.SubmittedRate, "linked_rate": l.LinkedRate, "conversion": l.Conversion,
	}
	if byInstitution {
		out["institution"] = map[string]any{"id": l.InstitutionID, "name": l.InstitutionName}
	}
	return out
}

// widgetExit is POST /connect/api/exit: the customer closed the widget
// before linking. It only counts the session as exited in the link
// funnel, so the widget sends it and forgets it.
func (s *Server) widgetExit(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.ExitSession(r.Context(), callerFrom(r.Context()), r.Header.Get("x-session-id")); err != nil {
		return s.widgetError(w, r, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	return nil
}
