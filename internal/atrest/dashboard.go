package atrest

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// A flash's payload can hold secrets shown once (a new secret key, a
// webhook secret), so it is sealed like every other secret, bound to its
// row.

func (t *sealedTx) PutFlash(ctx context.Context, f *kobo.Flash) error {
	c := *f
	v, err := t.s.seal(kobo.FieldFlashPayload, f.ID, f.Payload)
	if err != nil {
		return err
	}
	c.Payload = []byte(v)
	return t.Tx.PutFlash(ctx, &c)
}

func (t *sealedTx) TakeFlash(ctx context.Context, id, partnerID string, now time.Time) (*kobo.Flash, error) {
	f, err := t.Tx.TakeFlash(ctx, id, partnerID, now)
	if err != nil {
		return nil, err
	}
	if len(f.Payload) > 0 {
		if f.Payload, err = t.s.open(kobo.FieldFlashPayload, f.ID, f.Payload); err != nil {
			return nil, err
		}
	}
	return f, nil
}
