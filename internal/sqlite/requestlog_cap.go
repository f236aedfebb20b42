package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// TrimAPIRequests finds the cut-off by walking the created_at index from
// the newest line, then deletes from the oldest end up to it.
func (t *tx) TrimAPIRequests(ctx context.Context, keep, limit int) (int, error) {
	var cut int64
	err := t.q.QueryRowContext(ctx, `SELECT created_at FROM api_requests ORDER BY created_at DESC LIMIT 1 OFFSET (? + 0)`, max(keep, 0)).Scan(&cut)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // fewer lines than keep
	}
	if err != nil {
		return 0, classify(err)
	}
	res, err := t.exec(ctx, `DELETE FROM api_requests WHERE (app_id, live, created_at, id) IN
		(SELECT app_id, live, created_at, id FROM api_requests WHERE created_at <= ? ORDER BY created_at LIMIT (? + 0))`, cut, max(limit, 1))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
