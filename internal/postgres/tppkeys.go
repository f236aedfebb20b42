package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const tppKeyCols = `name, material, subject, fingerprint, not_after, updated_at`

func scanTPPKey(s scanner) (*kobo.TPPKey, error) {
	var k kobo.TPPKey
	var material string
	var notAfter *time.Time
	if err := s.Scan(&k.Name, &material, &k.Subject, &k.Fingerprint, &notAfter, &k.UpdatedAt); err != nil {
		return nil, err
	}
	if notAfter != nil {
		u := notAfter.UTC()
		k.NotAfter = &u
	}
	k.Material, k.UpdatedAt = kobo.Secret(material), k.UpdatedAt.UTC()
	return &k, nil
}

func (t *tx) PutTPPKey(ctx context.Context, k *kobo.TPPKey) error {
	_, err := t.exec(ctx, `INSERT INTO tpp_keys (`+tppKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET material = excluded.material, subject = excluded.subject,
		fingerprint = excluded.fingerprint, not_after = excluded.not_after, updated_at = excluded.updated_at`,
		k.Name, k.Material.Reveal(), k.Subject, k.Fingerprint, utcPtr(k.NotAfter), utc(k.UpdatedAt))
	return err
}

func (t *tx) TPPKeys(ctx context.Context) ([]*kobo.TPPKey, error) {
	return many(ctx, t, scanTPPKey, `SELECT `+tppKeyCols+` FROM tpp_keys ORDER BY name`)
}

func (t *tx) DeleteTPPKey(ctx context.Context, name string) error {
	return t.execOne(ctx, "TPP key", `DELETE FROM tpp_keys WHERE name = $1`, name)
}
