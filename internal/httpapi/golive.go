package httpapi

import (
	"net/http"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// The Partner API's side of the go-live policy (app/golivereview.go):
// GET /v1/apps/{id}/golive says where the app stands; POST submits the
// business details (under the review policy) and switches the app to live.

type goLiveJSON struct {
	Policy             string     `json:"policy"` // automatic or review
	Live               bool       `json:"live"`
	Status             string     `json:"status"` // "" (never reviewed), pending, approved, rejected
	Reason             string     `json:"reason,omitempty"`
	LegalName          string     `json:"legal_name,omitempty"`
	RegistrationNumber string     `json:"registration_number,omitempty"`
	Country            string     `json:"country,omitempty"`
	Website            string     `json:"website,omitempty"`
	ContactEmail       string     `json:"contact_email,omitempty"`
	UseCase            string     `json:"use_case,omitempty"`
	SubmittedAt        *time.Time `json:"submitted_at,omitempty"`
	DecidedAt          *time.Time `json:"decided_at,omitempty"`
	SecretKey          string     `json:"secret_key,omitempty"` // the live secret key, when this call issued it
	PublicKey          string     `json:"public_key,omitempty"`
}

func goLiveOut(policy string, live bool, r *kobo.GoLiveReview) goLiveJSON {
	out := goLiveJSON{Policy: policy, Live: live}
	if r != nil {
		out.Status, out.Reason, out.DecidedAt = string(r.Status), r.Reason, r.DecidedAt
		out.LegalName, out.RegistrationNumber, out.Country = r.LegalName, r.RegistrationNumber, r.Country
		out.Website, out.ContactEmail, out.UseCase = r.Website, r.ContactEmail, r.UseCase
		at := r.SubmittedAt
		out.SubmittedAt = &at
	}
	return out
}

func (s *Server) getGoLive(w http.ResponseWriter, r *http.Request) error {
	org, id := partnerFrom(r.Context()).ID, r.PathValue("id")
	d, err := s.app.GetApp(r.Context(), org, id)
	if err != nil {
		return err
	}
	rev, err := s.app.GoLiveReview(r.Context(), org, id)
	if err != nil {
		return err
	}
	policy, _, err := s.app.GoLivePolicy(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, goLiveOut(policy, d.App.Live, rev))
	return nil
}

// postGoLive answers 202 while the operator has yet to approve, 200 once
// live keys work.
func (s *Server) postGoLive(w http.ResponseWriter, r *http.Request) error {
	if !app.Can(roleFrom(r.Context()), app.PermGoLive) {
		return kobo.Errorf(kobo.EFORBIDDEN, "your role (%s) may not switch the app to live; ask an owner or admin", roleFrom(r.Context()))
	}
	var body struct {
		LegalName          string `json:"legal_name"`
		RegistrationNumber string `json:"registration_number"`
		Country            string `json:"country"`
		Website            string `json:"website"`
		ContactEmail       string `json:"contact_email"`
		UseCase            string `json:"use_case"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &body, true); err != nil {
			return err
		}
	}
	org, id := partnerFrom(r.Context()).ID, r.PathValue("id")
	d, rev, err := s.app.GoLive(r.Context(), org, id, kobo.BusinessDetails{LegalName: body.LegalName, RegistrationNumber: body.RegistrationNumber,
		Country: body.Country, Website: body.Website, ContactEmail: body.ContactEmail, UseCase: body.UseCase})
	if err != nil {
		return err
	}
	policy, _, err := s.app.GoLivePolicy(r.Context())
	if err != nil {
		return err
	}
	out := goLiveOut(policy, d.App.Live, rev)
	out.SecretKey, out.PublicKey = d.SecretKeys[kobo.ModeLive].Reveal(), d.PublicKeys[kobo.ModeLive]
	status := http.StatusOK
	if rev != nil && rev.Status != kobo.GoLiveApproved {
		status = http.StatusAccepted
	}
	writeJSON(w, status, out)
	return nil
}
