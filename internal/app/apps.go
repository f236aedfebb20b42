package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// AppInput is the body of create and update. On update nil fields are left
// alone; on create Name is required.
type AppInput struct {
	Name          *string
	DisplayName   *string
	Icon          *string
	Live          *bool
	WebhookURL    *string
	SyncFrequency *int
	Relink        *string
	HistoryMonths *int
	// The widget's branding (the dashboard's Widget page).
	PrivacyURL *string
	TermsURL   *string
	BrandColor *string
}

// AppDetails is an app with its current public keys, and the secrets
// issued by the call that returned it (shown once, never stored in the
// clear).
type AppDetails struct {
	App        *kobo.App
	PublicKeys map[kobo.Mode]string
	// SecretKeys holds secret keys issued by this call, by mode.
	SecretKeys map[kobo.Mode]kobo.Secret
	// WebhookSecret is set when this call created or rotated it.
	WebhookSecret kobo.Secret
}

func newWebhookSecret() kobo.Secret {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return kobo.Secret("whsec_" + base64.StdEncoding.EncodeToString(b))
}

// validateApp checks in against the app it would produce.
// resolved holds the addresses of the webhook host, looked up beforehand.
func (s *Service) validateApp(in AppInput, a *kobo.App, creating bool, resolved hostAddrs) error {
	v := kobo.Invalid{}
	if in.Name != nil || creating {
		name := ""
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		switch {
		case name == "":
			v.Add("name", "is required")
		case utf8.RuneCountInString(name) > 100:
			v.Add("name", "must be at most 100 characters")
		}
		checkText(v, "name", name)
		a.Name = name
	}
	if in.DisplayName != nil {
		d := strings.TrimSpace(*in.DisplayName)
		if utf8.RuneCountInString(d) > 100 {
			v.Add("display_name", "must be at most 100 characters")
		}
		checkText(v, "display_name", d)
		a.DisplayName = d
	}
	if in.Icon != nil {
		icon := strings.TrimSpace(*in.Icon)
		if icon != "" {
			if _, ok := webURL(icon, "https", "http"); !ok || len(icon) > 2048 {
				v.Add("icon", "must be an http(s) URL of an image")
			}
		}
		a.Icon = icon
	}
	if in.PrivacyURL != nil {
		a.PrivacyURL = checkPageURL(v, "privacy_url", *in.PrivacyURL)
	}
	if in.TermsURL != nil {
		a.TermsURL = checkPageURL(v, "terms_url", *in.TermsURL)
	}
	if in.BrandColor != nil {
		c := strings.ToLower(strings.TrimSpace(*in.BrandColor))
		if c != "" && !brandColor.MatchString(c) {
			v.Add("brand_color", `must be a colour like "#0a5f38"`)
		}
		a.BrandColor = c
	}
	if in.Live != nil {
		a.Live = *in.Live
	}
	if in.SyncFrequency != nil {
		f := kobo.SyncFrequency(*in.SyncFrequency)
		if !f.Valid() {
			v.Add("sync_frequency", "must be 24, 12 or 6 (hours)")
		}
		a.SyncFrequency = f
	}
	if in.HistoryMonths != nil {
		if *in.HistoryMonths < 1 || *in.HistoryMonths > kobo.MaxHistoryMonths {
			v.Add("history_months", fmt.Sprintf("must be 1 to %d (months of history the first fetch reads)", kobo.MaxHistoryMonths))
		}
		a.HistoryMonths = *in.HistoryMonths
	}
	if in.Relink != nil {
		r := kobo.RelinkPolicy(*in.Relink)
		if r != kobo.RelinkNew && r != kobo.RelinkReuse {
			v.Add("relink", `must be "new" or "reuse"`)
		}
		a.Relink = r
	}
	if in.WebhookURL != nil {
		a.WebhookURL = strings.TrimSpace(*in.WebhookURL)
	}
	if a.WebhookURL != "" && (in.WebhookURL != nil || in.Live != nil) {
		if msg := checkWebhookURL(a.WebhookURL, a.Live, a.Live || !s.sandboxPrivate, resolved); msg != "" {
			v.Add("webhook_url", msg)
		}
	}
	return v.Err()
}

// brandColor is the one colour form the widget accepts: it goes into a
// CSS custom property, so nothing but six hex digits may pass.
var brandColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// checkPageURL checks a link the widget shows a customer (privacy policy,
// terms): https only, since it opens from a page asking for bank
// credentials, and http(s) only so no javascript: URL reaches an href.
func checkPageURL(v kobo.Invalid, field, raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	u, ok := webURL(s, "https")
	if !ok || u.User != nil || len(s) > 2048 {
		v.Add(field, "must be an https URL")
	}
	return s
}

// CreateApp creates an app in sandbox mode (or live, if asked) with its
// keys and webhook secret.
func (s *Service) CreateApp(ctx context.Context, partnerID string, in AppInput) (*AppDetails, error) {
	now := s.now()
	a := &kobo.App{ID: kobo.NewID(now), PartnerID: partnerID, SyncFrequency: kobo.SyncEvery24h, Relink: kobo.RelinkNew, HistoryMonths: kobo.DefaultHistoryMonths,
		WebhookSecret: newWebhookSecret(), CreatedAt: now, UpdatedAt: now}
	var resolved hostAddrs
	if in.WebhookURL != nil {
		resolved = s.lookupWebhookHost(ctx, *in.WebhookURL)
	}
	if err := s.validateApp(in, a, true, resolved); err != nil {
		return nil, err
	}
	d := &AppDetails{App: a, PublicKeys: map[kobo.Mode]string{}, SecretKeys: map[kobo.Mode]kobo.Secret{}, WebhookSecret: a.WebhookSecret}
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreateApp(ctx, a); err != nil {
			return err
		}
		if a.Live {
			if err := s.liveAllowed(ctx, tx, a); err != nil {
				return err
			}
		}
		modes := []kobo.Mode{kobo.ModeTest}
		if a.Live {
			modes = append(modes, kobo.ModeLive)
		}
		for _, m := range modes {
			if err := s.issueKeys(ctx, tx, a.ID, m, d); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, partnerID, a.ID, AuditAppCreated, a.Name, "", nil)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "app created", "app_id", a.ID, "partner_id", partnerID, "live", a.Live)
	return d, nil
}

// ownedApp loads an app and checks the partner owns it; another partner's
// app is ENOTFOUND, so ids cannot be probed.
func ownedApp(ctx context.Context, tx kobo.Tx, partnerID, appID string) (*kobo.App, error) {
	a, err := tx.App(ctx, appID)
	if err != nil {
		return nil, err
	}
	if a.PartnerID != partnerID {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "app not found")
	}
	return a, nil
}

func publicKeys(ctx context.Context, tx kobo.Tx, appID string) (map[kobo.Mode]string, error) {
	keys, err := tx.APIKeysByApp(ctx, appID)
	if err != nil {
		return nil, err
	}
	out := map[kobo.Mode]string{}
	for _, k := range keys {
		if k.Kind == kobo.PublicKey {
			out[k.Mode] = k.Hash // public keys are stored whole
		}
	}
	return out, nil
}

// GetApp returns one of the partner's apps.
func (s *Service) GetApp(ctx context.Context, partnerID, appID string) (*AppDetails, error) {
	var d *AppDetails
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		a, err := ownedApp(ctx, tx, partnerID, appID)
		if err != nil {
			return err
		}
		pks, err := publicKeys(ctx, tx, a.ID)
		d = &AppDetails{App: a, PublicKeys: pks}
		return err
	})
	return d, err
}

// ListApps returns the partner's apps, oldest first.
func (s *Service) ListApps(ctx context.Context, partnerID string) ([]*AppDetails, error) {
	var out []*AppDetails
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		apps, err := tx.AppsByPartner(ctx, partnerID)
		if err != nil {
			return err
		}
		for _, a := range apps {
			pks, err := publicKeys(ctx, tx, a.ID)
			if err != nil {
				return err
			}
			out = append(out, &AppDetails{App: a, PublicKeys: pks})
		}
		return nil
	})
	return out, err
}

// UpdateApp patches an app. Switching to live issues live keys (returned
// once); switching back to sandbox revokes them.
func (s *Service) UpdateApp(ctx context.Context, partnerID, appID string, in AppInput) (*AppDetails, error) {
	// the webhook host is resolved before the write transaction
	var resolved hostAddrs
	switch {
	case in.WebhookURL != nil:
		resolved = s.lookupWebhookHost(ctx, *in.WebhookURL)
	case in.Live != nil:
		_ = s.store.View(ctx, func(tx kobo.Tx) error {
			a, err := ownedApp(ctx, tx, partnerID, appID)
			if err == nil {
				resolved = s.lookupWebhookHost(ctx, a.WebhookURL)
			}
			return nil
		})
	}
	var d *AppDetails
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := ownedApp(ctx, tx, partnerID, appID)
		if err != nil {
			return err
		}
		wasLive, wasHook := a.Live, a.WebhookURL
		before := *a
		if err := s.validateApp(in, a, false, resolved); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateApp(ctx, a); err != nil {
			return err
		}
		d = &AppDetails{App: a, SecretKeys: map[kobo.Mode]kobo.Secret{}}
		switch {
		case a.Live && !wasLive:
			if err := s.liveAllowed(ctx, tx, a); err != nil {
				return err
			}
			if err := s.issueKeys(ctx, tx, a.ID, kobo.ModeLive, d); err != nil {
				return err
			}
		case !a.Live && wasLive:
			if err := tx.RevokeAPIKeys(ctx, a.ID, kobo.ModeLive, a.UpdatedAt); err != nil {
				return err
			}
			if err := keysChanged(ctx, tx); err != nil {
				return err
			}
		}
		if err := s.auditAppUpdate(ctx, tx, &before, a, wasLive, wasHook); err != nil {
			return err
		}
		d.PublicKeys, err = publicKeys(ctx, tx, a.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.keys.purgeApp(appID)
	return d, nil
}

// RotateKeys revokes the app's keys of a mode, both kinds, at once, and
// issues new ones. An empty mode means the app's current mode. RotateKey
// rotates one kind with an overlap.
func (s *Service) RotateKeys(ctx context.Context, partnerID, appID string, mode kobo.Mode) (*AppDetails, error) {
	return s.RotateKey(ctx, partnerID, appID, RotateInput{Mode: mode})
}

// RotateWebhookSecret issues a new webhook secret.
func (s *Service) RotateWebhookSecret(ctx context.Context, partnerID, appID string) (*AppDetails, error) {
	var d *AppDetails
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := ownedApp(ctx, tx, partnerID, appID)
		if err != nil {
			return err
		}
		a.WebhookSecret = newWebhookSecret()
		a.UpdatedAt = s.now()
		if err := tx.UpdateApp(ctx, a); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, a.PartnerID, a.ID, AuditWebhookRotated, "webhook secret", "old secret stops signing at once", nil); err != nil {
			return err
		}
		pks, err := publicKeys(ctx, tx, a.ID)
		d = &AppDetails{App: a, PublicKeys: pks, WebhookSecret: a.WebhookSecret}
		return err
	})
	if err != nil {
		return nil, err
	}
	s.keys.purgeApp(appID)
	return d, nil
}
