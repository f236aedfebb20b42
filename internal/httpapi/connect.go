package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// v1SessionRequest is POST /v1/connect/session's body. Mono-compatible
// endpoints ignore unknown fields, as Mono's do, so clients that send
// extras keep working.
type v1SessionRequest struct {
	App         string `json:"app"`
	Institution string `json:"institution"`
	AuthMethod  string `json:"auth_method"`
	Reference   string `json:"reference"`
}

type customerRequest struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type v2SessionRequest struct {
	Institution string           `json:"institution"`
	AuthMethod  string           `json:"auth_method"`
	Scope       string           `json:"scope"`
	Customer    *customerRequest `json:"customer"`
	Meta        *struct {
		Ref string `json:"ref"`
	} `json:"meta"`
	Reference string `json:"reference"`
}

// formFields decodes a login or commit body: a JSON object of form fields
// whose values are strings (numbers and booleans are accepted and turned
// into their text, because clients send PINs and indexes as numbers).
func formFields(r *http.Request) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(r, &raw, false); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	v := kobo.Invalid{}
	for k, m := range raw {
		var x any
		if err := json.Unmarshal(m, &x); err != nil {
			return nil, kobo.Errorf(kobo.EINVALID, "request body is not valid JSON")
		}
		switch t := x.(type) {
		case string:
			out[k] = t
		case float64:
			out[k] = string(m) // keep the digits as sent (leading zeros are impossible in JSON numbers anyway)
		case bool:
			out[k] = strconv.FormatBool(t)
		case nil:
			out[k] = ""
		default:
			v.Add(k, "must be a string")
		}
	}
	return out, v.Err()
}

func (s *Server) createSessionV1(w http.ResponseWriter, r *http.Request) error {
	var req v1SessionRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	cs, _, err := s.app.CreateSession(r.Context(), callerFrom(r.Context()), app.SessionInput{
		AppID: req.App, InstitutionID: req.Institution, AuthMethod: req.AuthMethod, Reference: req.Reference})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "successful", "message": "Session created", "id": cs.ID, "app": cs.AppID, "institution": cs.InstitutionID,
		"auth_method": cs.AuthMethod, "expiresAt": cs.ExpiresAt.UnixMilli(), "ui": cs.Form,
	})
	return nil
}

func (s *Server) createSessionV2(w http.ResponseWriter, r *http.Request) error {
	var req v2SessionRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	in := app.SessionInput{InstitutionID: req.Institution, AuthMethod: req.AuthMethod, Scope: req.Scope, Reference: req.Reference}
	if req.Meta != nil && req.Meta.Ref != "" {
		in.Reference = req.Meta.Ref
	}
	if c := req.Customer; c != nil {
		in.CustomerID, in.CustomerName, in.CustomerEmail = c.ID, c.Name, c.Email
	}
	cs, inst, err := s.app.CreateSession(r.Context(), callerFrom(r.Context()), in)
	if err != nil {
		return err
	}
	scope := req.Scope
	if scope == "" {
		scope = "financial_data"
	}
	s.writeV2(w, http.StatusOK, "Request completed successfully", map[string]any{
		"session": map[string]any{
			"id": cs.ID, "scope": scope, "expiresAt": cs.ExpiresAt.UnixMilli(),
			"institution": map[string]any{"id": inst.ID, "name": inst.Name, "identifier": inst.Identifier},
		},
		"ui": cs.Form,
	}, nil)
	return nil
}

// stepBody renders a login/commit outcome. v1 commit answers
// {status: 200}, a number, as the clients written against Mono check
// (`res.data.status === 200`, reference §5.2, docs.mono.co/docs/integration-guide);
// v1 login answers the same way, because a client that commits after a
// 102 or 101 reads both answers with one type, and a login that links
// at once (99) is the commit of a single-account user. v2 keeps
// "successful" (docs.mono.co/api/bank-data/partners-api/login).
func (s *Server) stepBody(step *app.ConnectStep, v2 bool) any {
	var data any
	switch step.ResponseCode {
	case app.CodeLinked:
		data = map[string]any{"code": step.Code}
	case app.CodeSelectAccount:
		if v2 {
			list := make([]map[string]any, 0, len(step.Accounts))
			for _, a := range step.Accounts {
				list = append(list, map[string]any{"accountNumber": a.AccountNumber, "name": a.Name, "type": a.Type,
					"currency": a.Currency, "status": a.Status, "balance": a.Balance})
			}
			data = map[string]any{"accounts": list}
		} else {
			list := make([]map[string]any, 0, len(step.Accounts))
			for _, a := range step.Accounts {
				list = append(list, map[string]any{"index": a.Index, "accountNumber": a.AccountNumber, "name": a.Name, "type": a.Type})
			}
			data = list
		}
	case app.CodeRedirect:
		data = map[string]any{"url": step.Consent.URL, "approved": step.Consent.Approved}
	case app.CodePending:
		data = map[string]any{"message": step.Message, "poll_after_ms": step.Consent.PollAfter.Milliseconds(), "expires_at": step.Consent.ExpiresAt.UTC().Format(time.RFC3339)}
	case app.CodeEmbedded:
		data = map[string]any{"script": step.Consent.Script, "config": step.Consent.Config}
	case app.CodeMoreInput:
		if v2 {
			data = map[string]any{"userInput": step.Form}
		} else {
			data = step.Form
		}
	}
	body := map[string]any{"message": step.Message, "responseCode": step.ResponseCode, "data": data}
	switch {
	case v2:
		body["status"], body["timestamp"] = "successful", s.timestamp()
	default:
		body["status"] = 200
	}
	return body
}

// stepError answers a failed login or commit in the step flavour (Mono's
// 400 with responseCode 400), through the one error path so the request
// log keeps the body.
func (s *Server) stepError(w http.ResponseWriter, r *http.Request, v2 bool, err error) error {
	fl := flavourStepV1
	if v2 {
		fl = flavourStepV2
	}
	s.fail(w, r, fl, err)
	return nil
}

// attemptsLeft is the count of wrong answers a session still takes, 0 when
// the error is not a counted one.
func attemptsLeft(err error) int {
	var e *kobo.Error
	if errors.As(err, &e) {
		return e.AttemptsLeft
	}
	return 0
}

// widgetMessage is an error's message for kobo's own widget, which shows it
// as is: the count of attempts left goes into the text there, while the
// Mono-shaped APIs keep the bank's words and send the count apart.
func widgetMessage(err error) string {
	if n := attemptsLeft(err); n > 0 {
		return fmt.Sprintf("%s (%d of %d attempts left)", kobo.ErrorMessage(err), n, app.MaxWrongTries)
	}
	return kobo.ErrorMessage(err)
}

func (s *Server) connectStep(v2, commit bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		fields, err := formFields(r)
		if err != nil {
			return s.stepError(w, r, v2, err)
		}
		c, id := callerFrom(r.Context()), r.Header.Get("x-session-id")
		var step *app.ConnectStep
		if commit {
			step, err = s.app.ConnectCommit(r.Context(), c, id, fields)
		} else {
			step, err = s.app.ConnectLogin(r.Context(), c, id, fields)
		}
		if err != nil {
			return s.stepError(w, r, v2, err)
		}
		writeJSON(w, http.StatusOK, s.stepBody(step, v2))
		return nil
	}
}

type exchangeRequest struct {
	Code string `json:"code"`
}

func (s *Server) exchange(v2 bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req exchangeRequest
		if err := decodeJSON(r, &req, false); err != nil {
			return err
		}
		acct, err := s.app.Exchange(r.Context(), callerFrom(r.Context()), req.Code)
		if err != nil {
			return err
		}
		if !v2 {
			writeJSON(w, http.StatusOK, map[string]string{"id": acct.ID})
			return nil
		}
		// Mono documents a bare {"id"} for v2 too, while v2 clients read
		// data.id; this body satisfies both (reference §4.1, §11.4).
		writeJSON(w, http.StatusOK, map[string]any{"status": "successful", "message": "Request completed successfully",
			"timestamp": s.timestamp(), "id": acct.ID, "data": map[string]string{"id": acct.ID}})
		return nil
	}
}

func (s *Server) sandboxCredentials(w http.ResponseWriter, r *http.Request) error {
	users, err := s.app.SandboxCredentials(r.Context(), callerFrom(r.Context()), r.Header.Get("x-session-id"))
	if err != nil {
		return err
	}
	creds := make([]map[string]any, 0, len(users))
	inputs := []map[string]string{}
	seen := map[string]bool{}
	for _, u := range users {
		c := map[string]any{"hasMultipleAccounts": u.HasMultipleAccounts, "values": u.Values, "description": u.Description}
		if len(u.Inputs) > 0 {
			c["inputs"] = u.Inputs
			key := fmt.Sprint(sortedPairs(u.Inputs))
			if !seen[key] {
				seen[key] = true
				inputs = append(inputs, u.Inputs)
			}
		}
		creds = append(creds, c)
	}
	s.writeV2(w, http.StatusOK, "Request completed successfully", map[string]any{"credentials": creds, "inputs": inputs}, nil)
	return nil
}

func sortedPairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// consentCallback is GET /connect/callback/{provider}: the customer's
// browser back from a redirect consent. kobo finishes the consent and
// sends the customer on to where the flow began (the widget, or the
// partner's redirect_url) with kobo_session and status in the query, or
// shows a short page of its own.
func (s *Server) consentCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	params := make(map[string]string, len(q))
	for k, v := range q {
		if len(v) > 0 && len(k) <= 64 && len(v[0]) <= 4096 {
			params[k] = v[0]
		}
	}
	res, err := s.app.ConsentCallback(r.Context(), r.PathValue("provider"), params)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the bank's code never leaks onwards
	if err != nil {
		if st := StatusOf(err); st >= 500 {
			s.log.ErrorContext(r.Context(), "consent callback failed", "err", err, "request_id", requestID(r.Context()))
		}
		callbackPage(w, StatusOf(err), kobo.ErrorMessage(err))
		return
	}
	if res.ReturnTo != "" {
		u, perr := url.Parse(res.ReturnTo)
		if perr == nil {
			v := u.Query()
			v.Set("kobo_session", res.SessionID)
			v.Set("status", map[bool]string{true: "approved", false: "failed"}[res.Approved])
			if !res.Approved {
				v.Set("message", res.Message)
			}
			u.RawQuery = v.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
	}
	status := http.StatusOK
	if !res.Approved {
		status = http.StatusBadRequest
	}
	callbackPage(w, status, res.Message+". You can close this window and return to the app.")
}

func callbackPage(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>kobo</title><p>%s</p>\n", html.EscapeString(message))
}
