package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const usageDayFormat = "2006-01-02"

// usageChunk keeps one statement's parameters (7 a row) well under
// SQLite's limit of 32,766.
const usageChunk = 1000

func (t *tx) AddUsage(ctx context.Context, deltas []kobo.UsageDay) error {
	deltas = kobo.MergeUsage(deltas)
	for len(deltas) > 0 {
		n := min(len(deltas), usageChunk)
		var q strings.Builder
		q.WriteString(`INSERT INTO usage_daily (app_id, mode, day, calls, errors, links, syncs, webhooks) VALUES `)
		args := make([]any, 0, 8*n)
		for i, d := range deltas[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, d.AppID, string(d.Mode), kobo.UsageDayOf(d.Day).Format(usageDayFormat), d.Calls, d.Errors, d.Links, d.Syncs, d.Webhooks)
		}
		q.WriteString(` ON CONFLICT (app_id, mode, day) DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
			links = links + excluded.links, syncs = syncs + excluded.syncs, webhooks = webhooks + excluded.webhooks`)
		if _, err := t.exec(ctx, q.String(), args...); err != nil {
			return err
		}
		deltas = deltas[n:]
	}
	return nil
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
	}, `SELECT day, calls, errors, links, syncs, webhooks FROM usage_daily WHERE app_id = ? AND mode = ? AND day BETWEEN ? AND ? ORDER BY day`,
		appID, string(mode), kobo.UsageDayOf(from).Format(usageDayFormat), kobo.UsageDayOf(to).Format(usageDayFormat))
}

func (t *tx) UsageTotals(ctx context.Context, appIDs []string, from, to time.Time) (map[string]kobo.UsageCounts, error) {
	out := map[string]kobo.UsageCounts{}
	if len(appIDs) == 0 {
		return out, nil
	}
	args := []any{kobo.UsageDayOf(from).Format(usageDayFormat), kobo.UsageDayOf(to).Format(usageDayFormat)}
	for _, id := range appIDs {
		args = append(args, id)
	}
	type row struct {
		id string
		c  kobo.UsageCounts
	}
	rows, err := many(ctx, t, func(s scanner) (row, error) {
		var r row
		err := s.Scan(&r.id, &r.c.Calls, &r.c.Errors, &r.c.Links, &r.c.Syncs, &r.c.Webhooks)
		return r, err
	}, `SELECT app_id, SUM(calls), SUM(errors), SUM(links), SUM(syncs), SUM(webhooks) FROM usage_daily
		WHERE day BETWEEN ? AND ? AND app_id IN (?`+strings.Repeat(", ?", len(appIDs)-1)+`) GROUP BY app_id`, args...)
	for _, r := range rows {
		out[r.id] = r.c
	}
	return out, err
}

func (t *tx) PruneUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM usage_daily WHERE rowid IN (SELECT rowid FROM usage_daily WHERE day < ? LIMIT (? + 0))`,
		kobo.UsageDayOf(before).Format(usageDayFormat), max(limit, 1))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
