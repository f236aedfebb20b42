package sqlite

import (
	"context"
	"database/sql"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const tppKeyCols = `name, material, subject, fingerprint, not_after, updated_at`

func scanTPPKey(s scanner) (*kobo.TPPKey, error) {
	var k kobo.TPPKey
	var material string
	var notAfter sql.NullInt64
	var updated int64
	if err := s.Scan(&k.Name, &material, &k.Subject, &k.Fingerprint, &notAfter, &updated); err != nil {
		return nil, err
	}
	k.Material, k.NotAfter, k.UpdatedAt = kobo.Secret(material), fromNullTS(notAfter), fromTS(updated)
	return &k, nil
}

func (t *tx) PutTPPKey(ctx context.Context, k *kobo.TPPKey) error {
	_, err := t.exec(ctx, `INSERT INTO tpp_keys (`+tppKeyCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET material = excluded.material, subject = excluded.subject,
		fingerprint = excluded.fingerprint, not_after = excluded.not_after, updated_at = excluded.updated_at`,
		k.Name, k.Material.Reveal(), k.Subject, k.Fingerprint, tsPtr(k.NotAfter), ts(k.UpdatedAt))
	return err
}

func (t *tx) TPPKeys(ctx context.Context) ([]*kobo.TPPKey, error) {
	return many(ctx, t, scanTPPKey, `SELECT `+tppKeyCols+` FROM tpp_keys ORDER BY name`)
}

func (t *tx) DeleteTPPKey(ctx context.Context, name string) error {
	return t.execOne(ctx, "TPP key", `DELETE FROM tpp_keys WHERE name = ?`, name)
}
