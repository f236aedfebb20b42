package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// How long sync requests wait for the bank before answering.
const (
	manualSyncWait = 25 * time.Second
	realtimeWait   = 10 * time.Second
)

// syncV1 is POST /accounts/{id}/sync. Mono answers 2xx with a status and
// a code even when the sync fails for a reason the partner must act on
// (reference §3.7).
func (s *Server) syncV1(w http.ResponseWriter, r *http.Request) error {
	allow, _ := strconv.ParseBool(r.URL.Query().Get("allow_incomplete_statement"))
	out, err := s.app.SyncNow(r.Context(), callerFrom(r.Context()), r.PathValue("id"), allow, manualSyncWait)
	if err != nil {
		return err
	}
	var msg any
	if out.Message != "" {
		msg = out.Message
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": out.Status, "hasNewData": out.HasNewData, "code": out.Code, "message": msg})
	return nil
}

// wantsRealtime reads x-realtime (the docs also write x-real-time).
func wantsRealtime(r *http.Request) bool {
	for _, h := range []string{"x-realtime", "x-real-time"} {
		if b, err := strconv.ParseBool(strings.TrimSpace(r.Header.Get(h))); err == nil && b {
			return true
		}
	}
	return false
}

// realtime wraps a v2 read: with x-realtime: true it first runs (or reuses,
// within 5 minutes) a real-time fetch and reports it in x-job-id,
// x-job-status and x-has-new-data; then the read serves the fresh data.
func (s *Server) realtime(h handler) handler { return s.realtimeJob(app.JobSyncStatement, h) }

// realtimeJob is realtime for a read whose job Mono names job.
func (s *Server) realtimeJob(job string, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !wantsRealtime(r) {
			return h(w, r)
		}
		j, err := s.app.Realtime(r.Context(), callerFrom(r.Context()), r.PathValue("id"), job, realtimeWait)
		switch {
		case kobo.ErrorCode(err) == kobo.EREAUTH:
			w.Header().Set("x-reauth-required", "true")
			w.Header().Set("x-job-status", "failed")
			w.Header().Set("x-has-new-data", "false")
		case err != nil:
			return err
		default:
			status, hasNew := app.JobState(j)
			w.Header().Set("x-job-id", j.ID)
			w.Header().Set("x-job-status", status)
			w.Header().Set("x-has-new-data", strconv.FormatBool(hasNew))
			w.Header().Set("x-reauth-required", "false")
		}
		return h(w, r)
	}
}

// accountJob is GET /v2/accounts/{id}/jobs/{job}.
func (s *Server) accountJob(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	j, err := s.app.AccountJob(r.Context(), c, r.PathValue("id"), r.PathValue("job"))
	if err != nil {
		return err
	}
	status, _ := app.JobState(j)
	s.writeV2(w, http.StatusOK, "Request was successfully completed", map[string]any{
		"id": j.ID, "status": status, "name": app.JobName(j), "account": j.AccountID, "business": c.App.PartnerID, "app": c.App.ID,
	}, nil)
	return nil
}

// trackJob is GET /v2/accounts/jobs/{job}, the job tracker Mono's
// changelog (2025-01) describes as answering a job's status until it is
// finished; its path is a third-party client's (mono-api-round2.md §6.1).
// It finds a real-time job (answered as GET /v2/accounts/{id}/jobs/{job})
// or an enrichment job, whose name is the enrichment's kind.
func (s *Server) trackJob(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	j, e, err := s.app.TrackJob(r.Context(), c, r.PathValue("job"))
	if err != nil {
		return err
	}
	data := map[string]any{"business": c.App.PartnerID, "app": c.App.ID}
	if j != nil {
		status, _ := app.JobState(j)
		data["id"], data["status"], data["name"], data["account"] = j.ID, status, app.JobName(j), j.AccountID
	} else {
		data["id"], data["status"], data["name"], data["account"] = e.ID, e.Status, e.Kind, e.AccountID
	}
	s.writeV2(w, http.StatusOK, "Request was successfully completed", data, nil)
	return nil
}

// reauthorise is POST /accounts/{id}/reauthorise.
func (s *Server) reauthorise(w http.ResponseWriter, r *http.Request) error {
	token, err := s.app.Reauthorise(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
	return nil
}

func (s *Server) unlinkV1(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.Unlink(r.Context(), callerFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Account unlinked successfully"})
	return nil
}

func (s *Server) unlinkV2(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.Unlink(r.Context(), callerFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Account unlinked successfully", nil, nil)
	return nil
}

// reauthData renders a re-auth step: unlike login and commit, Mono puts
// responseCode inside data here (reference §5.3 item 7).
func reauthData(step *app.ConnectStep) map[string]any {
	d := map[string]any{"responseCode": step.ResponseCode, "session_id": step.Session.ID}
	switch step.ResponseCode {
	case app.CodeLinked:
		if step.Code != "" { // the session call's 99 opens the session: no code yet
			d["code"] = step.Code
		}
	case app.CodeMoreInput:
		d["userInput"] = step.Form
	case app.CodeSelectAccount:
		list := make([]map[string]any, 0, len(step.Accounts))
		for _, a := range step.Accounts {
			list = append(list, map[string]any{"accountNumber": a.AccountNumber, "name": a.Name, "type": a.Type})
		}
		d["accounts"] = list
	case app.CodeRedirect, app.CodePending, app.CodeEmbedded:
		// a consent re-authorisation (an open-banking bank): the client
		// needs the step's URL, poll delay or widget as on /v2/connect/login
		if c := step.Consent; c != nil {
			switch step.ResponseCode {
			case app.CodeRedirect:
				d["url"], d["approved"] = c.URL, c.Approved
			case app.CodePending:
				d["message"], d["poll_after_ms"], d["expires_at"] = step.Message, c.PollAfter.Milliseconds(), c.ExpiresAt.UTC().Format(time.RFC3339)
			default:
				d["script"], d["config"] = c.Script, c.Config
			}
		}
	}
	return d
}

type reauthSessionRequest struct {
	Account string `json:"account"`
	Meta    *struct {
		Ref string `json:"ref"`
	} `json:"meta"`
}

func (s *Server) reauthSessionV2(w http.ResponseWriter, r *http.Request) error {
	var req reauthSessionRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	if req.Account == "" {
		return &kobo.Error{Code: kobo.EINVALID, Message: "account is required (the id of the account to re-authorise)", Fields: map[string]string{"account": "is required"}}
	}
	in := app.SessionInput{}
	if req.Meta != nil {
		in.Reference = req.Meta.Ref
	}
	step, err := s.app.OpenReauth(r.Context(), callerFrom(r.Context()), req.Account, in)
	if err != nil {
		return s.stepError(w, r, true, err)
	}
	w.Header().Set("x-session-id", step.Session.ID)
	s.writeV2(w, http.StatusOK, step.Message, reauthData(step), nil)
	return nil
}

func (s *Server) reauthLoginV2(w http.ResponseWriter, r *http.Request) error {
	fields, err := formFields(r)
	if err != nil {
		return s.stepError(w, r, true, err)
	}
	step, err := s.app.ReauthLogin(r.Context(), callerFrom(r.Context()), r.Header.Get("x-session-id"), fields)
	if err != nil {
		return s.stepError(w, r, true, err)
	}
	s.writeV2(w, http.StatusOK, step.Message, reauthData(step), nil)
	return nil
}

// Sandbox controls.

type fireRequest struct {
	Event string `json:"event"`
}

func (s *Server) sandboxFire(w http.ResponseWriter, r *http.Request) error {
	var req fireRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	ev, err := s.app.FireEvent(r.Context(), callerFrom(r.Context()), r.PathValue("id"), req.Event)
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Event fired", map[string]any{"event": ev.Type, "event_id": ev.ID, "timestamp": monoTime(ev.CreatedAt), "data": json.RawMessage(ev.Payload)}, nil)
	return nil
}

func (s *Server) sandboxResetLogin(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.ResetLogin(r.Context(), callerFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "The next sync of this account will need re-authorisation", nil, nil)
	return nil
}

type clockRequest struct {
	Days  *float64 `json:"days"`
	Hours *float64 `json:"hours"`
}

func (s *Server) sandboxAdvance(w http.ResponseWriter, r *http.Request) error {
	var req clockRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	var d time.Duration
	if req.Days != nil {
		d += time.Duration(*req.Days * float64(24*time.Hour))
	}
	if req.Hours != nil {
		d += time.Duration(*req.Hours * float64(time.Hour))
	}
	if req.Days == nil && req.Hours == nil {
		return &kobo.Error{Code: kobo.EINVALID, Message: "days (or hours) is required", Fields: map[string]string{"days": "is required"}}
	}
	now, err := s.app.AdvanceClock(r.Context(), callerFrom(r.Context()), d)
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Sandbox clock advanced", map[string]string{"now": monoTime(now)}, nil)
	return nil
}

func (s *Server) sandboxClock(w http.ResponseWriter, r *http.Request) error {
	now, err := s.app.SandboxNow(r.Context(), callerFrom(r.Context()))
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Request completed successfully", map[string]string{"now": monoTime(now)}, nil)
	return nil
}
