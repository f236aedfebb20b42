package httpapi

import (
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// flavour is the API generation a route belongs to; it decides the error
// body shape.
type flavour int

const (
	flavourV1      flavour = iota // Mono legacy: {"message": "..."}
	flavourV2                     // Mono v2 envelope
	flavourPartner                // our Partner API: {"message", "errors"}
	// A failed connect step (headless login or commit) Mono answers 400
	// with responseCode 400 and data null, plus attempts_left; other
	// statuses take the plain v1 or v2 body.
	flavourStepV1
	flavourStepV2
	// kobo's hosted widget shows a 400's message beside the form, with the
	// attempts left in the text, the field errors and why a session closed;
	// other statuses take the v1 body.
	flavourWidget
)

// forStatus is the flavour whose body answers status: the step and
// widget bodies are for 400s only.
func (fl flavour) forStatus(status int) flavour {
	switch {
	case status == http.StatusBadRequest:
		return fl
	case fl == flavourStepV2:
		return flavourV2
	case fl == flavourStepV1, fl == flavourWidget:
		return flavourV1
	}
	return fl
}

// statusOf is the one table from error codes to HTTP statuses. Mono
// documents 400, 401, 402, 403, 404, 409, 429 and 5xx, so codes without a
// Mono equivalent (gone, processing, reauth) map to 400 with a message
// that says what happened.
var statusOf = map[kobo.Code]int{
	kobo.EINVALID:      http.StatusBadRequest,
	kobo.EUNAUTHORIZED: http.StatusUnauthorized,
	kobo.EFORBIDDEN:    http.StatusForbidden,
	kobo.ENOTFOUND:     http.StatusNotFound,
	kobo.EMETHOD:       http.StatusMethodNotAllowed,
	kobo.ECONFLICT:     http.StatusConflict,
	kobo.EGONE:         http.StatusBadRequest,
	kobo.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	kobo.ERATELIMIT:    http.StatusTooManyRequests,
	kobo.EPROCESSING:   http.StatusBadRequest,
	kobo.EREAUTH:       http.StatusBadRequest,
	kobo.EPROVIDER:     http.StatusBadGateway,
	// not a 5xx: clients retry those, and only the partner fixing its keys
	// at the provider helps
	kobo.EPROVIDERKEYS: http.StatusForbidden,
	kobo.EUNAVAILABLE:  http.StatusServiceUnavailable,
	kobo.EINTERNAL:     http.StatusInternalServerError,
	kobo.EUNSEAL:       http.StatusInternalServerError, // kobo's own key problem, never the bank's
}

// StatusOf returns the HTTP status for err.
func StatusOf(err error) int {
	if st, ok := statusOf[kobo.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type v1Error struct {
	Message string `json:"message"`
}

type v2Error struct {
	Status    string       `json:"status"`
	Message   string       `json:"message"`
	Timestamp string       `json:"timestamp"`
	Data      []fieldError `json:"data"`
}

type partnerError struct {
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
}

func fieldErrors(err error) []fieldError {
	var e *kobo.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil
	}
	out := make([]fieldError, 0, len(e.Fields))
	for f, m := range e.Fields {
		out = append(out, fieldError{Field: f, Message: f + " " + m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// writeError writes err in the route's flavour. Internal errors are logged
// by the caller with their cause; the body only ever carries the public
// message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, fl flavour, err error) {
	status := StatusOf(err)
	var e *kobo.Error
	if errors.As(err, &e) && (e.Code == kobo.ERATELIMIT || e.Code == kobo.EUNAVAILABLE) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	msg := kobo.ErrorMessage(err)
	if status >= 500 {
		msg += " (request id " + requestID(r.Context()) + ")"
	}
	var body any
	switch fl.forStatus(status) {
	case flavourStepV1, flavourStepV2:
		body = s.stepErrorBody(fl == flavourStepV2, err)
	case flavourWidget:
		body = widgetErrorBody(err)
	case flavourV2:
		body = v2Error{Status: "failed", Message: msg, Timestamp: s.timestamp(), Data: fieldErrors(err)}
	case flavourPartner:
		body = partnerError{Message: msg, Errors: fieldErrors(err)}
	default:
		body = v1Error{Message: msg}
	}
	noteErrorBody(r.Context(), body)
	writeJSON(w, status, body)
}

// stepErrorBody is a failed connect step's 400 (flavourStepV1/V2). Mono's
// v1 says "status":"failed" here too, not the numeric status of its
// successes.
func (s *Server) stepErrorBody(v2 bool, err error) map[string]any {
	body := map[string]any{"status": "failed", "message": kobo.ErrorMessage(err), "responseCode": app.CodeBadInput, "data": nil}
	if n := attemptsLeft(err); n > 0 {
		body["attempts_left"] = n
	}
	if v2 {
		body["timestamp"] = s.timestamp()
		if fe := fieldErrors(err); fe != nil {
			body["data"] = fe
		}
	}
	return body
}

// widgetErrorBody is the hosted widget's 400 (flavourWidget).
func widgetErrorBody(err error) map[string]any {
	body := map[string]any{"responseCode": app.CodeBadInput, "message": widgetMessage(err)}
	if fe := fieldErrors(err); fe != nil {
		body["errors"] = fe
	}
	if e := (*kobo.Error)(nil); errors.As(err, &e) && e.Closed != "" {
		// the session is over: the widget offers another bank or close
		body["closed"] = e.Closed
	}
	return body
}
