package kobo

import (
	"context"
	"time"
)

// ThrottleStore counts attempts in fixed windows, in the database, so every
// replica enforces the same limit: a throttle kept in one process's memory
// gives an attacker N times the attempts behind N replicas.
type ThrottleStore interface {
	// HitThrottle adds one to key's counter for the window starting at
	// window and returns the new count. expires is when the row may be
	// pruned (the end of the window).
	HitThrottle(ctx context.Context, key string, window, expires time.Time) (int, error)
	// ThrottleHits returns key's count for the window starting at window
	// (0 when none), without adding to it.
	ThrottleHits(ctx context.Context, key string, window time.Time) (int, error)
	// PruneThrottles deletes counters that expired before t.
	PruneThrottles(ctx context.Context, before time.Time) (int, error)
}
