package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const jobCols = `id, kind, args, unique_key, status, priority, attempt, max_attempts, run_at, locked_by, locked_until, last_error,
	created_at, updated_at, finished_at, account_id, result`

func scanJob(s scanner) (*kobo.Job, error) {
	var j kobo.Job
	var args string
	var unique sql.NullString
	var status string
	var runAt, created, updated int64
	var locked, finished sql.NullInt64
	var result string
	if err := s.Scan(&j.ID, &j.Kind, &args, &unique, &status, &j.Priority, &j.Attempt, &j.MaxAttempts, &runAt, &j.LockedBy, &locked,
		&j.LastError, &created, &updated, &finished, &j.AccountID, &result); err != nil {
		return nil, err
	}
	if result != "" {
		j.Result = []byte(result)
	}
	j.Args, j.UniqueKey, j.Status = []byte(args), unique.String, kobo.JobStatus(status)
	j.RunAt, j.CreatedAt, j.UpdatedAt = fromTS(runAt), fromTS(created), fromTS(updated)
	j.LockedUntil, j.FinishedAt = fromNullTS(locked), fromNullTS(finished)
	return &j, nil
}

func (t *tx) EnqueueJob(ctx context.Context, j *kobo.Job) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO jobs (`+jobCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND status IN ('available', 'running') DO NOTHING`,
		j.ID, j.Kind, string(j.Args), nullString(j.UniqueKey), string(kobo.JobAvailable), j.Priority, 0, j.MaxAttempts, ts(j.RunAt),
		"", nil, "", ts(j.CreatedAt), ts(j.UpdatedAt), nil, j.AccountID, string(j.Result))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// claimJobsSQL takes due jobs, and jobs whose lease lapsed, in priority
// order. Each side stops at the claim's size in its index's order, so a
// backlog of thousands costs a claim the few rows it takes, not a sort of
// the backlog.
const claimJobsSQL = `UPDATE jobs SET status = 'running', locked_by = ?1, locked_until = ?2, attempt = attempt + 1, updated_at = ?3
		WHERE id IN (
			SELECT id FROM (
				SELECT * FROM (SELECT id, priority, run_at FROM jobs WHERE status = 'available' AND run_at <= ?3
					ORDER BY priority, run_at LIMIT (?4 + 0))
				UNION ALL
				SELECT * FROM (SELECT id, priority, run_at FROM jobs WHERE status = 'running' AND locked_until <= ?3
					ORDER BY locked_until LIMIT (?4 + 0))
			) ORDER BY priority, run_at LIMIT (?4 + 0)
		) RETURNING ` + jobCols

// lapsedJobsSQL names the holders of the lapsed leases a claim may take
// over: UPDATE ... RETURNING only sees the new holder.
const lapsedJobsSQL = `SELECT id, locked_by FROM jobs WHERE status = 'running' AND locked_until <= ? ORDER BY locked_until LIMIT (? + 0)`

func (t *tx) ClaimJobs(ctx context.Context, worker string, n int, now time.Time, lease time.Duration) ([]*kobo.Job, error) {
	// The claim below runs in the same write transaction, on the one
	// writer, so the holders read here are the ones it replaces.
	type held struct{ id, by string }
	lapsed, err := many(ctx, t, func(s scanner) (held, error) {
		var h held
		return h, s.Scan(&h.id, &h.by)
	}, lapsedJobsSQL, ts(now), n)
	if err != nil {
		return nil, err
	}
	jobs, err := many(ctx, t, scanJob, claimJobsSQL, worker, ts(now.Add(lease)), ts(now), n)
	for _, j := range jobs {
		for _, h := range lapsed {
			if h.id == j.ID {
				j.TakenFrom = h.by
			}
		}
	}
	return jobs, err
}

func (t *tx) CompleteJob(ctx context.Context, id, worker string, now time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET status = 'completed', locked_until = NULL, finished_at = ?, updated_at = ?
		WHERE id = ? AND locked_by = ? AND status = 'running'`, ts(now), ts(now), id, worker)
}

func (t *tx) RetryJob(ctx context.Context, id, worker string, runAt time.Time, lastError string, now time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET status = 'available', locked_by = '', locked_until = NULL, run_at = ?, last_error = ?, updated_at = ?
		WHERE id = ? AND locked_by = ? AND status = 'running'`, ts(runAt), lastError, ts(now), id, worker)
}

func (t *tx) FailJob(ctx context.Context, id, worker, lastError string, now time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = ?, finished_at = ?, updated_at = ?
		WHERE id = ? AND locked_by = ? AND status = 'running'`, lastError, ts(now), ts(now), id, worker)
}

func (t *tx) ExtendJobLease(ctx context.Context, id, worker string, until time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET locked_until = ? WHERE id = ? AND locked_by = ? AND status = 'running'`, ts(until), id, worker)
}

func (t *tx) Job(ctx context.Context, id string) (*kobo.Job, error) {
	return one(ctx, t, "job", scanJob, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id)
}

const nextJobAtSQL = `SELECT min(at) FROM (
		SELECT min(run_at) AS at FROM jobs WHERE status = 'available'
		UNION ALL SELECT min(locked_until) FROM jobs WHERE status = 'running')`

func (t *tx) NextJobAt(ctx context.Context) (*time.Time, error) {
	var next sql.NullInt64
	err := t.q.QueryRowContext(ctx, nextJobAtSQL).Scan(&next)
	if err != nil {
		return nil, classify(err)
	}
	return fromNullTS(next), nil
}

func (t *tx) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?`, ts(before))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// QueueStats reads the backlog off the partial indexes of available jobs
// and ready deliveries, so its cost is the backlog's, not the history's.
func (t *tx) QueueStats(ctx context.Context, now time.Time) (kobo.QueueStats, error) {
	var st kobo.QueueStats
	jobs, err := many(ctx, t, func(s scanner) (kobo.QueueDepth, error) {
		var q kobo.QueueDepth
		var oldest sql.NullInt64
		err := s.Scan(&q.Kind, &q.Depth, &oldest)
		q.OldestDue = fromNullTS(oldest)
		return q, err
	}, `SELECT kind, count(*), min(run_at) FROM jobs WHERE status = 'available' AND run_at <= ? GROUP BY kind ORDER BY kind`, ts(now))
	if err != nil {
		return st, err
	}
	st.Jobs = jobs
	var oldest sql.NullInt64
	if err := t.q.QueryRowContext(ctx, `SELECT count(*), min(next_attempt_at) FROM webhook_deliveries
		WHERE status = 'pending' AND ready = 1 AND next_attempt_at <= ?`, ts(now)).Scan(&st.Deliveries.Depth, &oldest); err != nil {
		return st, classify(err)
	}
	st.Deliveries.Kind, st.Deliveries.OldestDue = "webhooks", fromNullTS(oldest)
	return st, nil
}
