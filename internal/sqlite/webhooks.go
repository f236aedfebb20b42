package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const deliveryCols = `id, event_id, event_seq, event_type, app_id, live, account_id, status, attempts, next_attempt_at, locked_by,
	locked_until, url, last_status_code, last_error, created_at, updated_at, delivered_at`

func scanDelivery(s scanner) (*kobo.Delivery, error) {
	var d kobo.Delivery
	var live int
	var status string
	var next, locked, delivered sql.NullInt64
	var created, updated int64
	if err := s.Scan(&d.ID, &d.EventID, &d.EventSeq, &d.EventType, &d.AppID, &live, &d.AccountID, &status, &d.Attempts, &next, &d.LockedBy,
		&locked, &d.URL, &d.LastStatusCode, &d.LastError, &created, &updated, &delivered); err != nil {
		return nil, err
	}
	d.Live, d.Status = live != 0, kobo.DeliveryStatus(status)
	d.NextAttemptAt, d.LockedUntil, d.DeliveredAt = fromNullTS(next), fromNullTS(locked), fromNullTS(delivered)
	d.CreatedAt, d.UpdatedAt = fromTS(created), fromTS(updated)
	return &d, nil
}

// blocker matches a delivery that holds back a later one of the same
// account (d): in flight, or not tried yet. One that failed and waits for
// a retry does not, so one poisoned event cannot block an account for the
// two days of its retries.
const blocker = `SELECT 1 FROM webhook_deliveries e
	WHERE e.app_id = d.app_id AND e.account_id = d.account_id AND e.event_seq < d.event_seq
	  AND e.status IN ('pending', 'delivering') AND (e.status = 'delivering' OR e.attempts = 0)`

// CreateDelivery records d, ready unless an earlier delivery of its
// account blocks it.
func (t *tx) CreateDelivery(ctx context.Context, d *kobo.Delivery) error {
	_, err := t.exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`, ready)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
			NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.app_id = ?5 AND e.account_id = ?7 AND e.event_seq < ?3
				AND e.status IN ('pending', 'delivering') AND (e.status = 'delivering' OR e.attempts = 0))`,
		d.ID, d.EventID, d.EventSeq, d.EventType, d.AppID, boolInt(d.Live), d.AccountID, string(d.Status), d.Attempts, tsPtr(d.NextAttemptAt),
		d.LockedBy, tsPtr(d.LockedUntil), d.URL, d.LastStatusCode, d.LastError, ts(d.CreatedAt), ts(d.UpdatedAt), tsPtr(d.DeliveredAt))
	return err
}

// promoteNext makes the next delivery of an account ready once nothing
// before it blocks it. Only the earliest waiting one can be: it has not
// been tried, so it blocks every later one itself.
func (t *tx) promoteNext(ctx context.Context, appID, accountID string) error {
	_, err := t.exec(ctx, `UPDATE webhook_deliveries AS d SET ready = 1
		WHERE d.id = (SELECT id FROM webhook_deliveries WHERE app_id = ?1 AND account_id = ?2 AND status IN ('pending', 'delivering') AND ready = 0
			ORDER BY event_seq LIMIT 1)
		  AND NOT EXISTS (`+blocker+`)`, appID, accountID)
	return err
}

// withEvents fills each delivery's Event.
func (t *tx) withEvents(ctx context.Context, ds []*kobo.Delivery) ([]*kobo.Delivery, error) {
	if len(ds) == 0 {
		return ds, nil
	}
	args := make([]any, len(ds))
	for i, d := range ds {
		args[i] = d.EventID
	}
	in, args := inList(args, len(args))
	evs, err := many(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*kobo.Event, len(evs))
	for _, e := range evs {
		byID[e.ID] = e
	}
	for _, d := range ds {
		d.Event = byID[d.EventID]
	}
	return ds, nil
}

// ClaimDeliveries takes ready deliveries that are due, and deliveries
// whose lease lapsed (a worker died), oldest first. Readiness carries the
// per-account order (see blocker), so a claim reads only what it takes.
//
// A disabled endpoint's deliveries are left out of the candidates
// themselves: left out only after them, the oldest due rows, a claim
// window of one endpoint disabled with a backlog behind it starved every
// other app's deliveries for as long as it stayed disabled.
// claimWindow bounds how many due deliveries one claim looks at.
const claimWindow = 1024

// notDisabled keeps a delivery of an app whose endpoint is not disabled.
const notDisabled = `app_id NOT IN (SELECT id FROM apps WHERE webhook_disabled_at IS NOT NULL)`

func (t *tx) ClaimDeliveries(ctx context.Context, worker string, n int, now time.Time, lease time.Duration) ([]*kobo.Delivery, error) {
	ds, err := many(ctx, t, scanDelivery, `UPDATE webhook_deliveries SET status = 'delivering', locked_by = ?1, locked_until = ?2,
		attempts = attempts + 1, updated_at = ?3
		WHERE id IN (
			SELECT c.id FROM (
				SELECT * FROM (SELECT id, app_id, next_attempt_at AS due FROM webhook_deliveries
					WHERE status = 'pending' AND ready = 1 AND next_attempt_at <= ?3 AND `+notDisabled+` ORDER BY next_attempt_at LIMIT (?5 + 0))
				UNION ALL
				SELECT * FROM (SELECT id, app_id, locked_until AS due FROM webhook_deliveries
					WHERE status = 'delivering' AND locked_until <= ?3 AND `+notDisabled+` ORDER BY locked_until LIMIT (?5 + 0))
			) c
			ORDER BY c.due
			LIMIT (?4 + 0)
		) RETURNING `+deliveryCols, worker, ts(now.Add(lease)), ts(now), n, claimWindow)
	if err != nil {
		return nil, err
	}
	return t.withEvents(ctx, ds)
}

func (t *tx) FinishDeliveries(ctx context.Context, worker string, outcomes []kobo.DeliveryOutcome, now time.Time) error {
	for _, o := range outcomes {
		a := o.Attempt
		if _, err := t.exec(ctx, `INSERT INTO webhook_attempts (id, delivery_id, attempt, attempted_at, url, status_code, latency_us, response_body, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, o.DeliveryID, a.Attempt, ts(a.AttemptedAt), a.URL, a.StatusCode, a.Latency.Microseconds(),
			a.ResponseBody, a.Error); err != nil {
			return err
		}
		var delivered any
		if o.Status == kobo.DeliverySucceeded {
			delivered = ts(now)
		}
		var appID, accountID string
		err := t.q.QueryRowContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, locked_by = '', locked_until = NULL, url = ?,
			last_status_code = ?, last_error = ?, updated_at = ?, delivered_at = coalesce(?, delivered_at)
			WHERE id = ? AND locked_by = ? RETURNING app_id, account_id`, string(o.Status), tsPtr(o.NextAttemptAt), a.URL, a.StatusCode, a.Error, ts(now), delivered,
			o.DeliveryID, worker).Scan(&appID, &accountID)
		if err == sql.ErrNoRows {
			continue // the lease was lost; the new holder records its own outcome
		}
		if err != nil {
			return classify(err)
		}
		// tried, it no longer holds its account back
		if err := t.promoteNext(ctx, appID, accountID); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) ReleaseDeliveries(ctx context.Context, worker string, ids []string, at time.Time) error {
	for _, id := range ids {
		if _, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = attempts - 1, next_attempt_at = ?, locked_by = '',
			locked_until = NULL WHERE id = ? AND locked_by = ? AND status = 'delivering'`, ts(at), id, worker); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) NextDeliveryAt(ctx context.Context) (*time.Time, error) {
	var next sql.NullInt64
	err := t.q.QueryRowContext(ctx, `SELECT min(at) FROM (
		SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending' AND ready = 1 AND `+notDisabled+`
		UNION ALL SELECT min(locked_until) FROM webhook_deliveries WHERE status = 'delivering' AND `+notDisabled+`)`).Scan(&next)
	if err != nil {
		return nil, classify(err)
	}
	return fromNullTS(next), nil
}

func (t *tx) Delivery(ctx context.Context, id string) (*kobo.Delivery, error) {
	d, err := one(ctx, t, "delivery", scanDelivery, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	ds, err := t.withEvents(ctx, []*kobo.Delivery{d})
	if err != nil {
		return nil, err
	}
	return ds[0], nil
}

func (t *tx) Deliveries(ctx context.Context, f kobo.DeliveryFilter) ([]*kobo.Delivery, error) {
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries WHERE app_id = ?`
	args := []any{f.AppID}
	if f.Status != "" {
		// (? || ''): the planner would read a bare bound status against
		// the partial indexes and compile the statement again for each value
		q, args = q+" AND status = (? || '')", append(args, string(f.Status))
	}
	if f.EventType != "" {
		q, args = q+" AND event_type = ?", append(args, f.EventType)
	}
	if f.AccountID != "" {
		q, args = q+" AND account_id = ?", append(args, f.AccountID)
	}
	if f.BeforeCreated != nil {
		q, args = q+" AND (created_at, id) < (?, ?)", append(args, ts(*f.BeforeCreated), f.BeforeID) // a row value seeks the index
	}
	q, args = q+" ORDER BY created_at DESC, id DESC LIMIT (? + 0)", append(args, max(f.Limit, 1))
	ds, err := many(ctx, t, scanDelivery, q, args...)
	if err != nil {
		return nil, err
	}
	return t.withEvents(ctx, ds)
}

func (t *tx) DeliveryAttempts(ctx context.Context, deliveryID string) ([]*kobo.DeliveryAttempt, error) {
	return many(ctx, t, func(s scanner) (*kobo.DeliveryAttempt, error) {
		var a kobo.DeliveryAttempt
		var at, lat int64
		if err := s.Scan(&a.ID, &a.DeliveryID, &a.Attempt, &at, &a.URL, &a.StatusCode, &lat, &a.ResponseBody, &a.Error); err != nil {
			return nil, err
		}
		a.AttemptedAt, a.Latency = fromTS(at), time.Duration(lat)*time.Microsecond
		return &a, nil
	}, `SELECT id, delivery_id, attempt, attempted_at, url, status_code, latency_us, response_body, error FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY attempt, attempted_at`, deliveryID)
}

func (t *tx) RequeueDelivery(ctx context.Context, id string, now time.Time) error {
	return t.execOne(ctx, "delivery", `UPDATE webhook_deliveries SET status = 'pending', ready = 1, next_attempt_at = ?, locked_by = '', locked_until = NULL,
		updated_at = ? WHERE id = ? AND status <> 'delivering'`, ts(now), ts(now), id)
}

func (t *tx) SetWebhookHealth(ctx context.Context, appID string, failingSince, disabledAt *time.Time) error {
	return t.execOne(ctx, "app", `UPDATE apps SET webhook_failing_since = ?, webhook_disabled_at = ? WHERE id = ?`,
		tsPtr(failingSince), tsPtr(disabledAt), appID)
}
