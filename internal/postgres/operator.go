package postgres

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ---- operator: add-ons and suspensions -----------------------------------

const addonCols = `app_id, addon, status, reason, note, requested_at, decided_at, decided_by, updated_at`

func scanAddon(s scanner) (*kobo.AppAddon, error) {
	var a kobo.AppAddon
	var status string
	if err := s.Scan(&a.AppID, &a.Addon, &status, &a.Reason, &a.Note, &a.RequestedAt, &a.DecidedAt, &a.DecidedBy, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.RequestedAt, a.DecidedAt, a.UpdatedAt = a.RequestedAt.UTC(), utcPtr(a.DecidedAt), a.UpdatedAt.UTC()
	a.Status = kobo.AddonStatus(status)
	return &a, nil
}

func (t *tx) AppAddon(ctx context.Context, appID, addon string) (*kobo.AppAddon, error) {
	return one(ctx, t, "add-on", scanAddon, `SELECT `+addonCols+` FROM app_addons WHERE app_id = $1 AND addon = $2`, appID, addon)
}

func (t *tx) PutAppAddon(ctx context.Context, a *kobo.AppAddon) error {
	_, err := t.exec(ctx, `INSERT INTO app_addons (`+addonCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (app_id, addon) DO UPDATE SET status = excluded.status, reason = excluded.reason, note = excluded.note,
		requested_at = excluded.requested_at, decided_at = excluded.decided_at, decided_by = excluded.decided_by, updated_at = excluded.updated_at`,
		a.AppID, a.Addon, string(a.Status), a.Reason, a.Note, utc(a.RequestedAt), utcPtr(a.DecidedAt), a.DecidedBy, utc(a.UpdatedAt))
	return err
}

func (t *tx) AppAddons(ctx context.Context, appID string) ([]*kobo.AppAddon, error) {
	return many(ctx, t, scanAddon, `SELECT `+addonCols+` FROM app_addons WHERE app_id = $1 ORDER BY addon`, appID)
}

func (t *tx) AddonsByStatus(ctx context.Context, status kobo.AddonStatus, limit int) ([]*kobo.AppAddon, error) {
	return many(ctx, t, scanAddon, `SELECT `+addonCols+` FROM app_addons WHERE status = $1 ORDER BY requested_at, app_id LIMIT $2`, string(status), limit)
}

const suspensionCols = `kind, subject_id, reason, by_whom, created_at`

func scanSuspension(s scanner) (*kobo.Suspension, error) {
	var x kobo.Suspension
	if err := s.Scan(&x.Kind, &x.SubjectID, &x.Reason, &x.By, &x.CreatedAt); err != nil {
		return nil, err
	}
	x.CreatedAt = x.CreatedAt.UTC()
	return &x, nil
}

func (t *tx) Suspension(ctx context.Context, kind, id string) (*kobo.Suspension, error) {
	return one(ctx, t, "suspension", scanSuspension, `SELECT `+suspensionCols+` FROM suspensions WHERE kind = $1 AND subject_id = $2`, kind, id)
}

func (t *tx) PutSuspension(ctx context.Context, s *kobo.Suspension) error {
	_, err := t.exec(ctx, `INSERT INTO suspensions (`+suspensionCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, subject_id) DO UPDATE SET reason = excluded.reason, by_whom = excluded.by_whom, created_at = excluded.created_at`,
		s.Kind, s.SubjectID, s.Reason, s.By, utc(s.CreatedAt))
	return err
}

func (t *tx) DeleteSuspension(ctx context.Context, kind, id string) error {
	_, err := t.exec(ctx, `DELETE FROM suspensions WHERE kind = $1 AND subject_id = $2`, kind, id)
	return err
}

func (t *tx) Suspensions(ctx context.Context) ([]*kobo.Suspension, error) {
	return many(ctx, t, scanSuspension, `SELECT `+suspensionCols+` FROM suspensions ORDER BY created_at DESC, subject_id`)
}

func (t *tx) Partners(ctx context.Context, afterID string, limit int) ([]*kobo.Partner, error) {
	return many(ctx, t, scanPartner, `SELECT `+partnerCols+` FROM partners WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
}
