package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// The Partner API's provider routes: an app's own keys at each provider
// (sealed, never returned), their health, and the app's choice of
// provider per institution.

type providerHealthView struct {
	OK        bool   `json:"ok"`
	Message   string `json:"message,omitempty"`
	CheckedAt string `json:"checked_at"`
}

type providerView struct {
	Provider   string              `json:"provider"`
	Real       bool                `json:"real"`
	Fields     []string            `json:"fields"`
	Configured bool                `json:"configured"`
	SetFields  []string            `json:"configured_fields,omitempty"`
	Default    bool                `json:"deployment_default"`
	Health     *providerHealthView `json:"health"`
	UpdatedAt  string              `json:"updated_at,omitempty"`
}

func providerJSON(p app.ProviderInfo) providerView {
	v := providerView{Provider: p.Name, Real: p.Real, Fields: p.Fields, Configured: p.Configured, SetFields: p.SetFields, Default: p.Default}
	if v.Fields == nil {
		v.Fields = []string{}
	}
	if p.Health != nil {
		v.Health = &providerHealthView{OK: p.Health.OK, Message: p.Health.Message, CheckedAt: monoTime(p.Health.CheckedAt)}
	}
	if p.UpdatedAt != nil {
		v.UpdatedAt = monoTime(*p.UpdatedAt)
	}
	return v
}

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.AppProviders(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]providerView, 0, len(list))
	for _, p := range list {
		out = append(out, providerJSON(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

func (s *Server) putProvider(w http.ResponseWriter, r *http.Request) error {
	var raw map[string]json.RawMessage
	if err := decodeJSON(r, &raw, true); err != nil {
		return err
	}
	fields := make(map[string]string, len(raw))
	v := kobo.Invalid{}
	for k, m := range raw {
		var str string
		if err := json.Unmarshal(m, &str); err != nil {
			v.Add(k, "must be a string")
			continue
		}
		fields[k] = str
	}
	if err := v.Err(); err != nil {
		return err
	}
	p, err := s.app.PutAppProvider(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("provider"), fields)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, providerJSON(*p))
	return nil
}

func (s *Server) checkProvider(w http.ResponseWriter, r *http.Request) error {
	p, err := s.app.CheckAppProvider(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("provider"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, providerJSON(*p))
	return nil
}

func (s *Server) deleteProvider(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteAppProvider(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("provider")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func institutionProviderJSON(c *app.InstitutionProviderChoice) map[string]any {
	return map[string]any{"institution": c.InstitutionID, "providers": c.Providers, "provider": c.Chosen, "sandbox": c.Sandbox, "live": c.Live}
}

func (s *Server) getInstitutionProvider(w http.ResponseWriter, r *http.Request) error {
	c, err := s.app.InstitutionProvider(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("institution"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, institutionProviderJSON(c))
	return nil
}

func (s *Server) putInstitutionProvider(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Provider *string `json:"provider"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Provider == nil {
		return &kobo.Error{Code: kobo.EINVALID, Message: "provider is required (null or \"\" returns to the default)", Fields: map[string]string{"provider": "is required"}}
	}
	ctx, partner, appID, inst := r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("institution")
	if err := s.app.SetInstitutionProvider(ctx, partner, appID, inst, *req.Provider); err != nil {
		return err
	}
	return s.getInstitutionProvider(w, r)
}

func (s *Server) providerRoutes() {
	m := s.mux
	m.Handle("GET /v1/apps/{id}/providers", s.partner(s.bearer(s.listProviders)))
	m.Handle("PUT /v1/apps/{id}/providers/{provider}", s.partner(s.bearer(s.putProvider)))
	m.Handle("POST /v1/apps/{id}/providers/{provider}/check", s.partner(s.bearer(s.checkProvider)))
	m.Handle("DELETE /v1/apps/{id}/providers/{provider}", s.partner(s.bearer(s.deleteProvider)))
	m.Handle("GET /v1/apps/{id}/institutions/{institution}/provider", s.partner(s.bearer(s.getInstitutionProvider)))
	m.Handle("PUT /v1/apps/{id}/institutions/{institution}/provider", s.partner(s.bearer(s.putInstitutionProvider)))
}
