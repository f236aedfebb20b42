package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ---- the partner's experience: sessions, resets, settings, go-live reviews, epochs

func (t *tx) PartnerTokens(ctx context.Context, partnerID string, now time.Time) ([]*kobo.PartnerToken, error) {
	return many(ctx, t, scanToken, `SELECT `+tokenCols+` FROM partner_tokens WHERE partner_id = $1 AND expires_at > $2 ORDER BY created_at DESC, hash`, partnerID, utc(now))
}

func (t *tx) TouchPartnerToken(ctx context.Context, hash string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE partner_tokens SET last_seen_at = $1 WHERE hash = $2`, utc(at), hash)
	return err
}

func (t *tx) DeletePartnerTokenOf(ctx context.Context, partnerID, hash string) error {
	return t.execOne(ctx, "session", `DELETE FROM partner_tokens WHERE partner_id = $1 AND hash = $2`, partnerID, hash)
}

func (t *tx) DeletePartnerTokensExcept(ctx context.Context, partnerID, keep string) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM partner_tokens WHERE partner_id = $1 AND hash <> $2`, partnerID, keep)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

const resetCols = `token_hash, partner_id, created_at, expires_at, used_at`

func scanReset(s scanner) (*kobo.PasswordReset, error) {
	var r kobo.PasswordReset
	if err := s.Scan(&r.TokenHash, &r.PartnerID, &r.CreatedAt, &r.ExpiresAt, &r.UsedAt); err != nil {
		return nil, err
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC(), utcPtr(r.UsedAt)
	return &r, nil
}

func (t *tx) CreatePasswordReset(ctx context.Context, r *kobo.PasswordReset) error {
	_, err := t.exec(ctx, `INSERT INTO password_resets (`+resetCols+`) VALUES ($1, $2, $3, $4, $5)`,
		r.TokenHash, r.PartnerID, utc(r.CreatedAt), utc(r.ExpiresAt), utcPtr(r.UsedAt))
	return err
}

func (t *tx) PasswordReset(ctx context.Context, tokenHash string) (*kobo.PasswordReset, error) {
	return one(ctx, t, "password reset", scanReset, `SELECT `+resetCols+` FROM password_resets WHERE token_hash = $1`, tokenHash)
}

func (t *tx) UsePasswordReset(ctx context.Context, tokenHash string, at time.Time) (*kobo.PasswordReset, error) {
	r, err := one(ctx, t, "password reset", scanReset, `UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING `+resetCols, utc(at), tokenHash, utc(at))
	if err != nil {
		return nil, err
	}
	_, err = t.exec(ctx, `DELETE FROM password_resets WHERE partner_id = $1 AND used_at IS NULL`, r.PartnerID)
	return r, err
}

func (t *tx) Setting(ctx context.Context, name string) (*kobo.Setting, error) {
	return one(ctx, t, "setting", func(s scanner) (*kobo.Setting, error) {
		var x kobo.Setting
		if err := s.Scan(&x.Name, &x.Value, &x.UpdatedAt, &x.UpdatedBy); err != nil {
			return nil, err
		}
		x.UpdatedAt = x.UpdatedAt.UTC()
		return &x, nil
	}, `SELECT name, value, updated_at, updated_by FROM deployment_settings WHERE name = $1`, name)
}

func (t *tx) PutSetting(ctx context.Context, s *kobo.Setting) error {
	_, err := t.exec(ctx, `INSERT INTO deployment_settings (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		s.Name, s.Value, utc(s.UpdatedAt), s.UpdatedBy)
	return err
}

const reviewCols = `app_id, status, legal_name, registration_number, country, website, contact_email, use_case,
	submitted_at, submitted_by, decided_at, decided_by, reason, updated_at`

func scanReview(s scanner) (*kobo.GoLiveReview, error) {
	var r kobo.GoLiveReview
	var status string
	if err := s.Scan(&r.AppID, &status, &r.LegalName, &r.RegistrationNumber, &r.Country, &r.Website, &r.ContactEmail, &r.UseCase,
		&r.SubmittedAt, &r.SubmittedBy, &r.DecidedAt, &r.DecidedBy, &r.Reason, &r.UpdatedAt); err != nil {
		return nil, err
	}
	r.Status, r.SubmittedAt, r.DecidedAt, r.UpdatedAt = kobo.GoLiveStatus(status), r.SubmittedAt.UTC(), utcPtr(r.DecidedAt), r.UpdatedAt.UTC()
	return &r, nil
}

func (t *tx) GoLiveReview(ctx context.Context, appID string) (*kobo.GoLiveReview, error) {
	return one(ctx, t, "go-live review", scanReview, `SELECT `+reviewCols+` FROM golive_reviews WHERE app_id = $1`, appID)
}

func (t *tx) PutGoLiveReview(ctx context.Context, r *kobo.GoLiveReview) error {
	_, err := t.exec(ctx, `INSERT INTO golive_reviews (`+reviewCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (app_id) DO UPDATE SET status = excluded.status, legal_name = excluded.legal_name,
		registration_number = excluded.registration_number, country = excluded.country, website = excluded.website,
		contact_email = excluded.contact_email, use_case = excluded.use_case, submitted_at = excluded.submitted_at,
		submitted_by = excluded.submitted_by, decided_at = excluded.decided_at, decided_by = excluded.decided_by,
		reason = excluded.reason, updated_at = excluded.updated_at`,
		r.AppID, string(r.Status), r.LegalName, r.RegistrationNumber, r.Country, r.Website, r.ContactEmail, r.UseCase,
		utc(r.SubmittedAt), r.SubmittedBy, utcPtr(r.DecidedAt), r.DecidedBy, r.Reason, utc(r.UpdatedAt))
	return err
}

func (t *tx) GoLiveReviewsByStatus(ctx context.Context, status kobo.GoLiveStatus, limit int) ([]*kobo.GoLiveReview, error) {
	return many(ctx, t, scanReview, `SELECT `+reviewCols+` FROM golive_reviews WHERE status = $1 ORDER BY submitted_at, app_id LIMIT $2`, string(status), limit)
}

func (t *tx) Epoch(ctx context.Context, name string) (int64, error) {
	v, err := one(ctx, t, "epoch", func(s scanner) (int64, error) {
		var v int64
		return v, s.Scan(&v)
	}, `SELECT value FROM epochs WHERE name = $1`, name)
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return 0, nil
	}
	return v, err
}

func (t *tx) BumpEpoch(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `INSERT INTO epochs (name, value) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET value = epochs.value + 1`, name)
	return err
}
