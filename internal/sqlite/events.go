package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) RecordEvent(ctx context.Context, e *kobo.Event) error {
	err := t.q.QueryRowContext(ctx, `INSERT INTO events (id, app_id, live, type, account_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		e.ID, e.AppID, boolInt(e.Live), e.Type, e.AccountID, string(e.Payload), ts(e.CreatedAt)).Scan(&e.Seq)
	return classify(err)
}

const eventCols = `seq, id, app_id, live, type, account_id, payload, created_at`

func (t *tx) Event(ctx context.Context, id string) (*kobo.Event, error) {
	return one(ctx, t, "event", scanEvent, `SELECT `+eventCols+` FROM events WHERE id = ?`, id)
}

func (t *tx) Events(ctx context.Context, f kobo.EventFilter) ([]*kobo.Event, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE app_id = ? AND live = ? AND seq > ?`
	args := []any{f.AppID, boolInt(f.Live), f.AfterSeq}
	if f.From != nil {
		q, args = q+" AND created_at >= ?", append(args, ts(*f.From))
	}
	if f.To != nil {
		q, args = q+" AND created_at < ?", append(args, ts(*f.To))
	}
	if f.Before != nil {
		q, args = q+" AND created_at < ?", append(args, ts(*f.Before))
	}
	if len(f.Types) > 0 {
		n := len(args)
		for _, ty := range f.Types {
			args = append(args, ty)
		}
		var in string
		in, args = inList(args, len(args)-n)
		q += " AND type IN (" + in + ")"
	}
	q, args = q+" ORDER BY seq LIMIT (? + 0)", append(args, max(f.Limit, 1))
	return many(ctx, t, scanEvent, q, args...)
}

func placeholders(n int) string {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

func scanEvent(s scanner) (*kobo.Event, error) {
	var e kobo.Event
	var live int
	var payload string
	var created int64
	if err := s.Scan(&e.Seq, &e.ID, &e.AppID, &live, &e.Type, &e.AccountID, &payload, &created); err != nil {
		return nil, err
	}
	e.Live, e.Payload, e.CreatedAt = live != 0, []byte(payload), fromTS(created)
	return &e, nil
}

func (t *tx) EventsByAccount(ctx context.Context, accountID string) ([]*kobo.Event, error) {
	return many(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE account_id = ? ORDER BY seq`, accountID)
}

func (t *tx) InsertIdempotency(ctx context.Context, r *kobo.IdempotencyRecord) (*kobo.IdempotencyRecord, error) {
	res, err := t.exec(ctx, `INSERT INTO idempotency_keys (app_id, live, key, request_hash, status, body, content_type, created_at)
		VALUES (?, ?, ?, ?, 0, NULL, '', ?) ON CONFLICT (app_id, live, key) DO NOTHING`, r.AppID, boolInt(r.Live), r.Key, r.RequestHash, ts(r.CreatedAt))
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	var ex kobo.IdempotencyRecord
	var body []byte
	var created int64
	ex.Live = r.Live
	err = t.q.QueryRowContext(ctx, `SELECT app_id, key, request_hash, status, body, content_type, created_at FROM idempotency_keys
		WHERE app_id = ? AND live = ? AND key = ?`, r.AppID, boolInt(r.Live), r.Key).Scan(&ex.AppID, &ex.Key, &ex.RequestHash, &ex.Status, &body, &ex.ContentType, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kobo.Errorf(kobo.ECONFLICT, "idempotency key is being reused concurrently; retry")
	}
	if err != nil {
		return nil, classify(err)
	}
	ex.Body, ex.CreatedAt = body, fromTS(created)
	return &ex, nil
}

func (t *tx) CompleteIdempotency(ctx context.Context, appID string, live bool, key string, status int, body []byte, contentType string) error {
	return t.execOne(ctx, "idempotency key", `UPDATE idempotency_keys SET status = ?, body = ?, content_type = ? WHERE app_id = ? AND live = ? AND key = ?`,
		status, body, contentType, appID, boolInt(live), key)
}

func (t *tx) DeleteIdempotency(ctx context.Context, appID string, live bool, key string) error {
	_, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE app_id = ? AND live = ? AND key = ?`, appID, boolInt(live), key)
	return err
}

func (t *tx) PruneIdempotency(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, ts(before))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
