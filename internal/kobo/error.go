package kobo

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Code is a machine-readable error class. The HTTP layer maps each code to a
// status and a Mono-shaped body in exactly one table; nothing else decides
// statuses.
type Code string

// Error codes. Every error a use case returns to a caller carries one.
const (
	EINVALID      Code = "invalid"            // the request is malformed or a field is wrong (400)
	EUNAUTHORIZED Code = "unauthorized"       // no or bad credentials (401)
	EFORBIDDEN    Code = "forbidden"          // authenticated, but not allowed (403)
	ENOTFOUND     Code = "not_found"          // no such object, or not visible to the caller (404)
	EMETHOD       Code = "method_not_allowed" // route exists, method does not (405)
	ECONFLICT     Code = "conflict"           // duplicate, idempotency mismatch, state race (409)
	EGONE         Code = "gone"               // expired or already used (a session, a code) (410 mapped per API)
	ETOOLARGE     Code = "too_large"          // request body over the limit (413)
	ERATELIMIT    Code = "rate_limited"       // too many requests (429)
	EPROCESSING   Code = "processing"         // data is still being fetched (Mono answers 400 with a message)
	EREAUTH       Code = "reauth_required"    // the bank wants the user again
	EPROVIDER     Code = "provider_error"     // the bank failed or is unreachable (502)
	EPROVIDERKEYS Code = "provider_keys"      // a provider refused the app's own keys at it; the partner must fix them (403)
	EUNAVAILABLE  Code = "unavailable"        // kobo itself cannot serve now (503)
	EINTERNAL     Code = "internal"           // a bug or an unexpected failure (500)
	EUNSEAL       Code = "unseal_failed"      // a stored secret does not open with this replica's master key (500)
)

// Error is the one error type of the project. Message is safe to show to API
// callers; Err is the hidden cause, logged but never serialised. Fields names
// the offending request fields for EINVALID.
type Error struct {
	Code       Code
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration // for ERATELIMIT: when the caller may try again
	// AttemptsLeft is how many more wrong answers a connect session takes
	// before it closes (0: not counted). It travels apart from Message so
	// the message stays the bank's, word for word, as Mono relays it.
	AttemptsLeft int
	// Closed says the error ended the connect session and why: "locked"
	// (the bank locked the account) or "attempts" (too many wrong
	// answers). The customer has to start again, at this bank or another;
	// "" leaves the session open.
	Closed string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted public message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error that hides cause behind a public message.
func Wrap(code Code, cause error, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// ErrorCode returns the code of the first *Error in err's chain; any other
// non-nil error is EINTERNAL, because an unclassified failure is our bug.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the public message of err; internal errors get a
// generic text so causes never leak to callers.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL && e.Message != "" {
		return e.Message
	}
	return "An internal error occurred. Please try again later."
}

// Invalid collects field problems and turns them into one EINVALID error
// that names every field, so a caller fixes everything in one round trip.
type Invalid map[string]string

// Add records problem for field unless one is already recorded.
func (v Invalid) Add(field, problem string) {
	if _, ok := v[field]; !ok {
		v[field] = problem
	}
}

// Err returns nil when nothing was added, else an EINVALID error whose
// message lists the fields in a stable order.
func (v Invalid) Err() error {
	if len(v) == 0 {
		return nil
	}
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, k+" "+v[k])
	}
	fields := make(map[string]string, len(v))
	for k, p := range v {
		fields[k] = p
	}
	return &Error{Code: EINVALID, Message: strings.Join(parts, "; "), Fields: fields}
}
