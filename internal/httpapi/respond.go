package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeJSON encodes v fully before writing, so an encoding failure becomes
// a clean 500 instead of half a body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		http.Error(w, `{"message":"An internal error occurred while encoding the response."}`, http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, buf.Bytes())
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// envelope is Mono's v2 success body.
type envelope struct {
	Status    string `json:"status"`
	Message   string `json:"message"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
	Meta      any    `json:"meta,omitempty"`
}

// monoTime formats a time the way Mono does: UTC, milliseconds, Z.
func monoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Server) timestamp() string { return monoTime(s.clock.Now()) }

// writeV2 writes a v2 success envelope.
func (s *Server) writeV2(w http.ResponseWriter, status int, message string, data, meta any) {
	writeJSON(w, status, envelope{Status: "successful", Message: message, Timestamp: s.timestamp(), Data: data, Meta: meta})
}

// decodeJSON reads a JSON object body into dst. Unknown fields are refused
// when strict, so typos in field names fail loudly instead of being
// ignored. Every failure is a 4xx naming what is wrong.
func decodeJSON(r *http.Request, dst any, strict bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		return kobo.Errorf(kobo.EINVALID, "Content-Type must be application/json (got %q)", ct)
	}
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return kobo.Errorf(kobo.EINVALID, "request body must be a single JSON object")
	}
	return nil
}

// jsonError turns a decoding failure into a clear EINVALID (or ETOOLARGE).
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return kobo.Errorf(kobo.EINVALID, "request body is required: send a JSON object")
	case errors.As(err, &mbe):
		return kobo.Errorf(kobo.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &syn):
		return kobo.Errorf(kobo.EINVALID, "request body is not valid JSON (at byte %d)", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return kobo.Errorf(kobo.EINVALID, "request body is not valid JSON (it ends too soon)")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return kobo.Errorf(kobo.EINVALID, "request body must be a JSON object, not %s", typ.Value)
		}
		return &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("%s must be %s, not %s", field, jsonType(typ.Type.Kind().String()), typ.Value),
			Fields: map[string]string{field: "must be " + jsonType(typ.Type.Kind().String())}}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("unknown field %q", f), Fields: map[string]string{f: "is not a known field"}}
	}
	return kobo.Errorf(kobo.EINVALID, "request body is not valid JSON")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a " + kind
}
