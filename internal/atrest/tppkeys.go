package atrest

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// PutTPPKey seals the key's material, bound to its name (a value copied
// onto another name does not open).
func (t *sealedTx) PutTPPKey(ctx context.Context, k *kobo.TPPKey) error {
	v, err := t.s.seal(kobo.FieldTPPKey, k.Name, []byte(k.Material.Reveal()))
	if err != nil {
		return err
	}
	c := *k
	c.Material = kobo.Secret(v)
	return t.Tx.PutTPPKey(ctx, &c)
}

// TPPKeys opens every key's material.
func (t *sealedTx) TPPKeys(ctx context.Context) ([]*kobo.TPPKey, error) {
	list, err := t.Tx.TPPKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range list {
		pt, err := t.s.open(kobo.FieldTPPKey, k.Name, []byte(k.Material.Reveal()))
		if err != nil {
			return nil, err
		}
		k.Material = kobo.Secret(pt)
	}
	return list, nil
}
