package kobo

import (
	"context"
	"time"
)

// ReplayStore keeps the one webhook replay an app may have in flight, so a
// partner (or whoever holds their token) cannot queue replay after replay
// at an endpoint faster than kobo delivers them. A replay is in flight
// while any delivery it created has not been tried once; its deliveries
// are the app's deliveries created at the replay's start (the replay
// creates all of them in its one transaction, at one instant).
type ReplayStore interface {
	// StartReplay records a replay of appID whose deliveries this
	// transaction creates at `at`, unless the app's previous replay is
	// still in flight: then it records nothing and returns false.
	// Concurrent calls for one app are serialised: the second waits for
	// the first transaction to end and then sees its deliveries.
	StartReplay(ctx context.Context, appID string, at time.Time) (bool, error)
}
