package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// StartReplay: SQLite has one writer, so the check and the record cannot
// interleave with another replay's.
func (t *tx) StartReplay(ctx context.Context, appID string, at time.Time) (bool, error) {
	var started int64
	err := t.q.QueryRowContext(ctx, `SELECT started_at FROM webhook_replays WHERE app_id = ?`, appID).Scan(&started)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, classify(err)
	default:
		var busy bool
		if err := t.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE app_id = ? AND created_at = ?
			AND (status = 'delivering' OR (status = 'pending' AND attempts = 0)))`, appID, started).Scan(&busy); err != nil {
			return false, classify(err)
		}
		if busy {
			return false, nil
		}
	}
	_, err = t.exec(ctx, `INSERT INTO webhook_replays (app_id, started_at) VALUES (?, ?)
		ON CONFLICT (app_id) DO UPDATE SET started_at = excluded.started_at`, appID, ts(at))
	return err == nil, err
}
