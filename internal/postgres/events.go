package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) RecordEvent(ctx context.Context, e *kobo.Event) error {
	err := t.q.QueryRow(ctx, `INSERT INTO events (id, app_id, live, type, account_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
		e.ID, e.AppID, e.Live, e.Type, e.AccountID, string(e.Payload), utc(e.CreatedAt)).Scan(&e.Seq)
	return classify(err)
}

const eventCols = `seq, id, app_id, live, type, account_id, payload, created_at`

func (t *tx) Event(ctx context.Context, id string) (*kobo.Event, error) {
	return one(ctx, t, "event", scanEvent, `SELECT `+eventCols+` FROM events WHERE id = $1`, id)
}

func (t *tx) Events(ctx context.Context, f kobo.EventFilter) ([]*kobo.Event, error) {
	args := []any{f.AppID, f.Live, f.AfterSeq}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	q := `SELECT ` + eventCols + ` FROM events WHERE app_id = $1 AND live = $2 AND seq > $3`
	if f.From != nil {
		q += " AND created_at >= " + arg(utc(*f.From))
	}
	if f.To != nil {
		q += " AND created_at < " + arg(utc(*f.To))
	}
	if f.Before != nil {
		q += " AND created_at < " + arg(utc(*f.Before))
	}
	if len(f.Types) > 0 {
		q += " AND type = ANY(" + arg(f.Types) + ")"
	}
	q += " ORDER BY seq LIMIT " + arg(max(f.Limit, 1))
	return many(ctx, t, scanEvent, q, args...)
}

func scanEvent(s scanner) (*kobo.Event, error) {
	var e kobo.Event
	var payload string
	if err := s.Scan(&e.Seq, &e.ID, &e.AppID, &e.Live, &e.Type, &e.AccountID, &payload, &e.CreatedAt); err != nil {
		return nil, err
	}
	e.Payload, e.CreatedAt = []byte(payload), e.CreatedAt.UTC()
	return &e, nil
}

func (t *tx) EventsByAccount(ctx context.Context, accountID string) ([]*kobo.Event, error) {
	return many(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE account_id = $1 ORDER BY seq`, accountID)
}

func (t *tx) InsertIdempotency(ctx context.Context, r *kobo.IdempotencyRecord) (*kobo.IdempotencyRecord, error) {
	tag, err := t.exec(ctx, `INSERT INTO idempotency_keys (app_id, live, key, request_hash, status, body, content_type, created_at)
		VALUES ($1, $2, $3, $4, 0, NULL, '', $5) ON CONFLICT (app_id, live, key) DO NOTHING`, r.AppID, r.Live, r.Key, r.RequestHash, utc(r.CreatedAt))
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	var ex kobo.IdempotencyRecord
	err = t.q.QueryRow(ctx, `SELECT app_id, live, key, request_hash, status, body, content_type, created_at FROM idempotency_keys
		WHERE app_id = $1 AND live = $2 AND key = $3`, r.AppID, r.Live, r.Key).Scan(&ex.AppID, &ex.Live, &ex.Key, &ex.RequestHash, &ex.Status, &ex.Body, &ex.ContentType, &ex.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, kobo.Errorf(kobo.ECONFLICT, "idempotency key is being reused concurrently; retry")
	}
	if err != nil {
		return nil, classify(err)
	}
	ex.CreatedAt = ex.CreatedAt.UTC()
	return &ex, nil
}

func (t *tx) CompleteIdempotency(ctx context.Context, appID string, live bool, key string, status int, body []byte, contentType string) error {
	return t.execOne(ctx, "idempotency key", `UPDATE idempotency_keys SET status = $1, body = $2, content_type = $3 WHERE app_id = $4 AND live = $5 AND key = $6`,
		status, body, contentType, appID, live, key)
}

func (t *tx) DeleteIdempotency(ctx context.Context, appID string, live bool, key string) error {
	_, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE app_id = $1 AND live = $2 AND key = $3`, appID, live, key)
	return err
}

func (t *tx) PruneIdempotency(ctx context.Context, before time.Time) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, utc(before))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
