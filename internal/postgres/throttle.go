package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

func (t *tx) HitThrottle(ctx context.Context, key string, window, expires time.Time) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, `INSERT INTO throttle_hits (key, window_start, hits, expires_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (key, window_start) DO UPDATE SET hits = throttle_hits.hits + 1 RETURNING hits`, key, utc(window), utc(expires)).Scan(&n)
	return n, classify(err)
}

func (t *tx) ThrottleHits(ctx context.Context, key string, window time.Time) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, `SELECT hits FROM throttle_hits WHERE key = $1 AND window_start = $2`, key, utc(window)).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return n, classify(err)
}

func (t *tx) PruneThrottles(ctx context.Context, before time.Time) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM throttle_hits WHERE expires_at < $1`, utc(before))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
