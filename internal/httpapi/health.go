package httpapi

import (
	"context"
	"net/http"
	"time"
)

// healthz says the process is up; it touches nothing else so a slow
// database never makes an orchestrator kill a healthy process. It names
// no version: the build and Go version tell an attacker which advisories
// to try. Operators read them on the admin listener.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether this process should get traffic: the database
// answers and its migrations are current. The reason for a failure is
// logged and shown on the admin listener, not here: a database error
// names hosts, ports and users.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready == nil {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
