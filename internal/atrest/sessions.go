package atrest

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// A session's IP address and user agent say where a partner's people sign
// in from, so they are sealed, bound to the token's hash. A value that is
// not sealed is passed through even once the upgrade pass is done: an
// older replica of a rolling upgrade still writes them in plaintext, and a
// Sessions page that fails over one is worse than one that shows it. For
// the same reason a value that does not open reads as unknown (empty).

func (t *sealedTx) CreatePartnerToken(ctx context.Context, pt *kobo.PartnerToken) error {
	c := *pt
	var err error
	if c.IP, err = t.s.seal(kobo.FieldSessionIP, pt.Hash, []byte(pt.IP)); err != nil {
		return err
	}
	if c.UserAgent, err = t.s.seal(kobo.FieldSessionUA, pt.Hash, []byte(pt.UserAgent)); err != nil {
		return err
	}
	return t.Tx.CreatePartnerToken(ctx, &c)
}

func (t *sealedTx) PartnerTokenByHash(ctx context.Context, hash string) (*kobo.PartnerToken, error) {
	pt, err := t.Tx.PartnerTokenByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	return pt, t.openSession(pt)
}

func (t *sealedTx) PartnerTokens(ctx context.Context, partnerID string, now time.Time) ([]*kobo.PartnerToken, error) {
	list, err := t.Tx.PartnerTokens(ctx, partnerID, now)
	if err != nil {
		return nil, err
	}
	for _, pt := range list {
		if err := t.openSession(pt); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (t *sealedTx) openSession(pt *kobo.PartnerToken) error {
	for f, v := range map[kobo.SealedField]*string{kobo.FieldSessionIP: &pt.IP, kobo.FieldSessionUA: &pt.UserAgent} {
		if kobo.Sealed(*v).KeyID() == "" {
			continue // plaintext (see above)
		}
		p, err := t.s.open(f, pt.Hash, []byte(*v))
		if err != nil {
			// only a value from before sealing can look sealed and not
			// be (a user agent such as "deadbeef.x"): shown as unknown
			p = nil
		}
		*v = string(p)
	}
	return nil
}
