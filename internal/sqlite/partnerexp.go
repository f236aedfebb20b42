package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ---- the partner's experience: sessions, resets, settings, go-live reviews, epochs

func (t *tx) PartnerTokens(ctx context.Context, partnerID string, now time.Time) ([]*kobo.PartnerToken, error) {
	return many(ctx, t, scanToken, `SELECT `+tokenCols+` FROM partner_tokens WHERE partner_id = ? AND expires_at > ? ORDER BY created_at DESC, hash`, partnerID, ts(now))
}

func (t *tx) TouchPartnerToken(ctx context.Context, hash string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE partner_tokens SET last_seen_at = ? WHERE hash = ?`, ts(at), hash)
	return err
}

func (t *tx) DeletePartnerTokenOf(ctx context.Context, partnerID, hash string) error {
	return t.execOne(ctx, "session", `DELETE FROM partner_tokens WHERE partner_id = ? AND hash = ?`, partnerID, hash)
}

func (t *tx) DeletePartnerTokensExcept(ctx context.Context, partnerID, keep string) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM partner_tokens WHERE partner_id = ? AND hash <> ?`, partnerID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

const resetCols = `token_hash, partner_id, created_at, expires_at, used_at`

func scanReset(s scanner) (*kobo.PasswordReset, error) {
	var r kobo.PasswordReset
	var created, expires int64
	var used sql.NullInt64
	if err := s.Scan(&r.TokenHash, &r.PartnerID, &created, &expires, &used); err != nil {
		return nil, err
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt = fromTS(created), fromTS(expires), fromNullTS(used)
	return &r, nil
}

func (t *tx) CreatePasswordReset(ctx context.Context, r *kobo.PasswordReset) error {
	_, err := t.exec(ctx, `INSERT INTO password_resets (`+resetCols+`) VALUES (?, ?, ?, ?, ?)`,
		r.TokenHash, r.PartnerID, ts(r.CreatedAt), ts(r.ExpiresAt), tsPtr(r.UsedAt))
	return err
}

func (t *tx) PasswordReset(ctx context.Context, tokenHash string) (*kobo.PasswordReset, error) {
	return one(ctx, t, "password reset", scanReset, `SELECT `+resetCols+` FROM password_resets WHERE token_hash = ?`, tokenHash)
}

func (t *tx) UsePasswordReset(ctx context.Context, tokenHash string, at time.Time) (*kobo.PasswordReset, error) {
	r, err := one(ctx, t, "password reset", scanReset, `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+resetCols, ts(at), tokenHash, ts(at))
	if err != nil {
		return nil, err
	}
	_, err = t.exec(ctx, `DELETE FROM password_resets WHERE partner_id = ? AND used_at IS NULL`, r.PartnerID)
	return r, err
}

func (t *tx) Setting(ctx context.Context, name string) (*kobo.Setting, error) {
	return one(ctx, t, "setting", func(s scanner) (*kobo.Setting, error) {
		var x kobo.Setting
		var at int64
		if err := s.Scan(&x.Name, &x.Value, &at, &x.UpdatedBy); err != nil {
			return nil, err
		}
		x.UpdatedAt = fromTS(at)
		return &x, nil
	}, `SELECT name, value, updated_at, updated_by FROM deployment_settings WHERE name = ?`, name)
}

func (t *tx) PutSetting(ctx context.Context, s *kobo.Setting) error {
	_, err := t.exec(ctx, `INSERT INTO deployment_settings (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		s.Name, s.Value, ts(s.UpdatedAt), s.UpdatedBy)
	return err
}

const reviewCols = `app_id, status, legal_name, registration_number, country, website, contact_email, use_case,
	submitted_at, submitted_by, decided_at, decided_by, reason, updated_at`

func scanReview(s scanner) (*kobo.GoLiveReview, error) {
	var r kobo.GoLiveReview
	var status string
	var sub, upd int64
	var dec sql.NullInt64
	if err := s.Scan(&r.AppID, &status, &r.LegalName, &r.RegistrationNumber, &r.Country, &r.Website, &r.ContactEmail, &r.UseCase,
		&sub, &r.SubmittedBy, &dec, &r.DecidedBy, &r.Reason, &upd); err != nil {
		return nil, err
	}
	r.Status, r.SubmittedAt, r.DecidedAt, r.UpdatedAt = kobo.GoLiveStatus(status), fromTS(sub), fromNullTS(dec), fromTS(upd)
	return &r, nil
}

func (t *tx) GoLiveReview(ctx context.Context, appID string) (*kobo.GoLiveReview, error) {
	return one(ctx, t, "go-live review", scanReview, `SELECT `+reviewCols+` FROM golive_reviews WHERE app_id = ?`, appID)
}

func (t *tx) PutGoLiveReview(ctx context.Context, r *kobo.GoLiveReview) error {
	_, err := t.exec(ctx, `INSERT INTO golive_reviews (`+reviewCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app_id) DO UPDATE SET status = excluded.status, legal_name = excluded.legal_name,
		registration_number = excluded.registration_number, country = excluded.country, website = excluded.website,
		contact_email = excluded.contact_email, use_case = excluded.use_case, submitted_at = excluded.submitted_at,
		submitted_by = excluded.submitted_by, decided_at = excluded.decided_at, decided_by = excluded.decided_by,
		reason = excluded.reason, updated_at = excluded.updated_at`,
		r.AppID, string(r.Status), r.LegalName, r.RegistrationNumber, r.Country, r.Website, r.ContactEmail, r.UseCase,
		ts(r.SubmittedAt), r.SubmittedBy, tsPtr(r.DecidedAt), r.DecidedBy, r.Reason, ts(r.UpdatedAt))
	return err
}

func (t *tx) GoLiveReviewsByStatus(ctx context.Context, status kobo.GoLiveStatus, limit int) ([]*kobo.GoLiveReview, error) {
	return many(ctx, t, scanReview, `SELECT `+reviewCols+` FROM golive_reviews WHERE status = ? ORDER BY submitted_at, app_id LIMIT (? + 0)`, string(status), limit) // opaque to the planner (texts.go)
}

func (t *tx) Epoch(ctx context.Context, name string) (int64, error) {
	v, err := one(ctx, t, "epoch", func(s scanner) (int64, error) {
		var v int64
		return v, s.Scan(&v)
	}, `SELECT value FROM epochs WHERE name = ?`, name)
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return 0, nil
	}
	return v, err
}

func (t *tx) BumpEpoch(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `INSERT INTO epochs (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = epochs.value + 1`, name)
	return err
}
