package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ---- institution health: bank call counters and operator notes -----------

func (t *tx) AddBankCalls(ctx context.Context, calls []kobo.BankCalls) error {
	for _, c := range calls {
		// GREATEST ignores NULLs: the later error time, whichever is set
		_, err := t.exec(ctx, `INSERT INTO bank_calls (scope, institution_id, minute, calls, errors, slow, last_error_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (scope, institution_id, minute) DO UPDATE SET calls = bank_calls.calls + excluded.calls, errors = bank_calls.errors + excluded.errors,
			slow = bank_calls.slow + excluded.slow, last_error_at = GREATEST(bank_calls.last_error_at, excluded.last_error_at)`,
			c.Scope, c.InstitutionID, utc(c.Minute), c.Calls, c.Errors, c.Slow, utcPtr(c.LastErrorAt))
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) InstitutionHealth(ctx context.Context, scope string, since, errorsSince time.Time) ([]kobo.InstitutionHealthRow, error) {
	from := since
	if errorsSince.Before(from) {
		from = errorsSince
	}
	return many(ctx, t, func(s scanner) (kobo.InstitutionHealthRow, error) {
		var r kobo.InstitutionHealthRow
		err := s.Scan(&r.InstitutionID, &r.Calls, &r.Errors, &r.Slow, &r.LastErrorAt)
		r.LastErrorAt = utcPtr(r.LastErrorAt)
		return r, err
	}, `SELECT institution_id, COALESCE(SUM(calls) FILTER (WHERE minute >= $1), 0)::int, COALESCE(SUM(errors) FILTER (WHERE minute >= $1), 0)::int,
		COALESCE(SUM(slow) FILTER (WHERE minute >= $1), 0)::int, MAX(last_error_at) FILTER (WHERE minute >= $2)
		FROM bank_calls WHERE scope = $3 AND minute >= $4 GROUP BY institution_id ORDER BY institution_id`,
		utc(since), utc(errorsSince), scope, utc(from))
}

func (t *tx) PruneBankCalls(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM bank_calls WHERE ctid IN (SELECT ctid FROM bank_calls WHERE minute < $1 LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

const noteCols = `institution_id, status, note, set_by, updated_at`

func scanNote(s scanner) (*kobo.InstitutionNote, error) {
	var n kobo.InstitutionNote
	if err := s.Scan(&n.InstitutionID, &n.Status, &n.Note, &n.By, &n.UpdatedAt); err != nil {
		return nil, err
	}
	n.UpdatedAt = n.UpdatedAt.UTC()
	return &n, nil
}

func (t *tx) InstitutionNotes(ctx context.Context) ([]*kobo.InstitutionNote, error) {
	return many(ctx, t, scanNote, `SELECT `+noteCols+` FROM institution_notes ORDER BY institution_id`)
}

func (t *tx) PutInstitutionNote(ctx context.Context, n *kobo.InstitutionNote) error {
	_, err := t.exec(ctx, `INSERT INTO institution_notes (`+noteCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (institution_id) DO UPDATE SET status = excluded.status, note = excluded.note, set_by = excluded.set_by, updated_at = excluded.updated_at`,
		n.InstitutionID, n.Status, n.Note, n.By, utc(n.UpdatedAt))
	return err
}

func (t *tx) DeleteInstitutionNote(ctx context.Context, institutionID string) error {
	_, err := t.exec(ctx, `DELETE FROM institution_notes WHERE institution_id = $1`, institutionID)
	return err
}
