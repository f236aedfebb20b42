package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

const deliveryCols = `id, event_id, event_seq, event_type, app_id, live, account_id, status, attempts, next_attempt_at, locked_by,
	locked_until, url, last_status_code, last_error, created_at, updated_at, delivered_at`

func scanDelivery(s scanner) (*kobo.Delivery, error) {
	var d kobo.Delivery
	var status string
	if err := s.Scan(&d.ID, &d.EventID, &d.EventSeq, &d.EventType, &d.AppID, &d.Live, &d.AccountID, &status, &d.Attempts, &d.NextAttemptAt, &d.LockedBy,
		&d.LockedUntil, &d.URL, &d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &d.DeliveredAt); err != nil {
		return nil, err
	}
	d.Status = kobo.DeliveryStatus(status)
	d.NextAttemptAt, d.LockedUntil, d.DeliveredAt = fromPtr(d.NextAttemptAt), fromPtr(d.LockedUntil), fromPtr(d.DeliveredAt)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

// lockAccountQueue serialises, per (app, account), recording a delivery
// and promoting the next one after a delivery finishes: without it a
// delivery recorded on one replica while the one before it finishes on
// another could be left waiting (each transaction would miss the other's
// row). Transactions take these locks in key order (FinishDeliveries sorts
// them), so they cannot deadlock on each other.
func (t *tx) lockAccountQueue(ctx context.Context, appID, accountID string) error {
	_, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 7210))`, appID+"/"+accountID)
	return err
}

// blocker matches a delivery that holds back a later one of the same
// account (d): in flight, or not tried yet (see the SQLite adapter).
const blocker = `SELECT 1 FROM webhook_deliveries e
	WHERE e.app_id = d.app_id AND e.account_id = d.account_id AND e.event_seq < d.event_seq
	  AND e.status IN ('pending', 'delivering') AND (e.status = 'delivering' OR e.attempts = 0)`

// CreateDelivery records d, ready unless an earlier delivery of its
// account blocks it.
func (t *tx) CreateDelivery(ctx context.Context, d *kobo.Delivery) error {
	if err := t.lockAccountQueue(ctx, d.AppID, d.AccountID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`, ready)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
			NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.app_id = $5 AND e.account_id = $7 AND e.event_seq < $3
				AND e.status IN ('pending', 'delivering') AND (e.status = 'delivering' OR e.attempts = 0))`,
		d.ID, d.EventID, d.EventSeq, d.EventType, d.AppID, d.Live, d.AccountID, string(d.Status), d.Attempts, utcPtr(d.NextAttemptAt),
		d.LockedBy, utcPtr(d.LockedUntil), d.URL, d.LastStatusCode, d.LastError, utc(d.CreatedAt), utc(d.UpdatedAt), utcPtr(d.DeliveredAt))
	if err != nil {
		return err
	}
	return t.wake(ctx, WebhooksChannel)
}

// WebhooksChannel wakes webhook dispatchers on other replicas.
const WebhooksChannel = "kobo_webhooks"

// withEventCols is what a claim returns: the claimed rows (the CTE c,
// RETURNING deliveryCols) with their events joined in the same statement,
// so a claim costs one round trip and not two.
const withEventCols = `c.*, e.seq, e.id, e.app_id, e.live, e.type, e.account_id, e.payload, e.created_at`

// scanDeliveryEvent reads a row of withEventCols; an event that is gone
// leaves Event nil, as withEvents does. With skip, the row is read but
// nothing kept (a planned follower the claim did not get).
func scanDeliveryEvent(rows pgx.Rows, head []any, skip bool) (*kobo.Delivery, error) {
	if skip {
		dst := append(head, make([]any, 26)...)
		return nil, rows.Scan(dst...)
	}
	var d kobo.Delivery
	var status string
	var (
		eSeq                              *int64
		eID, eApp, eType, eAcct, ePayload *string
		eLive                             *bool
		eAt                               *time.Time
	)
	dst := append(head, &d.ID, &d.EventID, &d.EventSeq, &d.EventType, &d.AppID, &d.Live, &d.AccountID, &status, &d.Attempts, &d.NextAttemptAt, &d.LockedBy,
		&d.LockedUntil, &d.URL, &d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &d.DeliveredAt,
		&eSeq, &eID, &eApp, &eLive, &eType, &eAcct, &ePayload, &eAt)
	if err := rows.Scan(dst...); err != nil {
		return nil, err
	}
	d.Status = kobo.DeliveryStatus(status)
	d.NextAttemptAt, d.LockedUntil, d.DeliveredAt = fromPtr(d.NextAttemptAt), fromPtr(d.LockedUntil), fromPtr(d.DeliveredAt)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	if eID != nil {
		d.Event = &kobo.Event{Seq: *eSeq, ID: *eID, AppID: *eApp, Live: *eLive, Type: *eType, AccountID: *eAcct, Payload: []byte(*ePayload), CreatedAt: eAt.UTC()}
	}
	return &d, nil
}

func (t *tx) withEvents(ctx context.Context, ds []*kobo.Delivery) ([]*kobo.Delivery, error) {
	if len(ds) == 0 {
		return ds, nil
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.EventID
	}
	evs, err := many(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE id = ANY($1)`, ids)
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

// ClaimDeliveries: see the SQLite adapter for the ordering rule (carried
// by ready). The candidate subqueries read the statement's snapshot, so a
// row another replica claimed and committed after that snapshot still
// shows up there as pending; SKIP LOCKED does not skip it (its lock is
// gone) and FOR UPDATE rechecks only the conditions on d itself against
// the row's latest version. Those conditions therefore restate the whole
// claim rule (due and ready, or lease lapsed), which makes the claim
// exclusive, as ClaimJobs' locked CTEs are.
// A disabled endpoint's deliveries are left out of the candidates
// themselves (see the SQLite adapter: left out after them, one disabled
// endpoint's backlog filled the window and starved every other app).
// claimWindow bounds how many due deliveries one claim looks at.
const claimWindow = 1024

// notDisabled keeps a delivery of an app whose endpoint is not disabled.
const notDisabled = `app_id NOT IN (SELECT id FROM apps WHERE webhook_disabled_at IS NOT NULL)`

func (t *tx) ClaimDeliveries(ctx context.Context, worker string, n int, now time.Time, lease time.Duration) ([]*kobo.Delivery, error) {
	rows, err := t.q.Query(ctx, `WITH c AS (UPDATE webhook_deliveries SET status = 'delivering', locked_by = $1, locked_until = $2,
		attempts = attempts + 1, updated_at = $3
		WHERE id IN (
			SELECT d.id FROM webhook_deliveries d
			WHERE d.id IN (
				(SELECT id FROM webhook_deliveries WHERE status = 'pending' AND ready AND next_attempt_at <= $3 AND `+notDisabled+` ORDER BY next_attempt_at LIMIT $5)
				UNION ALL
				(SELECT id FROM webhook_deliveries WHERE status = 'delivering' AND locked_until <= $3 AND `+notDisabled+` ORDER BY locked_until LIMIT $5))
			  AND ((d.status = 'pending' AND d.ready AND d.next_attempt_at <= $3) OR (d.status = 'delivering' AND d.locked_until <= $3))
			ORDER BY d.next_attempt_at
			LIMIT $4
			FOR UPDATE OF d SKIP LOCKED
		) RETURNING `+deliveryCols+`)
		SELECT `+withEventCols+` FROM c LEFT JOIN events e ON e.id = c.event_id`, worker, utc(now.Add(lease)), utc(now), n, claimWindow)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var ds []*kobo.Delivery
	for rows.Next() {
		d, err := scanDeliveryEvent(rows, nil, false)
		if err != nil {
			return nil, classify(err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return ds, nil
}

// FinishDeliveries records a turn's outcomes in one round trip of four
// statements, whatever their number: the attempts, the deliveries' new
// states, the queue locks of their accounts (in byte order of the key, as
// Replay takes them, so transactions cannot deadlock on each other), and
// each account's next delivery promoted. One statement per outcome made a
// turn of a hundred outcomes take a hundred milliseconds on a busy server.
func (t *tx) FinishDeliveries(ctx context.Context, worker string, outcomes []kobo.DeliveryOutcome, now time.Time) error {
	if len(outcomes) == 0 {
		return nil
	}
	n := len(outcomes)
	var (
		aID, aDel, aURL, aBody, aErr = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		aNum, aCode                  = make([]int32, n), make([]int32, n)
		aAt                          = make([]time.Time, n)
		aLat                         = make([]int64, n)
		dStatus                      = make([]string, n)
		dNext                        = make([]*time.Time, n)
	)
	for i, o := range outcomes {
		a := o.Attempt
		aID[i], aDel[i], aNum[i], aAt[i], aURL[i], aCode[i], aLat[i], aBody[i], aErr[i] = a.ID, o.DeliveryID, int32(a.Attempt), utc(a.AttemptedAt), a.URL,
			int32(a.StatusCode), a.Latency.Microseconds(), a.ResponseBody, a.Error
		dStatus[i], dNext[i] = string(o.Status), utcPtr(o.NextAttemptAt)
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO webhook_attempts (id, delivery_id, attempt, attempted_at, url, status_code, latency_us, response_body, error)
		SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::text[], $6::int[], $7::bigint[], $8::text[], $9::text[])`,
		aID, aDel, aNum, aAt, aURL, aCode, aLat, aBody, aErr)
	// a delivery whose lease was lost is left alone: the new holder
	// records its own outcome
	b.Queue(`UPDATE webhook_deliveries d SET status = o.status, next_attempt_at = o.next, locked_by = '', locked_until = NULL, url = o.url,
		last_status_code = o.code, last_error = o.err, updated_at = $7,
		delivered_at = CASE WHEN o.status = 'succeeded' THEN $7 ELSE d.delivered_at END
		FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::int[], $6::text[]) AS o(id, status, next, url, code, err)
		WHERE d.id = o.id AND d.locked_by = $8`, aDel, dStatus, dNext, aURL, aCode, aErr, utc(now), worker)
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended(q.k, 7210)))
		FROM (SELECT u.k FROM (SELECT DISTINCT app_id || '/' || account_id AS k FROM webhook_deliveries WHERE id = ANY($1)) u ORDER BY u.k COLLATE "C") q`, aDel)
	// tried, they no longer hold their accounts back: each account's
	// earliest waiting delivery may go unless something else before it
	// still blocks it
	b.Queue(`WITH q AS (SELECT DISTINCT app_id, account_id FROM webhook_deliveries WHERE id = ANY($1)),
		nxt AS (SELECT (SELECT w.id FROM webhook_deliveries w WHERE w.app_id = q.app_id AND w.account_id = q.account_id
				AND w.status IN ('pending', 'delivering') AND NOT w.ready ORDER BY w.event_seq LIMIT 1) AS id FROM q)
		UPDATE webhook_deliveries d SET ready = true FROM nxt
		WHERE d.id = nxt.id AND NOT EXISTS (`+blocker+`)`, aDel)
	br := t.q.SendBatch(ctx, b)
	for range b.Len() {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return classify(err)
		}
	}
	return classify(br.Close())
}

func (t *tx) ReleaseDeliveries(ctx context.Context, worker string, ids []string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = attempts - 1, next_attempt_at = $1, locked_by = '',
		locked_until = NULL WHERE id = ANY($2) AND locked_by = $3 AND status = 'delivering'`, utc(at), ids, worker)
	return err
}

func (t *tx) NextDeliveryAt(ctx context.Context) (*time.Time, error) {
	var next *time.Time
	err := t.q.QueryRow(ctx, `SELECT least((SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND ready AND `+notDisabled+`),
		(SELECT min(locked_until) FROM webhook_deliveries WHERE status = 'delivering' AND `+notDisabled+`))`).Scan(&next)
	if err != nil {
		return nil, classify(err)
	}
	return fromPtr(next), nil
}

func (t *tx) Delivery(ctx context.Context, id string) (*kobo.Delivery, error) {
	d, err := one(ctx, t, "delivery", scanDelivery, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = $1`, id)
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
	args := []any{f.AppID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries WHERE app_id = $1`
	if f.Status != "" {
		q += " AND status = " + arg(string(f.Status))
	}
	if f.EventType != "" {
		q += " AND event_type = " + arg(f.EventType)
	}
	if f.AccountID != "" {
		q += " AND account_id = " + arg(f.AccountID)
	}
	if f.BeforeCreated != nil {
		q += " AND (created_at, id) < (" + arg(utc(*f.BeforeCreated)) + ", " + arg(f.BeforeID) + ")"
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT " + arg(max(f.Limit, 1))
	ds, err := many(ctx, t, scanDelivery, q, args...)
	if err != nil {
		return nil, err
	}
	return t.withEvents(ctx, ds)
}

func (t *tx) DeliveryAttempts(ctx context.Context, deliveryID string) ([]*kobo.DeliveryAttempt, error) {
	return many(ctx, t, func(s scanner) (*kobo.DeliveryAttempt, error) {
		var a kobo.DeliveryAttempt
		var lat int64
		if err := s.Scan(&a.ID, &a.DeliveryID, &a.Attempt, &a.AttemptedAt, &a.URL, &a.StatusCode, &lat, &a.ResponseBody, &a.Error); err != nil {
			return nil, err
		}
		a.AttemptedAt, a.Latency = a.AttemptedAt.UTC(), time.Duration(lat)*time.Microsecond
		return &a, nil
	}, `SELECT id, delivery_id, attempt, attempted_at, url, status_code, latency_us, response_body, error FROM webhook_attempts
		WHERE delivery_id = $1 ORDER BY attempt, attempted_at`, deliveryID)
}

func (t *tx) RequeueDelivery(ctx context.Context, id string, now time.Time) error {
	return t.execOne(ctx, "delivery", `UPDATE webhook_deliveries SET status = 'pending', ready = true, next_attempt_at = $1, locked_by = '', locked_until = NULL,
		updated_at = $1 WHERE id = $2 AND status <> 'delivering'`, utc(now), id)
}

func (t *tx) SetWebhookHealth(ctx context.Context, appID string, failingSince, disabledAt *time.Time) error {
	return t.execOne(ctx, "app", `UPDATE apps SET webhook_failing_since = $1, webhook_disabled_at = $2 WHERE id = $3`,
		utcPtr(failingSince), utcPtr(disabledAt), appID)
}
