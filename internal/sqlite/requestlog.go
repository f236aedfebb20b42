package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) ListAccounts(ctx context.Context, appID string, live bool, limit, offset int) ([]*kobo.Account, int, error) {
	var total int
	if err := t.q.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE app_id = ? AND live = ?`, appID, boolInt(live)).Scan(&total); err != nil {
		return nil, 0, classify(err)
	}
	list, err := many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE app_id = ? AND live = ? ORDER BY created_at DESC, id DESC LIMIT (? + 0) OFFSET ?`,
		appID, boolInt(live), max(limit, 1), max(offset, 0))
	return list, total, err
}

// InsertAPIRequests writes a batch in one multi-row statement.
func (t *tx) InsertAPIRequests(ctx context.Context, rs []kobo.APIRequest) error {
	const cols = 11
	for start, end := 0, 0; start < len(rs); start = end {
		end = start + batchRows(len(rs)-start)
		var b strings.Builder
		b.WriteString(`INSERT INTO api_requests (id, app_id, live, method, path, route, status, latency_us, request_id, error_body, created_at) VALUES `)
		args := make([]any, 0, (end-start)*cols)
		for i, r := range rs[start:end] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, r.ID, r.AppID, boolInt(r.Live), r.Method, r.Path, r.Route, r.Status, r.LatencyUS, r.RequestID, r.ErrorBody, ts(r.CreatedAt))
		}
		if _, err := t.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func scanAPIRequest(s scanner) (kobo.APIRequest, error) {
	var r kobo.APIRequest
	var live int
	var at int64
	err := s.Scan(&r.ID, &r.AppID, &live, &r.Method, &r.Path, &r.Route, &r.Status, &r.LatencyUS, &r.RequestID, &r.ErrorBody, &at)
	r.Live, r.CreatedAt = live == 1, fromTS(at)
	return r, err
}

func (t *tx) ListAPIRequests(ctx context.Context, f kobo.APIRequestFilter) ([]kobo.APIRequest, error) {
	q, args := apiRequestsSQL(f)
	return many(ctx, t, scanAPIRequest, q, args...)
}

// apiRequestsSQL is the API log's one read, kept apart so the plan test
// checks the statement the store runs.
func apiRequestsSQL(f kobo.APIRequestFilter) (string, []any) {
	q := `SELECT id, app_id, live, method, path, route, status, latency_us, request_id, error_body, created_at FROM api_requests`
	if f.RequestID != "" {
		// Without statistics (the log is never analysed: its rows come and
		// go within days) the planner prefers the clustered key, which is
		// every retained row of the app; a request id names one or two.
		q += ` INDEXED BY api_requests_request_id`
	}
	q += ` WHERE app_id = ?`
	args := []any{f.AppID}
	if f.Live != nil {
		q, args = q+` AND live = ?`, append(args, boolInt(*f.Live))
	}
	if f.Method != "" {
		q, args = q+` AND method = ?`, append(args, f.Method)
	}
	if f.StatusClass >= 1 && f.StatusClass <= 5 {
		q, args = q+` AND status >= ? AND status < ?`, append(args, f.StatusClass*100, f.StatusClass*100+100)
	}
	if f.PathPrefix != "" {
		q, args = q+` AND substr(path, 1, ?) = ?`, append(args, len(f.PathPrefix), f.PathPrefix)
	}
	if f.RequestID != "" {
		q, args = q+` AND request_id = ?`, append(args, f.RequestID)
	}
	if f.Before != nil {
		q, args = q+` AND created_at < ?`, append(args, ts(*f.Before))
	}
	q, args = q+` ORDER BY created_at DESC, id DESC LIMIT (? + 0)`, append(args, max(f.Limit, 1))
	return q, args
}

func (t *tx) PruneAPIRequests(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM api_requests WHERE (app_id, live, created_at, id) IN
		(SELECT app_id, live, created_at, id FROM api_requests WHERE created_at < ? LIMIT (? + 0))`, ts(before), max(limit, 1))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
