package httpapi

import (
	"io"
	"net/http"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// providerWebhook receives a provider's webhook for an app: 200 once the
// events are applied (a few rows and queued jobs), 401 when the provider's
// secret does not match (Mono's own answer to a bad secret is
// {"message": "Unauthorized request."}), 400 for a body that is not the
// provider's JSON.
func (s *Server) providerWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body) // the body limit middleware bounds it
	if err != nil {
		return kobo.Errorf(kobo.EINVALID, "the webhook body could not be read")
	}
	if err := s.app.ProviderWebhook(r.Context(), r.PathValue("provider"), r.PathValue("app_id"), r.Header, body); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Webhook received"})
	return nil
}
