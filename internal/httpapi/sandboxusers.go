package httpapi

import (
	"net/http"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Partner-defined sandbox users (kobo's extension, after Plaid's custom
// users): test keys only.
func (s *Server) sandboxUserRoutes() {
	m := s.mux
	m.Handle("POST /v2/sandbox/users", s.v2(s.secret(s.idempotent(flavourV2, s.createSandboxUser))))
	m.Handle("GET /v2/sandbox/users", s.v2(s.secret(s.listSandboxUsers)))
	m.Handle("DELETE /v2/sandbox/users/{username}", s.v2(s.secret(s.deleteSandboxUser)))
}

func (s *Server) createSandboxUser(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	if c.Mode.IsLive() { // before reading the body: the answer does not depend on it
		_, err := s.app.SandboxUserList(r.Context(), c)
		return err
	}
	var u kobo.SandboxUserSpec
	if err := decodeJSON(r, &u, true); err != nil {
		return err
	}
	out, err := s.app.CreateSandboxUser(r.Context(), c, &u)
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusCreated, "Sandbox user created", out, nil)
	return nil
}

func (s *Server) listSandboxUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.app.SandboxUserList(r.Context(), callerFrom(r.Context()))
	if err != nil {
		return err
	}
	if us == nil {
		us = []*kobo.SandboxUserSpec{}
	}
	s.writeV2(w, http.StatusOK, "Request completed successfully", us, nil)
	return nil
}

func (s *Server) deleteSandboxUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteSandboxUser(r.Context(), callerFrom(r.Context()), r.PathValue("username")); err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Sandbox user deleted", nil, nil)
	return nil
}
