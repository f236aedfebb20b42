package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const appCols = `id, partner_id, name, display_name, icon, live, webhook_url, webhook_secret, sync_frequency, relink, created_at, updated_at,
	webhook_failing_since, webhook_disabled_at, history_months, privacy_url, terms_url, brand_color`

func scanApp(s scanner) (*kobo.App, error) {
	var a kobo.App
	var live int
	var secret string
	var freq int
	var relink string
	var created, updated int64
	var failing, disabled sql.NullInt64
	if err := s.Scan(&a.ID, &a.PartnerID, &a.Name, &a.DisplayName, &a.Icon, &live, &a.WebhookURL, &secret, &freq, &relink, &created, &updated,
		&failing, &disabled, &a.HistoryMonths, &a.PrivacyURL, &a.TermsURL, &a.BrandColor); err != nil {
		return nil, err
	}
	a.WebhookFailingSince, a.WebhookDisabledAt = fromNullTS(failing), fromNullTS(disabled)
	a.Live = live != 0
	a.WebhookSecret = kobo.Secret(secret)
	a.SyncFrequency = kobo.SyncFrequency(freq)
	a.Relink = kobo.RelinkPolicy(relink)
	a.CreatedAt, a.UpdatedAt = fromTS(created), fromTS(updated)
	return &a, nil
}

func (t *tx) CreateApp(ctx context.Context, a *kobo.App) error {
	_, err := t.exec(ctx, `INSERT INTO apps (`+appCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.PartnerID, a.Name, a.DisplayName, a.Icon, boolInt(a.Live), a.WebhookURL, a.WebhookSecret.Reveal(),
		int(a.SyncFrequency), string(a.Relink), ts(a.CreatedAt), ts(a.UpdatedAt), tsPtr(a.WebhookFailingSince), tsPtr(a.WebhookDisabledAt), historyMonths(a), a.PrivacyURL, a.TermsURL, a.BrandColor)
	return err
}

func (t *tx) App(ctx context.Context, id string) (*kobo.App, error) {
	return one(ctx, t, "app", scanApp, `SELECT `+appCols+` FROM apps WHERE id = ? AND deleted_at IS NULL`, id)
}

func (t *tx) AppsByPartner(ctx context.Context, partnerID string) ([]*kobo.App, error) {
	return many(ctx, t, scanApp, `SELECT `+appCols+` FROM apps WHERE partner_id = ? AND deleted_at IS NULL ORDER BY created_at, id`, partnerID)
}

func (t *tx) UpdateApp(ctx context.Context, a *kobo.App) error {
	return t.execOne(ctx, "app", `UPDATE apps SET name = ?, display_name = ?, icon = ?, live = ?, webhook_url = ?, webhook_secret = ?,
		sync_frequency = ?, relink = ?, updated_at = ?, webhook_failing_since = ?, webhook_disabled_at = ?, history_months = ?,
		privacy_url = ?, terms_url = ?, brand_color = ? WHERE id = ? AND deleted_at IS NULL`,
		a.Name, a.DisplayName, a.Icon, boolInt(a.Live), a.WebhookURL, a.WebhookSecret.Reveal(),
		int(a.SyncFrequency), string(a.Relink), ts(a.UpdatedAt), tsPtr(a.WebhookFailingSince), tsPtr(a.WebhookDisabledAt), historyMonths(a), a.PrivacyURL, a.TermsURL, a.BrandColor, a.ID)
}

func (t *tx) DeleteApp(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, "app", `UPDATE apps SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`, ts(at), ts(at), id); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL`, ts(at), id)
	return err
}

const keyCols = `id, app_id, kind, mode, prefix, hash, created_at, revoked_at`

func scanKey(s scanner) (*kobo.APIKey, error) {
	var k kobo.APIKey
	var kind, mode string
	var created int64
	var revoked sql.NullInt64
	if err := s.Scan(&k.ID, &k.AppID, &kind, &mode, &k.Prefix, &k.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	k.Kind, k.Mode = kobo.KeyKind(kind), kobo.Mode(mode)
	k.CreatedAt, k.RevokedAt = fromTS(created), fromNullTS(revoked)
	return &k, nil
}

func (t *tx) CreateAPIKey(ctx context.Context, k *kobo.APIKey) error {
	_, err := t.exec(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.AppID, string(k.Kind), string(k.Mode), k.Prefix, k.Hash, ts(k.CreatedAt), tsPtr(k.RevokedAt))
	return err
}

func (t *tx) APIKeysByPrefix(ctx context.Context, prefix string) ([]*kobo.APIKey, error) {
	return many(ctx, t, scanKey, `SELECT `+keyCols+` FROM api_keys WHERE prefix = ? AND revoked_at IS NULL`, prefix)
}

func (t *tx) APIKeysByApp(ctx context.Context, appID string) ([]*kobo.APIKey, error) {
	return many(ctx, t, scanKey, `SELECT `+keyCols+` FROM api_keys WHERE app_id = ? AND revoked_at IS NULL ORDER BY created_at, id`, appID)
}

func (t *tx) RevokeAPIKeys(ctx context.Context, appID string, mode kobo.Mode, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE app_id = ? AND mode = ? AND revoked_at IS NULL`, ts(at), appID, string(mode))
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
