package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ClaimDeliveryRuns claims heads as ClaimDeliveries does (SKIP LOCKED, the
// claim rule rechecked on the locked rows), then each first attempt's next
// deliveries while they are untried. The followers are claimed by a plain
// UPDATE that rechecks they are still untried and pending on the rows'
// latest versions: one another transaction changed meanwhile is not taken,
// and the run is cut before it (what came after it is handed back), so no
// delivery goes before an earlier one of its account.
func (t *tx) ClaimDeliveryRuns(ctx context.Context, worker string, n, runLen int, now time.Time, lease time.Duration) ([][]*kobo.Delivery, error) {
	heads, err := t.ClaimDeliveries(ctx, worker, n, now, lease)
	if err != nil {
		return nil, err
	}
	firsts := kobo.FirstAttempts(heads)
	per := 0
	if len(firsts) > 0 {
		per = min(runLen-1, (n-len(heads))/len(firsts))
	}
	plans := make([]kobo.RunPlan, 0, len(heads))
	if per <= 0 {
		for _, h := range heads {
			plans = append(plans, kobo.RunPlan{Head: h})
		}
		runs, _ := kobo.CutRuns(plans, nil)
		return runs, nil
	}
	apps, accts, seqs := make([]string, len(firsts)), make([]string, len(firsts)), make([]int64, len(firsts))
	for i, h := range firsts {
		apps[i], accts[i], seqs[i] = h.AppID, h.AccountID, h.EventSeq
	}
	// one statement: the followers as the latest committed versions show
	// them, each kept only while every one before it in its run is still
	// untried and pending (ok), claimed by an UPDATE that rechecks that on
	// the rows' latest versions, with their events joined. A follower ok
	// here but not claimed cuts its run in CutRuns.
	rows, err := t.q.Query(ctx, `WITH f AS (
			SELECT h.i, x.id, x.event_seq,
				bool_and(x.status = 'pending' AND x.attempts = 0) OVER (PARTITION BY h.i ORDER BY x.event_seq) AS ok
			FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS h(app, acct, seq, i)
			CROSS JOIN LATERAL (SELECT y.id, y.status, y.attempts, y.event_seq FROM webhook_deliveries y
				WHERE y.app_id = h.app AND y.account_id = h.acct AND y.event_seq > h.seq AND y.status IN ('pending', 'delivering')
				ORDER BY y.event_seq LIMIT $4) x),
		c AS (UPDATE webhook_deliveries SET status = 'delivering', locked_by = $5, locked_until = $6, attempts = attempts + 1, updated_at = $7
			WHERE id IN (SELECT id FROM f WHERE ok) AND status = 'pending' AND attempts = 0
			RETURNING `+deliveryCols+`)
		SELECT f.i, f.id, c.id IS NOT NULL, `+withEventCols+`
		FROM f LEFT JOIN c ON c.id = f.id LEFT JOIN events e ON e.id = c.event_id
		WHERE f.ok ORDER BY f.i, f.event_seq`, apps, accts, seqs, per, worker, utc(now.Add(lease)), utc(now))
	if err != nil {
		return nil, classify(err)
	}
	follow := map[string][]string{}
	var got []*kobo.Delivery
	for rows.Next() {
		var i int64
		var id string
		var claimed bool
		// a follower the UPDATE did not claim has NULLs where the claimed
		// row would be: the head is read first, the rest only if claimed
		// (pgx reads a row's values again on each Scan)
		if _, err := scanDeliveryEvent(rows, []any{&i, &id, &claimed}, true); err != nil {
			rows.Close()
			return nil, classify(err)
		}
		h := firsts[i-1]
		follow[h.ID] = append(follow[h.ID], id)
		if !claimed {
			continue
		}
		d, err := scanDeliveryEvent(rows, []any{nil, nil, nil}, false)
		if err != nil {
			rows.Close()
			return nil, classify(err)
		}
		got = append(got, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	for _, h := range heads {
		plans = append(plans, kobo.RunPlan{Head: h, Followers: follow[h.ID]})
	}
	runs, release := kobo.CutRuns(plans, got)
	if len(release) > 0 {
		if err := t.ReleaseDeliveries(ctx, worker, release, now); err != nil {
			return nil, err
		}
	}
	return runs, nil
}
