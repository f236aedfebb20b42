package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const partnerCols = `id, name, email, password_hash, created_at, updated_at`

func scanPartner(s scanner) (*kobo.Partner, error) {
	var p kobo.Partner
	if err := s.Scan(&p.ID, &p.Name, &p.Email, &p.PasswordHash, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

func (t *tx) CreatePartner(ctx context.Context, p *kobo.Partner) error {
	_, err := t.exec(ctx, `INSERT INTO partners (`+partnerCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.ID, p.Name, strings.ToLower(p.Email), p.PasswordHash, utc(p.CreatedAt), utc(p.UpdatedAt))
	if kobo.ErrorCode(err) == kobo.ECONFLICT {
		return kobo.Wrap(kobo.ECONFLICT, err, "a partner with this email already exists")
	}
	return err
}

func (t *tx) PartnerByID(ctx context.Context, id string) (*kobo.Partner, error) {
	return one(ctx, t, "partner", scanPartner, `SELECT `+partnerCols+` FROM partners WHERE id = $1`, id)
}

func (t *tx) PartnerByEmail(ctx context.Context, email string) (*kobo.Partner, error) {
	return one(ctx, t, "partner", scanPartner, `SELECT `+partnerCols+` FROM partners WHERE email = $1`, strings.ToLower(email))
}

func (t *tx) UpdatePartnerPassword(ctx context.Context, id, hash string, at time.Time) error {
	return t.execOne(ctx, "partner", `UPDATE partners SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, utc(at), id)
}

const tokenCols = `hash, partner_id, kind, created_at, expires_at, user_agent, ip, last_seen_at`

func scanToken(s scanner) (*kobo.PartnerToken, error) {
	var pt kobo.PartnerToken
	if err := s.Scan(&pt.Hash, &pt.PartnerID, &pt.Kind, &pt.CreatedAt, &pt.ExpiresAt, &pt.UserAgent, &pt.IP, &pt.LastSeenAt); err != nil {
		return nil, err
	}
	pt.CreatedAt, pt.ExpiresAt, pt.LastSeenAt = pt.CreatedAt.UTC(), pt.ExpiresAt.UTC(), utcPtr(pt.LastSeenAt)
	return &pt, nil
}

func (t *tx) CreatePartnerToken(ctx context.Context, pt *kobo.PartnerToken) error {
	_, err := t.exec(ctx, `INSERT INTO partner_tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		pt.Hash, pt.PartnerID, pt.Kind, utc(pt.CreatedAt), utc(pt.ExpiresAt), pt.UserAgent, pt.IP, utcPtr(pt.LastSeenAt))
	return err
}

func (t *tx) PartnerTokenByHash(ctx context.Context, hash string) (*kobo.PartnerToken, error) {
	return one(ctx, t, "token", scanToken, `SELECT `+tokenCols+` FROM partner_tokens WHERE hash = $1`, hash)
}

func (t *tx) DeletePartnerToken(ctx context.Context, hash string) error {
	_, err := t.exec(ctx, `DELETE FROM partner_tokens WHERE hash = $1`, hash)
	return err
}

func (t *tx) DeletePartnerTokens(ctx context.Context, partnerID string) error {
	_, err := t.exec(ctx, `DELETE FROM partner_tokens WHERE partner_id = $1`, partnerID)
	return err
}
