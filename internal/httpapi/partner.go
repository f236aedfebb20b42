package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

type signupRequest struct {
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	var req signupRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	p, err := s.app.Signup(r.Context(), app.SignupInput{Name: deref(req.Name), Email: deref(req.Email), Password: kobo.Secret(deref(req.Password)), ClientIP: clientIP(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, partnerJSON(p))
	return nil
}

type partnerView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	CreatedAt string `json:"created_at,omitempty"`
}

func partnerJSON(p *kobo.Partner) partnerView {
	return partnerView{ID: p.ID, Name: p.Name, Email: p.Email, CreatedAt: monoTime(p.CreatedAt)}
}

type loginRequest struct {
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

type tokenView struct {
	Token     string      `json:"token"`
	TokenType string      `json:"token_type"`
	ExpiresAt string      `json:"expires_at"`
	Partner   partnerView `json:"partner"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	ctx := app.WithClient(r.Context(), app.Client{IP: clientIP(r), UserAgent: r.UserAgent()}) // shown on the login's Sessions page
	t, err := s.app.Login(ctx, deref(req.Email), kobo.Secret(deref(req.Password)), clientIP(r), "api")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenView{Token: t.Value.Reveal(), TokenType: "Bearer", ExpiresAt: monoTime(t.ExpiresAt), Partner: partnerJSON(t.Partner)})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.Logout(r.Context(), bearerToken(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Logged out"})
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, partnerJSON(partnerFrom(r.Context())))
	return nil
}

type passwordRequest struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	t, err := s.app.ChangePassword(r.Context(), partnerFrom(r.Context()).ID, bearerToken(r), kobo.Secret(deref(req.CurrentPassword)), kobo.Secret(deref(req.NewPassword)), "api")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenView{Token: t.Value.Reveal(), TokenType: "Bearer", ExpiresAt: monoTime(t.ExpiresAt), Partner: partnerJSON(t.Partner)})
	return nil
}

// appRequest accepts the blog's camelCase spellings (displayName,
// webhookUrl) beside our snake_case ones.
type appRequest struct {
	Name           *string `json:"name"`
	DisplayName    *string `json:"display_name"`
	DisplayNameAlt *string `json:"displayName"`
	Icon           *string `json:"icon"`
	Live           *bool   `json:"live"`
	WebhookURL     *string `json:"webhook_url"`
	WebhookURLAlt  *string `json:"webhookUrl"`
	SyncFrequency  *int    `json:"sync_frequency"`
	Relink         *string `json:"relink"`
	HistoryMonths  *int    `json:"history_months"`
	LiveWebhookURL *string `json:"live_webhook_url"` // where live events go; "" sends them to webhook_url
	// the widget's branding: the consent screen's links and accent colour
	PrivacyURL *string `json:"privacy_url"`
	TermsURL   *string `json:"terms_url"`
	BrandColor *string `json:"brand_color"`
}

func (q appRequest) input() app.AppInput {
	in := app.AppInput{Name: q.Name, DisplayName: q.DisplayName, Icon: q.Icon, Live: q.Live, WebhookURL: q.WebhookURL, SyncFrequency: q.SyncFrequency, Relink: q.Relink,
		HistoryMonths: q.HistoryMonths, PrivacyURL: q.PrivacyURL, TermsURL: q.TermsURL, BrandColor: q.BrandColor}
	if in.DisplayName == nil {
		in.DisplayName = q.DisplayNameAlt
	}
	if in.WebhookURL == nil {
		in.WebhookURL = q.WebhookURLAlt
	}
	return in
}

type keyView struct {
	PublicKey string `json:"public_key"`
	SecretKey string `json:"secret_key,omitempty"`
}

type appView struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	DisplayName   string              `json:"display_name"`
	Icon          string              `json:"icon"`
	Live          bool                `json:"live"`
	PublicKey     string              `json:"public_key"`
	SecretKey     string              `json:"secret_key,omitempty"`
	WebhookURL    string              `json:"webhook_url"`
	WebhookSecret string              `json:"webhook_secret,omitempty"`
	WebhookStatus string              `json:"webhook_status"`
	WebhookSince  *string             `json:"webhook_failing_since"`
	SyncFrequency int                 `json:"sync_frequency"`
	Relink        string              `json:"relink"`
	HistoryMonths int                 `json:"history_months"`
	LiveWebhook   string              `json:"live_webhook_url,omitempty"`
	PrivacyURL    string              `json:"privacy_url"`
	TermsURL      string              `json:"terms_url"`
	BrandColor    string              `json:"brand_color"`
	Keys          map[string]*keyView `json:"keys"`
	CreatedAt     string              `json:"created_at"`
	UpdatedAt     string              `json:"updated_at"`
}

// appJSON renders an app; secrets appear only when this call issued them.
func appJSON(d *app.AppDetails) appView {
	a := d.App
	mode := kobo.ModeOf(a.Live)
	v := appView{
		ID: a.ID, Name: a.Name, DisplayName: a.DisplayName, Icon: a.Icon, Live: a.Live,
		PublicKey: d.PublicKeys[mode], SecretKey: d.SecretKeys[mode].Reveal(),
		WebhookURL: a.WebhookURL, WebhookSecret: d.WebhookSecret.Reveal(),
		SyncFrequency: int(a.SyncFrequency), Relink: string(a.Relink), HistoryMonths: a.HistoryMonths, Keys: map[string]*keyView{},
		PrivacyURL: a.PrivacyURL, TermsURL: a.TermsURL, BrandColor: a.BrandColor,
		CreatedAt: monoTime(a.CreatedAt), UpdatedAt: monoTime(a.UpdatedAt),
	}
	switch {
	case a.WebhookDisabledAt != nil:
		v.WebhookStatus = "disabled"
	case a.WebhookFailingSince != nil:
		v.WebhookStatus = "failing"
	case a.WebhookURL == "":
		v.WebhookStatus = "none"
	default:
		v.WebhookStatus = "active"
	}
	v.WebhookSince = timePtr(a.WebhookFailingSince)
	for m, pk := range d.PublicKeys {
		v.Keys[string(m)] = &keyView{PublicKey: pk, SecretKey: d.SecretKeys[m].Reveal()}
	}
	return v
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	if id := r.URL.Query().Get("id"); id != "" {
		r.SetPathValue("id", id)
		return s.getApp(w, r)
	}
	// every app the login can reach: its own organisation's and those of
	// the teams it joined
	list, err := s.app.ListMemberApps(r.Context(), partnerFrom(r.Context()))
	if err != nil {
		return err
	}
	out := make([]appView, 0, len(list))
	for _, d := range list {
		out = append(out, appJSON(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	var req appRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	// apps are created in the login's own organisation
	me := partnerFrom(r.Context())
	if _, err := s.app.AuthorizeOrg(r.Context(), me.ID, me.ID, app.PermSettings); err != nil {
		return err
	}
	d, err := s.app.CreateApp(r.Context(), me.ID, req.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, appJSON(d))
	return nil
}

// appByQuery serves the blog's form, where the app id is a query parameter
// of the app endpoint.
func (s *Server) appByQuery(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.URL.Query().Get("id")
		if id == "" {
			return &kobo.Error{Code: kobo.EINVALID, Message: "id query parameter is required (or use /v1/apps/{id})", Fields: map[string]string{"id": "is required"}}
		}
		r.SetPathValue("id", id)
		return h(w, r)
	}
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.GetApp(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := appJSON(d)
	if v.LiveWebhook, err = s.app.LiveWebhookURL(r.Context(), partnerFrom(r.Context()).ID, d.App.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) updateApp(w http.ResponseWriter, r *http.Request) error {
	var req appRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Live != nil && !app.Can(roleFrom(r.Context()), app.PermGoLive) {
		return kobo.Errorf(kobo.EFORBIDDEN, "your role (%s) may change settings but not switch the app to live or back; ask an owner or admin", roleFrom(r.Context()))
	}
	if req.LiveWebhookURL != nil {
		// checked and saved first, so a bad live URL changes nothing
		if err := s.app.SetLiveWebhookURL(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), *req.LiveWebhookURL); err != nil {
			return err
		}
	}
	d, err := s.app.UpdateApp(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), req.input())
	if err != nil {
		return err
	}
	v := appJSON(d)
	if v.LiveWebhook, err = s.app.LiveWebhookURL(r.Context(), partnerFrom(r.Context()).ID, d.App.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	purge := false
	if v := r.URL.Query().Get("purge"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &kobo.Error{Code: kobo.EINVALID, Message: "purge must be true or false", Fields: map[string]string{"purge": "must be true or false"}}
		}
		purge = b
	}
	if err := s.app.DeleteApp(r.Context(), partnerFrom(r.Context()).ID, id, purge); err != nil {
		return err
	}
	msg := "App deleted; its keys no longer work, its accounts stopped syncing, and its customers' data is purged after the grace period"
	if purge {
		msg = "App deleted; its keys no longer work and its customers' data is purged"
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true, "purged": purge, "message": msg})
	return nil
}

// rotateKeys rotates an app's keys. Without kind both keys of the mode are
// replaced at once (the original behaviour); kind=secret or kind=public
// rotates one, and overlap (none, 1h, 24h, 7d) keeps the old one working
// that long, reported as previous_key_expires_at.
func (s *Server) rotateKeys(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	in := app.RotateInput{Mode: kobo.Mode(v.Get("mode"))}
	switch v.Get("kind") {
	case "":
	case "secret", "sk":
		in.Kind = kobo.SecretKey
	case "public", "pk":
		in.Kind = kobo.PublicKey
	default:
		return &kobo.Error{Code: kobo.EINVALID, Message: `kind must be "secret" or "public"`, Fields: map[string]string{"kind": `must be "secret" or "public"`}}
	}
	overlap, err := app.ParseOverlap(v.Get("overlap"))
	if err != nil {
		return err
	}
	in.Overlap = overlap
	d, err := s.app.RotateKey(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	if overlap == 0 {
		writeJSON(w, http.StatusOK, appJSON(d))
		return nil
	}
	writeJSON(w, http.StatusOK, struct {
		appView
		PreviousKeyExpiresAt string `json:"previous_key_expires_at"`
	}{appJSON(d), monoTime(s.app.Clock().Now().Add(overlap))})
	return nil
}

func (s *Server) rotateWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.RotateWebhookSecret(r.Context(), partnerFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, appJSON(d))
	return nil
}
