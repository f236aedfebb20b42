package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

type attemptView struct {
	Attempt      int    `json:"attempt"`
	AttemptedAt  string `json:"attempted_at"`
	URL          string `json:"url"`
	StatusCode   int    `json:"status_code"`
	LatencyMS    int64  `json:"latency_ms"`
	ResponseBody string `json:"response_body"`
	Error        string `json:"error,omitempty"`
}

type deliveryView struct {
	ID             string          `json:"id"`
	EventID        string          `json:"event_id"`
	Event          string          `json:"event"`
	AccountID      string          `json:"account_id,omitempty"`
	Live           bool            `json:"live"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	NextAttemptAt  *string         `json:"next_attempt_at"`
	LastStatusCode int             `json:"last_status_code,omitempty"`
	LastError      string          `json:"last_error,omitempty"`
	CreatedAt      string          `json:"created_at"`
	DeliveredAt    *string         `json:"delivered_at"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	AttemptLog     []attemptView   `json:"attempt_log,omitempty"`
}

func timePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := monoTime(*t)
	return &s
}

func deliveryJSON(d *kobo.Delivery, atts []*kobo.DeliveryAttempt, withPayload bool) deliveryView {
	v := deliveryView{ID: d.ID, EventID: d.EventID, Event: d.EventType, AccountID: d.AccountID, Live: d.Live, Status: string(d.Status),
		Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError, CreatedAt: monoTime(d.CreatedAt),
		DeliveredAt: timePtr(d.DeliveredAt)}
	if d.Status == kobo.DeliveryPending {
		v.NextAttemptAt = timePtr(d.NextAttemptAt)
	}
	if withPayload && d.Event != nil {
		v.Payload = d.Event.Payload
	}
	for _, a := range atts {
		v.AttemptLog = append(v.AttemptLog, attemptView{Attempt: a.Attempt, AttemptedAt: monoTime(a.AttemptedAt), URL: a.URL, StatusCode: a.StatusCode,
			LatencyMS: a.Latency.Milliseconds(), ResponseBody: a.ResponseBody, Error: a.Error})
	}
	return v
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return &kobo.Error{Code: kobo.EINVALID, Message: "limit must be a number", Fields: map[string]string{"limit": "must be a number"}}
		}
		limit = n
	}
	page, err := s.app.ListDeliveries(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), app.DeliveryQuery{
		Status: q.Get("status"), EventType: q.Get("event"), AccountID: q.Get("account"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]deliveryView, 0, len(page.Deliveries))
	for _, d := range page.Deliveries {
		out = append(out, deliveryJSON(d, nil, false))
	}
	var next any
	if page.Next != "" {
		next = page.Next
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next_cursor": next})
	return nil
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, atts, err := s.app.GetDelivery(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("d"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryJSON(d, atts, true))
	return nil
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.Redeliver(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("d"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, deliveryJSON(d, nil, false))
	return nil
}

func modeParam(r *http.Request) (bool, error) {
	switch m := r.URL.Query().Get("mode"); m {
	case "", "test":
		return false, nil
	case "live":
		return true, nil
	default:
		return false, &kobo.Error{Code: kobo.EINVALID, Message: `mode must be "test" or "live"`, Fields: map[string]string{"mode": "is invalid"}}
	}
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	live, err := modeParam(r)
	if err != nil {
		return err
	}
	// ?type= fires any test event type with a sample account (default mono.events.webhook_test)
	ev, err := s.app.SendTestEventOfType(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), live, r.URL.Query().Get("type"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"event": ev.Type, "event_id": ev.ID, "message": "Test event queued for delivery"})
	return nil
}

type replayRequest struct {
	From       string   `json:"from"`
	To         string   `json:"to"`
	EventTypes []string `json:"event_types"`
	Mode       string   `json:"mode"`
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request) error {
	var req replayRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	in := app.ReplayInput{Types: req.EventTypes, Live: req.Mode == "live"}
	v := kobo.Invalid{}
	if req.From != "" {
		t, err := app.ParseTime(req.From)
		if err != nil {
			v.Add("from", err.Error())
		}
		in.From = t
	}
	if req.To != "" {
		t, err := app.ParseTime(req.To)
		if err != nil {
			v.Add("to", err.Error())
		}
		in.To = t
	}
	if req.Mode != "" && req.Mode != "test" && req.Mode != "live" {
		v.Add("mode", `must be "test" or "live"`)
	}
	if err := v.Err(); err != nil {
		return err
	}
	n, err := s.app.Replay(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"replayed": n, "message": strconv.Itoa(n) + " event(s) queued for delivery with their original event ids"})
	return nil
}

func (s *Server) enableWebhooks(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.EnableWebhooks(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Webhook endpoint enabled; waiting deliveries will be sent"})
	return nil
}

type feedEvent struct {
	Event     string          `json:"event"`
	EventID   string          `json:"event_id"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// events is the pull feed GET /v1/apps/{id}/events?cursor=: the same
// {event, event_id, timestamp, data} bodies webhooks carry, oldest first.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	live, err := modeParam(r)
	if err != nil {
		return err
	}
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil {
			return &kobo.Error{Code: kobo.EINVALID, Message: "limit must be a number", Fields: map[string]string{"limit": "must be a number"}}
		}
	}
	page, err := s.app.Feed(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.URL.Query().Get("cursor"), limit, live)
	if err != nil {
		return err
	}
	out := make([]feedEvent, 0, len(page.Events))
	for _, e := range page.Events {
		out = append(out, feedEvent{Event: e.Type, EventID: e.ID, Timestamp: monoTime(e.CreatedAt), Data: e.Payload})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next_cursor": page.Cursor, "has_more": page.More})
	return nil
}
