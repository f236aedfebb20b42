package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// bufferedWriter captures a response so it can be stored before it is sent.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// idempotent makes a POST safe to retry with an Idempotency-Key header
// (Stripe's model, which partners know): the first response to a key is
// stored; a retry with the same key and the same request gets it back
// without the work being done again; the same key with a different request
// is a 409. Responses of 5xx are not stored, so a retry after a server
// failure runs again. Keys are scoped to the app and its mode.
func (s *Server) idempotent(fl flavour, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return h(w, r)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return jsonError(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.New()
		io.WriteString(sum, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+"\n"+r.Header.Get("x-session-id")+"\n")
		sum.Write(body)
		return s.onceForKey(w, r, fl, key, hex.EncodeToString(sum.Sum(nil)), func(w http.ResponseWriter) error { return h(w, r) })
	}
}

// onceForKey runs h at most once for key and the request's hash: the
// idempotent middleware hashes the body it reads, a streaming upload
// hashes its own file.
func (s *Server) onceForKey(w http.ResponseWriter, r *http.Request, fl flavour, key, hash string, h func(http.ResponseWriter) error) error {
	if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < ' ' || c > '~' }) {
		return &kobo.Error{Code: kobo.EINVALID, Message: "Idempotency-Key must be at most 255 printable ASCII characters", Fields: map[string]string{"Idempotency-Key": "is malformed"}}
	}
	c := callerFrom(r.Context())
	rec, err := s.app.BeginIdempotent(r.Context(), c, key, hash)
	if err != nil {
		return err
	}
	if rec != nil {
		switch {
		case rec.RequestHash != hash:
			return kobo.Errorf(kobo.ECONFLICT, "Idempotency-Key %q was already used with a different request; use a new key for a new request", key)
		case rec.Status == 0:
			return kobo.Errorf(kobo.ECONFLICT, "a request with Idempotency-Key %q is still in progress; retry in a moment", key)
		}
		w.Header().Set("Content-Type", rec.ContentType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(rec.Status)
		_, _ = w.Write(rec.Body)
		return nil
	}
	bw := &bufferedWriter{header: w.Header()}
	if err := h(bw); err != nil {
		if st := StatusOf(err); st >= 500 {
			s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", requestID(r.Context()))
		}
		s.writeError(bw, r, fl, err)
	}
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	if bw.status >= 500 {
		s.app.AbortIdempotent(r.Context(), c, key)
	} else {
		s.app.FinishIdempotent(r.Context(), c, key, bw.status, bw.body.Bytes(), bw.header.Get("Content-Type"))
	}
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.body.Bytes())
	return nil
}
