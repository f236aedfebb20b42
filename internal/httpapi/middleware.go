package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyCaller
	keyPartner
	keyLink
	keyInfo
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// callerFrom returns the API-key caller the secret/public middleware put in
// the context.
func callerFrom(ctx context.Context) *kobo.Caller {
	c, _ := ctx.Value(keyCaller).(*kobo.Caller)
	return c
}

func partnerFrom(ctx context.Context) *kobo.Partner {
	p, _ := ctx.Value(keyPartner).(*kobo.Partner)
	return p
}

// recoverer turns a panic into a 500 and a log line with the stack, so one
// bad request never takes the process down.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				// the request id was set below this handler; it is on the response
				id := w.Header().Get("X-Request-Id")
				r = r.WithContext(context.WithValue(r.Context(), keyRequestID, id))
				s.log.ErrorContext(r.Context(), "panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()), "path", r.URL.Path, "request_id", id)
				s.writeError(w, r, flavourV1, kobo.Errorf(kobo.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withRequestID accepts a sane X-Request-Id from the caller (so a partner
// can correlate) or makes one, and echoes it.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c <= ' ' || c > '~' }) {
			id = "req_" + kobo.RandomToken(20)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe records metrics and writes the access log. Successful requests
// log at debug (metrics count them); client errors at info; server errors
// at warn, so a busy install's logs stay readable.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), keyInfo, info))
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		if r.Context().Err() != nil && sw.status == http.StatusOK && sw.bytes == 0 {
			sw.status = 499 // client went away
		}
		el := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, r.Method, sw.status, el)
		lvl := slog.LevelDebug
		switch {
		case sw.status >= 500:
			lvl = slog.LevelWarn
		case sw.status >= 400:
			lvl = slog.LevelInfo
		}
		if s.log.Enabled(r.Context(), lvl) {
			attrs := []slog.Attr{
				slog.String("request_id", requestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", sw.status),
				slog.Int("bytes", sw.bytes),
				slog.Duration("duration", el),
			}
			if info.caller != nil {
				attrs = append(attrs, slog.String("app_id", info.caller.App.ID))
			}
			s.log.LogAttrs(r.Context(), lvl, "http request", attrs...)
		}
		if c := info.caller; c != nil {
			s.app.CountCall(c.App.ID, c.Mode, sw.status)
			path := r.URL.Path
			if len(path) > 200 {
				path = path[:200]
			}
			s.app.LogRequest(kobo.APIRequest{AppID: c.App.ID, Live: c.Mode.IsLive(), Method: r.Method, Path: path, Route: route,
				Status: sw.status, LatencyUS: el.Microseconds(), RequestID: requestID(r.Context()), ErrorBody: errorBody(sw.status, info.errBody), CreatedAt: s.clock.Now()})
		}
	})
}

// errorBody is what the request log keeps of an error response: nothing
// for a success.
func errorBody(status int, b []byte) string {
	if status < 400 {
		return ""
	}
	return string(b)
}

// reqInfo is filled in by the handlers below observe: which app a request
// was for, once its key has been checked.
type reqInfo struct {
	caller  *kobo.Caller
	errBody []byte // the error JSON writeError answered with, for the request log
}

// noteErrorBody keeps the error body writeError sent, so the request log
// shows the partner kobo's own answer. Only writeError's bodies are kept:
// they come from the one error table and carry public messages, never
// the request.
func noteErrorBody(ctx context.Context, body any) {
	if info, ok := ctx.Value(keyInfo).(*reqInfo); ok {
		info.errBody, _ = json.Marshal(body)
	}
}

// noteCaller records the authenticated app for the access and request logs.
func noteCaller(ctx context.Context, c *kobo.Caller) {
	if info, ok := ctx.Value(keyInfo).(*reqInfo); ok {
		info.caller = c
	}
}

// limitBody caps every request body; decoders turn the overflow into 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.bodyLimit
		if r.URL.Path == UploadPath || r.URL.Path == WidgetUploadPath {
			limit = uploadBodyLimit // statement files, streamed to disk
		}
		if r.ContentLength > limit {
			fl := flavourV1
			if strings.HasPrefix(r.URL.Path, "/v2/") || strings.HasPrefix(r.URL.Path, "/v3/") {
				fl = flavourV2
			}
			s.writeError(w, r, fl, kobo.Errorf(kobo.ETOOLARGE, "request body is larger than %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// secret requires a secret key in mono-sec-key.
func (s *Server) secret(h handler) handler { return s.apiKey(kobo.SecretKey, h) }

// public requires a public key (the widget's).
func (s *Server) public(h handler) handler { return s.apiKey(kobo.PublicKey, h) }

func (s *Server) apiKey(kind kobo.KeyKind, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.app.AuthenticateKey(r.Context(), strings.TrimSpace(r.Header.Get("mono-sec-key")), kind)
		if err != nil {
			return err
		}
		noteCaller(r.Context(), c)
		if err := s.app.AllowKey(c); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), keyCaller, c)))
	}
}

// bearer requires a Partner API bearer token.
func (s *Server) bearer(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.app.AuthenticatePartner(r.Context(), bearerToken(r))
		if err != nil {
			return err
		}
		ctx, err := s.authorizeMember(r, p)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(ctx))
	}
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// clientIP is the peer address. kobo does not trust X-Forwarded-For by
// default: behind a proxy, per-IP throttles apply to the proxy, which is
// safe (it only throttles more).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
