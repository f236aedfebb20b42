package kobo

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// UsageCounts is what an app used: API calls (and how many of them were
// answered 4xx or 5xx), accounts linked, syncs finished and webhooks
// delivered (answered 2xx).
type UsageCounts struct {
	Calls, Errors, Links, Syncs, Webhooks int64
}

// Add returns c plus o.
func (c UsageCounts) Add(o UsageCounts) UsageCounts {
	return UsageCounts{Calls: c.Calls + o.Calls, Errors: c.Errors + o.Errors, Links: c.Links + o.Links,
		Syncs: c.Syncs + o.Syncs, Webhooks: c.Webhooks + o.Webhooks}
}

// IsZero reports whether nothing was counted.
func (c UsageCounts) IsZero() bool { return c == UsageCounts{} }

// UsageDay is one app's usage in one mode on one UTC day. As a delta
// (AddUsage) it is added to what the day already holds.
type UsageDay struct {
	AppID string
	Mode  Mode
	Day   time.Time // midnight UTC
	UsageCounts
}

// UsageDayOf is the UTC day t falls on, at midnight.
func UsageDayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// UsageStore keeps per-day usage counters. Every replica adds its own
// counts, so the rows only ever grow by increments and no replica's
// memory holds a total.
type UsageStore interface {
	// AddUsage adds each delta to its (app, mode, day) row, creating rows
	// as needed; the whole batch is one statement.
	AddUsage(ctx context.Context, deltas []UsageDay) error
	// ListUsage returns an app's rows in one mode for the days from..to
	// (both inclusive), oldest first; days without a row are absent.
	ListUsage(ctx context.Context, appID string, mode Mode, from, to time.Time) ([]UsageDay, error)
	// UsageTotals sums the rows of the days from..to (inclusive) of each
	// of appIDs over both modes; apps without rows are absent.
	UsageTotals(ctx context.Context, appIDs []string, from, to time.Time) (map[string]UsageCounts, error)
	// PruneUsage deletes rows of days before before, at most limit of them.
	PruneUsage(ctx context.Context, before time.Time, limit int) (int, error)
}

// MergeUsage adds up deltas of the same (app, mode, day), drops those
// that count nothing and sorts the rest, so a batch touches each row
// once (Postgres refuses an upsert that meets a row twice) and two
// replicas' batches lock rows in the same order.
func MergeUsage(deltas []UsageDay) []UsageDay {
	type key struct {
		app  string
		mode Mode
		day  time.Time
	}
	m := make(map[key]int, len(deltas))
	out := make([]UsageDay, 0, len(deltas))
	for _, d := range deltas {
		if d.IsZero() {
			continue
		}
		d.Day = UsageDayOf(d.Day)
		k := key{d.AppID, d.Mode, d.Day}
		if i, ok := m[k]; ok {
			out[i].UsageCounts = out[i].Add(d.UsageCounts)
			continue
		}
		m[k] = len(out)
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b UsageDay) int {
		return cmp.Or(strings.Compare(a.AppID, b.AppID), strings.Compare(string(a.Mode), string(b.Mode)), a.Day.Compare(b.Day))
	})
	return out
}
