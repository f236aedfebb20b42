package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Usage (dashboard "Usage", GET /v1/apps/{id}/usage, the operator
// console) is counted per app, mode and UTC day. Counting happens on hot
// paths (every API call), so each process adds to counters in memory and
// FlushUsage writes them as increments every few seconds and at shutdown:
// this is a write buffer, not shared state. Replicas each add their own
// increments to the same rows, so the totals are exact whichever replica
// served what; a process that dies unflushed loses at most its last few
// seconds of counts.

// UsageKept is how long per-day usage is kept.
const UsageKept = 400 * 24 * time.Hour

// UsageMaxDays is the longest range the usage API returns.
const UsageMaxDays = 90

// usageMaxPending bounds the counters waiting for a flush (one per app,
// mode and day); past it counts are dropped and logged rather than
// letting memory grow while the database is down.
const usageMaxPending = 100_000

type usageKey struct {
	app  string
	mode kobo.Mode
	day  time.Time
}

type usageRecorder struct {
	mu      sync.Mutex
	pending map[usageKey]*kobo.UsageCounts
	dropped int
}

func newUsageRecorder() *usageRecorder {
	return &usageRecorder{pending: map[usageKey]*kobo.UsageCounts{}}
}

func (u *usageRecorder) add(appID string, mode kobo.Mode, at time.Time, d kobo.UsageCounts) {
	if appID == "" {
		return
	}
	k := usageKey{appID, mode, kobo.UsageDayOf(at)}
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.pending[k]
	if c == nil {
		if len(u.pending) >= usageMaxPending {
			u.dropped++
			return
		}
		c = &kobo.UsageCounts{}
		u.pending[k] = c
	}
	*c = c.Add(d)
}

func (u *usageRecorder) take() ([]kobo.UsageDay, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]kobo.UsageDay, 0, len(u.pending))
	for k, c := range u.pending {
		out = append(out, kobo.UsageDay{AppID: k.app, Mode: k.mode, Day: k.day, UsageCounts: *c})
	}
	clear(u.pending)
	dropped := u.dropped
	u.dropped = 0
	return out, dropped
}

// putBack returns counts a failed flush could not write, so the next
// flush retries them.
func (u *usageRecorder) putBack(days []kobo.UsageDay) {
	for _, d := range days {
		u.add(d.AppID, d.Mode, d.Day, d.UsageCounts)
	}
}

// CountCall counts one API call answered with status (4xx and 5xx are
// also errors). The HTTP middleware calls it for every call made with an
// app's key.
func (s *Service) CountCall(appID string, mode kobo.Mode, status int) {
	c := kobo.UsageCounts{Calls: 1}
	if status >= 400 {
		c.Errors = 1
	}
	s.usage.add(appID, mode, s.clock.Now(), c)
}

// CountWebhook counts one webhook delivery the app's endpoint answered
// 2xx; the webhook dispatcher calls it.
func (s *Service) CountWebhook(appID string, live bool) {
	s.usage.add(appID, kobo.ModeOf(live), s.clock.Now(), kobo.UsageCounts{Webhooks: 1})
}

// countLink counts an account linked (or relinked) through Connect.
func (s *Service) countLink(appID string, live bool) {
	s.usage.add(appID, kobo.ModeOf(live), s.clock.Now(), kobo.UsageCounts{Links: 1})
}

// countSync counts a sync of an account that finished successfully.
func (s *Service) countSync(appID string, live bool) {
	s.usage.add(appID, kobo.ModeOf(live), s.clock.Now(), kobo.UsageCounts{Syncs: 1})
}

// FlushUsage writes the usage counted here since the last flush, as one
// statement. RunUsage calls it every few seconds; tests call it to make
// what happened visible at once. Counts a failed write held are kept for
// the next flush.
func (s *Service) FlushUsage(ctx context.Context) error {
	days, dropped := s.usage.take()
	if dropped > 0 {
		s.log.Warn("usage counts dropped: too many waited for a flush", "counters", dropped)
	}
	if len(days) == 0 {
		return nil
	}
	if err := s.store.Update(ctx, func(tx kobo.Tx) error { return tx.AddUsage(ctx, days) }); err != nil {
		s.usage.putBack(days)
		return fmt.Errorf("writing usage counts: %w", err)
	}
	return nil
}

// RunUsage flushes usage counts every five seconds until ctx ends, then
// once more.
func (s *Service) RunUsage(ctx context.Context) {
	ctx = kobo.Background(ctx)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := s.FlushUsage(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("flushing usage failed", "err", err)
			}
		case <-ctx.Done():
			if err := s.FlushUsage(context.WithoutCancel(ctx)); err != nil {
				s.log.Warn("flushing usage failed", "err", err)
			}
			return
		}
	}
}

// PruneUsage deletes days older than UsageKept.
func (s *Service) PruneUsage(ctx context.Context) (int, error) {
	total := 0
	before := kobo.UsageDayOf(s.clock.Now().Add(-UsageKept))
	for {
		var n int
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			var err error
			n, err = tx.PruneUsage(ctx, before, pruneBatch)
			return err
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// AppUsage returns an app's usage in one mode for the last days UTC days
// (today included), oldest first, with a row for every day: days nothing
// was counted on are zeros. days is 1..UsageMaxDays; 0 means 30.
func (s *Service) AppUsage(ctx context.Context, partnerID, appID string, live bool, days int) ([]kobo.UsageDay, error) {
	if days == 0 {
		days = 30
	}
	if days < 1 || days > UsageMaxDays {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("days must be between 1 and %d", UsageMaxDays),
			Fields: map[string]string{"days": fmt.Sprintf("must be between 1 and %d", UsageMaxDays)}}
	}
	mode := kobo.ModeOf(live)
	to := kobo.UsageDayOf(s.clock.Now())
	from := to.AddDate(0, 0, -(days - 1))
	var rows []kobo.UsageDay
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		var err error
		rows, err = tx.ListUsage(ctx, appID, mode, from, to)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]kobo.UsageDay, 0, days)
	i := 0
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		u := kobo.UsageDay{AppID: appID, Mode: mode, Day: d}
		if i < len(rows) && rows[i].Day.Equal(d) {
			u.UsageCounts = rows[i].UsageCounts
			i++
		}
		out = append(out, u)
	}
	return out, nil
}
