package httpapi

import (
	"net/http"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// headless refuses the headless Connect routes to a live key whose app
// has not been granted the add-on (Mono restricts its Partners API the
// same way); sandbox keys pass.
func (s *Server) headless(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.app.RequireAddon(r.Context(), callerFrom(r.Context()), kobo.AddonHeadlessConnect); err != nil {
			return err
		}
		return h(w, r)
	}
}

type addonJSON struct {
	Addon       string     `json:"addon"`
	Title       string     `json:"title"`
	Status      string     `json:"status"` // "" (never asked), requested, approved, denied, revoked
	Reason      string     `json:"reason,omitempty"`
	Note        string     `json:"note,omitempty"`
	RequestedAt *time.Time `json:"requested_at,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	SandboxOnly bool       `json:"sandbox_always"` // sandbox keys have every add-on
}

func addonOut(v app.AddonView) addonJSON {
	out := addonJSON{Addon: v.Addon, Title: v.Title, Status: string(v.Status), Reason: v.Reason, Note: v.Note, DecidedAt: v.DecidedAt, SandboxOnly: true}
	if !v.RequestedAt.IsZero() {
		t := v.RequestedAt
		out.RequestedAt = &t
	}
	return out
}

// listAddons is GET /v1/apps/{id}/addons: every add-on with the app's state.
func (s *Server) listAddons(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.AppAddons(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]addonJSON, 0, len(list))
	for _, v := range list {
		out = append(out, addonOut(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// requestAddon is POST /v1/apps/{id}/addons/{addon}: ask the operator for
// an add-on for live keys. The body ({"reason": "…"}) is optional.
func (s *Server) requestAddon(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &body, true); err != nil {
			return err
		}
	}
	org, appID := partnerFrom(r.Context()).ID, r.PathValue("id")
	if _, err := s.app.RequestAddon(r.Context(), org, appID, r.PathValue("addon"), body.Reason); err != nil {
		return err
	}
	list, err := s.app.AppAddons(r.Context(), org, appID)
	if err != nil {
		return err
	}
	for _, v := range list {
		if v.Addon == r.PathValue("addon") {
			status := http.StatusAccepted // waiting for the operator
			if v.Status == kobo.AddonApproved {
				status = http.StatusOK
			}
			writeJSON(w, status, addonOut(v))
		}
	}
	return nil
}
