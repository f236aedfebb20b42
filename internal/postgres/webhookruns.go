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
	rows, err := t.q.Query(ctx, `SELECT h.i, x.id, x.status, x.attempts
		FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS h(app, acct, seq, i)
		CROSS JOIN LATERAL (SELECT y.id, y.status, y.attempts, y.event_seq FROM webhook_deliveries y
			WHERE y.app_id = h.app AND y.account_id = h.acct AND y.event_seq > h.seq AND y.status IN ('pending', 'delivering')
			ORDER BY y.event_seq LIMIT $4) x
		ORDER BY h.i, x.event_seq`, apps, accts, seqs, per)
	if err != nil {
		return nil, classify(err)
	}
	follow := map[string][]string{}
	cut := map[int64]bool{}
	var ids []string
	for rows.Next() {
		var i int64
		var id, status string
		var attempts int
		if err := rows.Scan(&i, &id, &status, &attempts); err != nil {
			rows.Close()
			return nil, classify(err)
		}
		if cut[i] || status != string(kobo.DeliveryPending) || attempts != 0 {
			cut[i] = true
			continue
		}
		h := firsts[i-1]
		follow[h.ID] = append(follow[h.ID], id)
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	for _, h := range heads {
		plans = append(plans, kobo.RunPlan{Head: h, Followers: follow[h.ID]})
	}
	var got []*kobo.Delivery
	if len(ids) > 0 {
		got, err = many(ctx, t, scanDelivery, `UPDATE webhook_deliveries SET status = 'delivering', locked_by = $1, locked_until = $2,
			attempts = attempts + 1, updated_at = $3
			WHERE id = ANY($4) AND status = 'pending' AND attempts = 0
			RETURNING `+deliveryCols, worker, utc(now.Add(lease)), utc(now), ids)
		if err != nil {
			return nil, err
		}
		if got, err = t.withEvents(ctx, got); err != nil {
			return nil, err
		}
	}
	runs, release := kobo.CutRuns(plans, got)
	if len(release) > 0 {
		if err := t.ReleaseDeliveries(ctx, worker, release, now); err != nil {
			return nil, err
		}
	}
	return runs, nil
}
