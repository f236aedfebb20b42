package postgres

import (
	"context"
	"time"
)

// StartReplay takes the app's replay row as a lock (the first replay ever
// inserts it; a concurrent insert waits for that one to commit), and only
// then, in a statement of its own, looks for the previous replay's untried
// deliveries: under READ COMMITTED each statement sees what committed
// before it began, so once the lock is held the previous replay's
// deliveries are visible.
func (t *tx) StartReplay(ctx context.Context, appID string, at time.Time) (bool, error) {
	tag, err := t.exec(ctx, `INSERT INTO webhook_replays (app_id, started_at) VALUES ($1, $2) ON CONFLICT (app_id) DO NOTHING`, appID, utc(at))
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var started time.Time
	if err := t.q.QueryRow(ctx, `SELECT started_at FROM webhook_replays WHERE app_id = $1 FOR UPDATE`, appID).Scan(&started); err != nil {
		return false, classify(err)
	}
	var busy bool
	if err := t.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE app_id = $1 AND created_at = $2
		AND (status = 'delivering' OR (status = 'pending' AND attempts = 0)))`, appID, started).Scan(&busy); err != nil {
		return false, classify(err)
	}
	if busy {
		return false, nil
	}
	_, err = t.exec(ctx, `UPDATE webhook_replays SET started_at = $2 WHERE app_id = $1`, appID, utc(at))
	return err == nil, err
}
