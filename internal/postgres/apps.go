package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const appCols = `id, partner_id, name, display_name, icon, live, webhook_url, webhook_secret, sync_frequency, relink, created_at, updated_at,
	webhook_failing_since, webhook_disabled_at, history_months, privacy_url, terms_url, brand_color`

func scanApp(s scanner) (*kobo.App, error) {
	var a kobo.App
	var secret, relink string
	var freq int
	if err := s.Scan(&a.ID, &a.PartnerID, &a.Name, &a.DisplayName, &a.Icon, &a.Live, &a.WebhookURL, &secret, &freq, &relink, &a.CreatedAt, &a.UpdatedAt,
		&a.WebhookFailingSince, &a.WebhookDisabledAt, &a.HistoryMonths, &a.PrivacyURL, &a.TermsURL, &a.BrandColor); err != nil {
		return nil, err
	}
	a.WebhookFailingSince, a.WebhookDisabledAt = fromPtr(a.WebhookFailingSince), fromPtr(a.WebhookDisabledAt)
	a.WebhookSecret = kobo.Secret(secret)
	a.SyncFrequency = kobo.SyncFrequency(freq)
	a.Relink = kobo.RelinkPolicy(relink)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

func (t *tx) CreateApp(ctx context.Context, a *kobo.App) error {
	_, err := t.exec(ctx, `INSERT INTO apps (`+appCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		a.ID, a.PartnerID, a.Name, a.DisplayName, a.Icon, a.Live, a.WebhookURL, a.WebhookSecret.Reveal(),
		int(a.SyncFrequency), string(a.Relink), utc(a.CreatedAt), utc(a.UpdatedAt), utcPtr(a.WebhookFailingSince), utcPtr(a.WebhookDisabledAt), historyMonths(a), a.PrivacyURL, a.TermsURL, a.BrandColor)
	return err
}

func (t *tx) App(ctx context.Context, id string) (*kobo.App, error) {
	return one(ctx, t, "app", scanApp, `SELECT `+appCols+` FROM apps WHERE id = $1 AND deleted_at IS NULL`, id)
}

func (t *tx) AppsByPartner(ctx context.Context, partnerID string) ([]*kobo.App, error) {
	return many(ctx, t, scanApp, `SELECT `+appCols+` FROM apps WHERE partner_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`, partnerID)
}

func (t *tx) UpdateApp(ctx context.Context, a *kobo.App) error {
	return t.execOne(ctx, "app", `UPDATE apps SET name = $1, display_name = $2, icon = $3, live = $4, webhook_url = $5, webhook_secret = $6,
		sync_frequency = $7, relink = $8, updated_at = $9, webhook_failing_since = $10, webhook_disabled_at = $11, history_months = $13,
		privacy_url = $14, terms_url = $15, brand_color = $16
		WHERE id = $12 AND deleted_at IS NULL`,
		a.Name, a.DisplayName, a.Icon, a.Live, a.WebhookURL, a.WebhookSecret.Reveal(),
		int(a.SyncFrequency), string(a.Relink), utc(a.UpdatedAt), utcPtr(a.WebhookFailingSince), utcPtr(a.WebhookDisabledAt), a.ID, historyMonths(a), a.PrivacyURL, a.TermsURL, a.BrandColor)
}

func (t *tx) DeleteApp(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, "app", `UPDATE apps SET deleted_at = $1, updated_at = $1 WHERE id = $2 AND deleted_at IS NULL`, utc(at), id); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE app_id = $2 AND revoked_at IS NULL`, utc(at), id)
	return err
}

const keyCols = `id, app_id, kind, mode, prefix, hash, created_at, revoked_at`

func scanKey(s scanner) (*kobo.APIKey, error) {
	var k kobo.APIKey
	var kind, mode string
	if err := s.Scan(&k.ID, &k.AppID, &kind, &mode, &k.Prefix, &k.Hash, &k.CreatedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	k.Kind, k.Mode = kobo.KeyKind(kind), kobo.Mode(mode)
	k.CreatedAt, k.RevokedAt = k.CreatedAt.UTC(), fromPtr(k.RevokedAt)
	return &k, nil
}

func (t *tx) CreateAPIKey(ctx context.Context, k *kobo.APIKey) error {
	_, err := t.exec(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.AppID, string(k.Kind), string(k.Mode), k.Prefix, k.Hash, utc(k.CreatedAt), utcPtr(k.RevokedAt))
	return err
}

func (t *tx) APIKeysByPrefix(ctx context.Context, prefix string) ([]*kobo.APIKey, error) {
	return many(ctx, t, scanKey, `SELECT `+keyCols+` FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL`, prefix)
}

func (t *tx) APIKeysByApp(ctx context.Context, appID string) ([]*kobo.APIKey, error) {
	return many(ctx, t, scanKey, `SELECT `+keyCols+` FROM api_keys WHERE app_id = $1 AND revoked_at IS NULL ORDER BY created_at, id`, appID)
}

func (t *tx) RevokeAPIKeys(ctx context.Context, appID string, mode kobo.Mode, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE app_id = $2 AND mode = $3 AND revoked_at IS NULL`, utc(at), appID, string(mode))
	return err
}

// historyMonths is the stored window: an app made without one reads the
// default.
func historyMonths(a *kobo.App) int {
	if a.HistoryMonths == 0 {
		return kobo.DefaultHistoryMonths
	}
	return a.HistoryMonths
}
