package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const appProviderCols = `app_id, provider, credentials, fields, health_ok, health_message, checked_at, created_at, updated_at`

func scanAppProvider(s scanner) (*kobo.AppProvider, error) {
	var p kobo.AppProvider
	var checked *time.Time
	var creds string
	if err := s.Scan(&p.AppID, &p.Provider, &creds, &p.Fields, &p.Health.OK, &p.Health.Message, &checked, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.Credentials = kobo.Sealed(creds)
	if checked != nil {
		p.Health.CheckedAt = checked.UTC()
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

func (t *tx) PutAppProvider(ctx context.Context, p *kobo.AppProvider) error {
	var checked *time.Time
	if !p.Health.CheckedAt.IsZero() {
		checked = &p.Health.CheckedAt
	}
	_, err := t.exec(ctx, `INSERT INTO app_providers (`+appProviderCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (app_id, provider) DO UPDATE SET credentials = excluded.credentials, fields = excluded.fields,
		health_ok = excluded.health_ok, health_message = excluded.health_message, checked_at = excluded.checked_at,
		updated_at = excluded.updated_at`,
		p.AppID, p.Provider, string(p.Credentials), nonNil(p.Fields), p.Health.OK, p.Health.Message, utcPtr(checked), utc(p.CreatedAt), utc(p.UpdatedAt))
	return err
}

func (t *tx) AppProvider(ctx context.Context, appID, provider string) (*kobo.AppProvider, error) {
	return one(ctx, t, "provider configuration", scanAppProvider, `SELECT `+appProviderCols+` FROM app_providers WHERE app_id = $1 AND provider = $2`, appID, provider)
}

func (t *tx) AppProviders(ctx context.Context, appID string) ([]*kobo.AppProvider, error) {
	return many(ctx, t, scanAppProvider, `SELECT `+appProviderCols+` FROM app_providers WHERE app_id = $1 ORDER BY provider`, appID)
}

func (t *tx) SetAppProviderHealth(ctx context.Context, appID, provider string, h kobo.ProviderHealth) (kobo.ProviderHealth, error) {
	// The old row is read FOR UPDATE in the same statement: a concurrent
	// writer waits for this one to commit and then reads what it wrote
	// (read committed re-reads a locked row), never the value both saw
	// before, so the transition is seen by one transaction only.
	prev, err := one(ctx, t, "provider configuration", func(s scanner) (*kobo.ProviderHealth, error) {
		var p kobo.ProviderHealth
		var checked *time.Time
		if err := s.Scan(&p.OK, &p.Message, &checked); err != nil {
			return nil, err
		}
		if checked != nil {
			p.CheckedAt = checked.UTC()
		}
		return &p, nil
	}, `UPDATE app_providers n SET health_ok = $1, health_message = $2, checked_at = $3
		FROM (SELECT app_id, provider, health_ok, health_message, checked_at FROM app_providers WHERE app_id = $4 AND provider = $5 FOR UPDATE) o
		WHERE n.app_id = o.app_id AND n.provider = o.provider
		RETURNING o.health_ok, o.health_message, o.checked_at`,
		h.OK, h.Message, utc(h.CheckedAt), appID, provider)
	if err != nil {
		return kobo.ProviderHealth{}, err
	}
	return *prev, nil
}

func (t *tx) DeleteAppProvider(ctx context.Context, appID, provider string) error {
	return t.execOne(ctx, "provider configuration", `DELETE FROM app_providers WHERE app_id = $1 AND provider = $2`, appID, provider)
}

func (t *tx) SetInstitutionProvider(ctx context.Context, appID, institutionID, provider string, at time.Time) error {
	if provider == "" {
		_, err := t.exec(ctx, `DELETE FROM app_institution_providers WHERE app_id = $1 AND institution_id = $2`, appID, institutionID)
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO app_institution_providers (app_id, institution_id, provider, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (app_id, institution_id) DO UPDATE SET provider = excluded.provider, updated_at = excluded.updated_at`,
		appID, institutionID, provider, utc(at))
	return err
}

func (t *tx) InstitutionProviders(ctx context.Context, appID string) (map[string]string, error) {
	type pair struct{ inst, prov string }
	rows, err := many(ctx, t, func(s scanner) (pair, error) {
		var p pair
		return p, s.Scan(&p.inst, &p.prov)
	}, `SELECT institution_id, provider FROM app_institution_providers WHERE app_id = $1`, appID)
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
	if err := s.Scan(&c.AccountID, &c.Kind, &c.Provider, &c.ExpiresAt, &c.NotifiedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.ExpiresAt, c.NotifiedAt, c.UpdatedAt = fromPtr(c.ExpiresAt), fromPtr(c.NotifiedAt), c.UpdatedAt.UTC()
	return &c, nil
}

func (t *tx) PutAccountConsent(ctx context.Context, c *kobo.AccountConsent) error {
	// the announcement belongs to one expiry: a new one (a re-consent)
	// will be announced again
	_, err := t.exec(ctx, `INSERT INTO account_consents (`+consentCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id) DO UPDATE SET kind = excluded.kind, provider = excluded.provider, expires_at = excluded.expires_at,
		notified_at = CASE WHEN account_consents.expires_at IS NOT DISTINCT FROM excluded.expires_at THEN account_consents.notified_at ELSE NULL END,
		updated_at = excluded.updated_at`,
		c.AccountID, c.Kind, c.Provider, utcPtr(c.ExpiresAt), utcPtr(c.NotifiedAt), utc(c.UpdatedAt))
	return err
}

func (t *tx) AccountConsent(ctx context.Context, accountID string) (*kobo.AccountConsent, error) {
	return one(ctx, t, "consent", scanConsent, `SELECT `+consentCols+` FROM account_consents WHERE account_id = $1`, accountID)
}

func (t *tx) ClaimExpiringConsents(ctx context.Context, before, at time.Time, limit int) ([]*kobo.AccountConsent, error) {
	// SKIP LOCKED: replicas claiming at once take different consents
	return many(ctx, t, scanConsent, `UPDATE account_consents SET notified_at = $1 WHERE account_id IN (
		SELECT account_id FROM account_consents WHERE expires_at IS NOT NULL AND notified_at IS NULL AND expires_at < $2
		ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING `+consentCols, utc(at), utc(before), max(limit, 1))
}

func (t *tx) SetAccountIdentifiers(ctx context.Context, accountID string, ids []kobo.AccountIdentifier) error {
	if _, err := t.exec(ctx, `DELETE FROM account_identifiers WHERE account_id = $1`, accountID); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := t.exec(ctx, `INSERT INTO account_identifiers (account_id, scheme, value) VALUES ($1, $2, $3)
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
	}, `SELECT scheme, value FROM account_identifiers WHERE account_id = $1 ORDER BY scheme`, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]kobo.AccountIdentifier, 0, len(list))
	for _, id := range list {
		out = append(out, *id)
	}
	return out, nil
}
