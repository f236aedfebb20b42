package kobo

import "context"

// StatsStore keeps the query planner's statistics current. On a table it
// has never analysed PostgreSQL guesses a handful of rows and plans a
// transaction page as a bitmap scan plus a sort of the whole account;
// autovacuum fixes that only a minute or more later (or never, where it
// is tuned down). kobo refreshes them itself after migrations and after a
// large first fetch.
type StatsStore interface {
	// RefreshStats analyses the tables whose statistics are missing or
	// far behind their contents, and says whether it analysed any. It is
	// cheap when nothing is stale.
	RefreshStats(ctx context.Context) (bool, error)
}
