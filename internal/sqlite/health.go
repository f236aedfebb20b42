package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ---- institution health: bank call counters and operator notes -----------

func (t *tx) AddBankCalls(ctx context.Context, calls []kobo.BankCalls) error {
	for _, c := range calls {
		// MAX(COALESCE(a, b), COALESCE(b, a)): the later of two times either of which may be NULL
		_, err := t.exec(ctx, `INSERT INTO bank_calls (scope, institution_id, minute, calls, errors, slow, last_error_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (scope, institution_id, minute) DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
			slow = slow + excluded.slow, last_error_at = MAX(COALESCE(last_error_at, excluded.last_error_at), COALESCE(excluded.last_error_at, last_error_at))`,
			c.Scope, c.InstitutionID, ts(c.Minute), c.Calls, c.Errors, c.Slow, tsPtr(c.LastErrorAt))
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) InstitutionHealth(ctx context.Context, scope string, since, errorsSince time.Time) ([]kobo.InstitutionHealthRow, error) {
	return many(ctx, t, func(s scanner) (kobo.InstitutionHealthRow, error) {
		var r kobo.InstitutionHealthRow
		var last sql.NullInt64
		err := s.Scan(&r.InstitutionID, &r.Calls, &r.Errors, &r.Slow, &last)
		r.LastErrorAt = fromNullTS(last)
		return r, err
	}, `SELECT institution_id, SUM(CASE WHEN minute >= ? THEN calls ELSE 0 END), SUM(CASE WHEN minute >= ? THEN errors ELSE 0 END),
		SUM(CASE WHEN minute >= ? THEN slow ELSE 0 END), MAX(CASE WHEN minute >= ? THEN last_error_at END)
		FROM bank_calls WHERE scope = ? AND minute >= ? GROUP BY institution_id ORDER BY institution_id`,
		ts(since), ts(since), ts(since), ts(errorsSince), scope, ts(earlier(since, errorsSince)))
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (t *tx) PruneBankCalls(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM bank_calls WHERE rowid IN (SELECT rowid FROM bank_calls WHERE minute < ? LIMIT (? + 0))`, ts(before), limit)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

const noteCols = `institution_id, status, note, set_by, updated_at`

func scanNote(s scanner) (*kobo.InstitutionNote, error) {
	var n kobo.InstitutionNote
	var upd int64
	if err := s.Scan(&n.InstitutionID, &n.Status, &n.Note, &n.By, &upd); err != nil {
		return nil, err
	}
	n.UpdatedAt = fromTS(upd)
	return &n, nil
}

func (t *tx) InstitutionNotes(ctx context.Context) ([]*kobo.InstitutionNote, error) {
	return many(ctx, t, scanNote, `SELECT `+noteCols+` FROM institution_notes ORDER BY institution_id`)
}

func (t *tx) PutInstitutionNote(ctx context.Context, n *kobo.InstitutionNote) error {
	_, err := t.exec(ctx, `INSERT INTO institution_notes (`+noteCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (institution_id) DO UPDATE SET status = excluded.status, note = excluded.note, set_by = excluded.set_by, updated_at = excluded.updated_at`,
		n.InstitutionID, n.Status, n.Note, n.By, ts(n.UpdatedAt))
	return err
}

func (t *tx) DeleteInstitutionNote(ctx context.Context, institutionID string) error {
	_, err := t.exec(ctx, `DELETE FROM institution_notes WHERE institution_id = ?`, institutionID)
	return err
}
