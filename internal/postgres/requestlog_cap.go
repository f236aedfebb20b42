package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// TrimAPIRequests finds the cut-off by walking the created_at index from
// the newest line, then deletes from the oldest end up to it.
func (t *tx) TrimAPIRequests(ctx context.Context, keep, limit int) (int, error) {
	var cut time.Time
	err := t.q.QueryRow(ctx, `SELECT created_at FROM api_requests ORDER BY created_at DESC LIMIT 1 OFFSET $1`, max(keep, 0)).Scan(&cut)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // fewer lines than keep
	}
	if err != nil {
		return 0, classify(err)
	}
	tag, err := t.exec(ctx, `DELETE FROM api_requests WHERE id IN
		(SELECT id FROM api_requests WHERE created_at <= $1 ORDER BY created_at LIMIT $2)`, cut, max(limit, 1))
	return int(tag.RowsAffected()), err
}
