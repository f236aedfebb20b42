package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const partnerCols = `id, name, email, password_hash, created_at, updated_at`

func scanPartner(s scanner) (*kobo.Partner, error) {
	var p kobo.Partner
	var created, updated int64
	if err := s.Scan(&p.ID, &p.Name, &p.Email, &p.PasswordHash, &created, &updated); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = fromTS(created), fromTS(updated)
	return &p, nil
}

func (t *tx) CreatePartner(ctx context.Context, p *kobo.Partner) error {
	_, err := t.exec(ctx, `INSERT INTO partners (`+partnerCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, strings.ToLower(p.Email), p.PasswordHash, ts(p.CreatedAt), ts(p.UpdatedAt))
	if kobo.ErrorCode(err) == kobo.ECONFLICT {
		return kobo.Wrap(kobo.ECONFLICT, err, "a partner with this email already exists")
	}
	return err
}

func (t *tx) PartnerByID(ctx context.Context, id string) (*kobo.Partner, error) {
	return one(ctx, t, "partner", scanPartner, `SELECT `+partnerCols+` FROM partners WHERE id = ?`, id)
}

func (t *tx) PartnerByEmail(ctx context.Context, email string) (*kobo.Partner, error) {
	return one(ctx, t, "partner", scanPartner, `SELECT `+partnerCols+` FROM partners WHERE email = ?`, strings.ToLower(email))
}

func (t *tx) UpdatePartnerPassword(ctx context.Context, id, hash string, at time.Time) error {
	return t.execOne(ctx, "partner", `UPDATE partners SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, ts(at), id)
}

const tokenCols = `hash, partner_id, kind, created_at, expires_at, user_agent, ip, last_seen_at`

func scanToken(s scanner) (*kobo.PartnerToken, error) {
	var pt kobo.PartnerToken
	var created, expires int64
	var seen sql.NullInt64
	if err := s.Scan(&pt.Hash, &pt.PartnerID, &pt.Kind, &created, &expires, &pt.UserAgent, &pt.IP, &seen); err != nil {
		return nil, err
	}
	pt.CreatedAt, pt.ExpiresAt, pt.LastSeenAt = fromTS(created), fromTS(expires), fromNullTS(seen)
	return &pt, nil
}

func (t *tx) CreatePartnerToken(ctx context.Context, pt *kobo.PartnerToken) error {
	_, err := t.exec(ctx, `INSERT INTO partner_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		pt.Hash, pt.PartnerID, pt.Kind, ts(pt.CreatedAt), ts(pt.ExpiresAt), pt.UserAgent, pt.IP, tsPtr(pt.LastSeenAt))
	return err
}

func (t *tx) PartnerTokenByHash(ctx context.Context, hash string) (*kobo.PartnerToken, error) {
	return one(ctx, t, "token", scanToken, `SELECT `+tokenCols+` FROM partner_tokens WHERE hash = ?`, hash)
}

func (t *tx) DeletePartnerToken(ctx context.Context, hash string) error {
	_, err := t.exec(ctx, `DELETE FROM partner_tokens WHERE hash = ?`, hash)
	return err
}

func (t *tx) DeletePartnerTokens(ctx context.Context, partnerID string) error {
	_, err := t.exec(ctx, `DELETE FROM partner_tokens WHERE partner_id = ?`, partnerID)
	return err
}
