package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const usageDayFormat = "2006-01-02"

// AddUsage is one statement per batch: the deltas go as arrays, so a
// flush of any size costs one round trip, and rows are locked in the
// batch's (sorted) order, alike on every replica.
func (t *tx) AddUsage(ctx context.Context, deltas []kobo.UsageDay) error {
	deltas = kobo.MergeUsage(deltas)
	if len(deltas) == 0 {
		return nil
	}
	n := len(deltas)
	apps, modes, days := make([]string, n), make([]string, n), make([]string, n)
	calls, errs, links, syncs, hooks := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, d := range deltas {
		apps[i], modes[i], days[i] = d.AppID, string(d.Mode), kobo.UsageDayOf(d.Day).Format(usageDayFormat)
		calls[i], errs[i], links[i], syncs[i], hooks[i] = d.Calls, d.Errors, d.Links, d.Syncs, d.Webhooks
	}
	_, err := t.exec(ctx, `INSERT INTO usage_daily (app_id, mode, day, calls, errors, links, syncs, webhooks)
		SELECT a, m, d::date, c, e, l, s, w FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
			AS u(a, m, d, c, e, l, s, w)
		ON CONFLICT (app_id, mode, day) DO UPDATE SET calls = usage_daily.calls + excluded.calls, errors = usage_daily.errors + excluded.errors,
			links = usage_daily.links + excluded.links, syncs = usage_daily.syncs + excluded.syncs, webhooks = usage_daily.webhooks + excluded.webhooks`,
		apps, modes, days, calls, errs, links, syncs, hooks)
	return err
}

func (t *tx) ListUsage(ctx context.Context, appID string, mode kobo.Mode, from, to time.Time) ([]kobo.UsageDay, error) {
	return many(ctx, t, func(s scanner) (kobo.UsageDay, error) {
		d := kobo.UsageDay{AppID: appID, Mode: mode}
		var day string
		if err := s.Scan(&day, &d.Calls, &d.Errors, &d.Links, &d.Syncs, &d.Webhooks); err != nil {
			return d, err
		}
		var err error
		d.Day, err = time.Parse(usageDayFormat, day)
		return d, err
	}, `SELECT to_char(day, 'YYYY-MM-DD'), calls, errors, links, syncs, webhooks FROM usage_daily
		WHERE app_id = $1 AND mode = $2 AND day BETWEEN $3::date AND $4::date ORDER BY day`,
		appID, string(mode), kobo.UsageDayOf(from).Format(usageDayFormat), kobo.UsageDayOf(to).Format(usageDayFormat))
}

func (t *tx) UsageTotals(ctx context.Context, appIDs []string, from, to time.Time) (map[string]kobo.UsageCounts, error) {
	out := map[string]kobo.UsageCounts{}
	if len(appIDs) == 0 {
		return out, nil
	}
	type row struct {
		id string
		c  kobo.UsageCounts
	}
	rows, err := many(ctx, t, func(s scanner) (row, error) {
		var r row
		err := s.Scan(&r.id, &r.c.Calls, &r.c.Errors, &r.c.Links, &r.c.Syncs, &r.c.Webhooks)
		return r, err
	}, `SELECT app_id, SUM(calls)::bigint, SUM(errors)::bigint, SUM(links)::bigint, SUM(syncs)::bigint, SUM(webhooks)::bigint FROM usage_daily
		WHERE day BETWEEN $1::date AND $2::date AND app_id = ANY($3::text[]) GROUP BY app_id`,
		kobo.UsageDayOf(from).Format(usageDayFormat), kobo.UsageDayOf(to).Format(usageDayFormat), appIDs)
	for _, r := range rows {
		out[r.id] = r.c
	}
	return out, err
}

func (t *tx) PruneUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM usage_daily WHERE ctid IN (SELECT ctid FROM usage_daily WHERE day < $1::date LIMIT $2)`,
		kobo.UsageDayOf(before).Format(usageDayFormat), max(limit, 1))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
