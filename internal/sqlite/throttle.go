package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

func (t *tx) HitThrottle(ctx context.Context, key string, window, expires time.Time) (int, error) {
	var n int
	err := t.q.QueryRowContext(ctx, `INSERT INTO throttle_hits (key, window_start, hits, expires_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1 RETURNING hits`, key, ts(window), ts(expires)).Scan(&n)
	return n, classify(err)
}

func (t *tx) ThrottleHits(ctx context.Context, key string, window time.Time) (int, error) {
	var n int
	err := t.q.QueryRowContext(ctx, `SELECT hits FROM throttle_hits WHERE key = ? AND window_start = ?`, key, ts(window)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, classify(err)
}

func (t *tx) PruneThrottles(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM throttle_hits WHERE expires_at < ?`, ts(before))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
