package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) ListAccounts(ctx context.Context, appID string, live bool, limit, offset int) ([]*kobo.Account, int, error) {
	var total int
	if err := t.q.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE app_id = $1 AND live = $2`, appID, live).Scan(&total); err != nil {
		return nil, 0, classify(err)
	}
	list, err := many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE app_id = $1 AND live = $2 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`,
		appID, live, max(limit, 1), max(offset, 0))
	return list, total, err
}

// InsertAPIRequests copies a batch in: the log is written often and read
// rarely, so it takes Postgres's cheapest ingest path.
func (t *tx) InsertAPIRequests(ctx context.Context, rs []kobo.APIRequest) error {
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rows[i] = []any{r.ID, r.AppID, r.Live, r.Method, r.Path, r.Route, r.Status, r.LatencyUS, r.RequestID, r.ErrorBody, r.CreatedAt}
	}
	cols := []string{"id", "app_id", "live", "method", "path", "route", "status", "latency_us", "request_id", "error_body", "created_at"}
	if copier, ok := t.q.(interface {
		CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error)
	}); ok {
		_, err := copier.CopyFrom(ctx, pgx.Identifier{"api_requests"}, cols, pgx.CopyFromRows(rows))
		return classify(err)
	}
	for _, r := range rows {
		if _, err := t.exec(ctx, `INSERT INTO api_requests (id, app_id, live, method, path, route, status, latency_us, request_id, error_body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, r...); err != nil {
			return err
		}
	}
	return nil
}

func scanAPIRequest(s scanner) (kobo.APIRequest, error) {
	var r kobo.APIRequest
	err := s.Scan(&r.ID, &r.AppID, &r.Live, &r.Method, &r.Path, &r.Route, &r.Status, &r.LatencyUS, &r.RequestID, &r.ErrorBody, &r.CreatedAt)
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

func (t *tx) ListAPIRequests(ctx context.Context, f kobo.APIRequestFilter) ([]kobo.APIRequest, error) {
	q, args := apiRequestsSQL(f)
	return many(ctx, t, scanAPIRequest, q, args...)
}

// apiRequestsSQL is the API log's one read, kept apart so the plan test
// checks the statement the store runs.
func apiRequestsSQL(f kobo.APIRequestFilter) (string, []any) {
	q := `SELECT id, app_id, live, method, path, route, status, latency_us, request_id, error_body, created_at FROM api_requests WHERE app_id = $1`
	args := []any{f.AppID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Live != nil {
		q += ` AND live = ` + arg(*f.Live)
	}
	if f.Method != "" {
		q += ` AND method = ` + arg(f.Method)
	}
	if f.StatusClass >= 1 && f.StatusClass <= 5 {
		q += ` AND status >= ` + arg(f.StatusClass*100) + ` AND status < ` + arg(f.StatusClass*100+100)
	}
	if f.PathPrefix != "" {
		q += ` AND left(path, ` + arg(len([]rune(f.PathPrefix))) + `) = ` + arg(f.PathPrefix)
	}
	if f.RequestID != "" {
		q += ` AND request_id = ` + arg(f.RequestID)
	}
	if f.Before != nil {
		q += ` AND created_at < ` + arg(*f.Before)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(max(f.Limit, 1))
	return q, args
}

func (t *tx) PruneAPIRequests(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM api_requests WHERE id IN (SELECT id FROM api_requests WHERE created_at < $1 LIMIT $2)`, before, max(limit, 1))
	return int(tag.RowsAffected()), err
}
