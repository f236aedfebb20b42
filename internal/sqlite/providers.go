package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const appProviderCols = `app_id, provider, credentials, fields, health_ok, health_message, checked_at, created_at, updated_at`

func scanAppProvider(s scanner) (*kobo.AppProvider, error) {
	var p kobo.AppProvider
	var fields string
	var ok int
	var checked sql.NullInt64
	var created, updated int64
	if err := s.Scan(&p.AppID, &p.Provider, &p.Credentials, &fields, &ok, &p.Health.Message, &checked, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &p.Fields); err != nil {
		return nil, fmt.Errorf("app provider %s/%s fields: %w", p.AppID, p.Provider, err)
	}
	p.Health.OK = ok != 0
	if c := fromNullTS(checked); c != nil {
		p.Health.CheckedAt = *c
	}
	p.CreatedAt, p.UpdatedAt = fromTS(created), fromTS(updated)
	return &p, nil
}

func (t *tx) PutAppProvider(ctx context.Context, p *kobo.AppProvider) error {
	fields, _ := json.Marshal(nonNil(p.Fields))
	var checked *time.Time
	if !p.Health.CheckedAt.IsZero() {
		checked = &p.Health.CheckedAt
	}
	_, err := t.exec(ctx, `INSERT INTO app_providers (`+appProviderCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app_id, provider) DO UPDATE SET credentials = excluded.credentials, fields = excluded.fields,
		health_ok = excluded.health_ok, health_message = excluded.health_message, checked_at = excluded.checked_at,
		updated_at = excluded.updated_at`,
		p.AppID, p.Provider, string(p.Credentials), string(fields), boolInt(p.Health.OK), p.Health.Message, tsPtr(checked), ts(p.CreatedAt), ts(p.UpdatedAt))
	return err
}

func (t *tx) AppProvider(ctx context.Context, appID, provider string) (*kobo.AppProvider, error) {
	return one(ctx, t, "provider configuration", scanAppProvider, `SELECT `+appProviderCols+` FROM app_providers WHERE app_id = ? AND provider = ?`, appID, provider)
}

func (t *tx) AppProviders(ctx context.Context, appID string) ([]*kobo.AppProvider, error) {
	return many(ctx, t, scanAppProvider, `SELECT `+appProviderCols+` FROM app_providers WHERE app_id = ? ORDER BY provider`, appID)
}

func (t *tx) SetAppProviderHealth(ctx context.Context, appID, provider string, h kobo.ProviderHealth) (kobo.ProviderHealth, error) {
	// Write transactions run one at a time on the one writer connection,
	// so the read and the write cannot interleave with another replica's.
	prev, err := t.AppProvider(ctx, appID, provider)
	if err != nil {
		return kobo.ProviderHealth{}, err
	}
	err = t.execOne(ctx, "provider configuration", `UPDATE app_providers SET health_ok = ?, health_message = ?, checked_at = ? WHERE app_id = ? AND provider = ?`,
		boolInt(h.OK), h.Message, ts(h.CheckedAt), appID, provider)
	return prev.Health, err
}

func (t *tx) DeleteAppProvider(ctx context.Context, appID, provider string) error {
	return t.execOne(ctx, "provider configuration", `DELETE FROM app_providers WHERE app_id = ? AND provider = ?`, appID, provider)
}

func (t *tx) SetInstitutionProvider(ctx context.Context, appID, institutionID, provider string, at time.Time) error {
	if provider == "" {
		_, err := t.exec(ctx, `DELETE FROM app_institution_providers WHERE app_id = ? AND institution_id = ?`, appID, institutionID)
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO app_institution_providers (app_id, institution_id, provider, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (app_id, institution_id) DO UPDATE SET provider = excluded.provider, updated_at = excluded.updated_at`,
		appID, institutionID, provider, ts(at))
	return err
}

func (t *tx) InstitutionProviders(ctx context.Context, appID string) (map[string]string, error) {
	type pair struct{ inst, prov string }
	rows, err := many(ctx, t, func(s scanner) (pair, error) {
		var p pair
		return p, s.Scan(&p.inst, &p.prov)
	}, `SELECT institution_id, provider FROM app_institution_providers WHERE app_id = ?`, appID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.inst] = r.prov
	}
	return out, nil
}

const consentCols = `account_id, kind, provider, expires_at, notified_at, updated_at`

func scanConsent(s scanner) (*kobo.AccountConsent, error) {
	var c kobo.AccountConsent
	var exp, notified sql.NullInt64
	var updated int64
	if err := s.Scan(&c.AccountID, &c.Kind, &c.Provider, &exp, &notified, &updated); err != nil {
		return nil, err
	}
	c.ExpiresAt, c.NotifiedAt, c.UpdatedAt = fromNullTS(exp), fromNullTS(notified), fromTS(updated)
	return &c, nil
}

func (t *tx) PutAccountConsent(ctx context.Context, c *kobo.AccountConsent) error {
	// the announcement belongs to one expiry: a new one (a re-consent)
	// will be announced again
	_, err := t.exec(ctx, `INSERT INTO account_consents (`+consentCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET kind = excluded.kind, provider = excluded.provider, expires_at = excluded.expires_at,
		notified_at = CASE WHEN account_consents.expires_at IS excluded.expires_at THEN account_consents.notified_at ELSE NULL END,
		updated_at = excluded.updated_at`,
		c.AccountID, c.Kind, c.Provider, tsPtr(c.ExpiresAt), tsPtr(c.NotifiedAt), ts(c.UpdatedAt))
	return err
}

func (t *tx) AccountConsent(ctx context.Context, accountID string) (*kobo.AccountConsent, error) {
	return one(ctx, t, "consent", scanConsent, `SELECT `+consentCols+` FROM account_consents WHERE account_id = ?`, accountID)
}

func (t *tx) ClaimExpiringConsents(ctx context.Context, before, at time.Time, limit int) ([]*kobo.AccountConsent, error) {
	// SQLite has one writer: the select and the update cannot interleave
	// with another replica's claim
	return many(ctx, t, scanConsent, `UPDATE account_consents SET notified_at = ?1 WHERE account_id IN (
		SELECT account_id FROM account_consents WHERE expires_at IS NOT NULL AND notified_at IS NULL AND expires_at < ?2
		ORDER BY expires_at LIMIT (?3 + 0)) RETURNING `+consentCols, ts(at), ts(before), max(limit, 1))
}

func (t *tx) SetAccountIdentifiers(ctx context.Context, accountID string, ids []kobo.AccountIdentifier) error {
	if _, err := t.exec(ctx, `DELETE FROM account_identifiers WHERE account_id = ?`, accountID); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := t.exec(ctx, `INSERT INTO account_identifiers (account_id, scheme, value) VALUES (?, ?, ?)
			ON CONFLICT (account_id, scheme) DO UPDATE SET value = excluded.value`, accountID, id.Scheme, string(id.Value)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) AccountIdentifiers(ctx context.Context, accountID string) ([]kobo.AccountIdentifier, error) {
	list, err := many(ctx, t, func(s scanner) (*kobo.AccountIdentifier, error) {
		var id kobo.AccountIdentifier
		var v string
		if err := s.Scan(&id.Scheme, &v); err != nil {
			return nil, err
		}
		id.Value = kobo.AccountNumber(v)
		return &id, nil
	}, `SELECT scheme, value FROM account_identifiers WHERE account_id = ? ORDER BY scheme`, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]kobo.AccountIdentifier, 0, len(list))
	for _, id := range list {
		out = append(out, *id)
	}
	return out, nil
}
