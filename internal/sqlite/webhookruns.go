package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ClaimDeliveryRuns claims heads as ClaimDeliveries does, then, in the same
// transaction on the one writer (nothing changes between the statements),
// each first attempt's next deliveries while they are untried: the window
// of the account's next deliveries is read, cut at the first one in flight
// or waiting for a retry, and the rest claimed. They are not ready (the
// head blocks them); the run's order is the dispatcher's to keep.
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
	keys := make([][3]any, len(firsts))
	for i, h := range firsts {
		keys[i] = [3]any{h.AppID, h.AccountID, h.EventSeq}
	}
	list, _ := json.Marshal(keys)
	type row struct {
		head     int
		id       string
		status   string
		attempts int
	}
	window, err := many(ctx, t, func(s scanner) (row, error) {
		var r row
		return r, s.Scan(&r.head, &r.id, &r.status, &r.attempts)
	}, `SELECT h.key, x.id, x.status, x.attempts FROM json_each(?1) h, webhook_deliveries x
		WHERE x.id IN (SELECT y.id FROM webhook_deliveries y
			WHERE y.app_id = json_extract(h.value, '$[0]') AND y.account_id = json_extract(h.value, '$[1]')
			  AND y.event_seq > json_extract(h.value, '$[2]') AND y.status IN ('pending', 'delivering')
			ORDER BY y.event_seq LIMIT (?2 + 0))
		ORDER BY h.key, x.event_seq`, string(list), per)
	if err != nil {
		return nil, err
	}
	follow := map[string][]string{}
	cut := map[int]bool{}
	var ids []string
	for _, r := range window {
		if cut[r.head] || r.status != string(kobo.DeliveryPending) || r.attempts != 0 {
			cut[r.head] = true
			continue
		}
		h := firsts[r.head]
		follow[h.ID] = append(follow[h.ID], r.id)
		ids = append(ids, r.id)
	}
	for _, h := range heads {
		plans = append(plans, kobo.RunPlan{Head: h, Followers: follow[h.ID]})
	}
	var got []*kobo.Delivery
	if len(ids) > 0 {
		idList, _ := json.Marshal(ids)
		got, err = many(ctx, t, scanDelivery, `UPDATE webhook_deliveries SET status = 'delivering', locked_by = ?1, locked_until = ?2,
			attempts = attempts + 1, updated_at = ?3
			WHERE id IN (SELECT value FROM json_each(?4)) AND status = 'pending' AND attempts = 0
			RETURNING `+deliveryCols, worker, ts(now.Add(lease)), ts(now), string(idList))
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
