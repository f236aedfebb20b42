package sqlite

import "context"

// RefreshStats does nothing on SQLite: its hot reads are fixed by the
// schema (transactions clustered by account and date, partial indexes for
// the queues) and pinned without statistics by TestPagePlansSeek and
// TestJobPlansSeek; sqlite_stat1 could only move those plans.
func (s *Store) RefreshStats(context.Context) (bool, error) { return false, nil }
