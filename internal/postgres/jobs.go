package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const jobCols = `id, kind, args, unique_key, status, priority, attempt, max_attempts, run_at, locked_by, locked_until, last_error,
	created_at, updated_at, finished_at, account_id, result`

// JobsChannel is the LISTEN/NOTIFY channel that wakes workers on other
// replicas when a job is enqueued.
const JobsChannel = "kobo_jobs"

func scanJob(s scanner) (*kobo.Job, error) {
	var j kobo.Job
	var unique *string
	var status, args, result string
	if err := s.Scan(&j.ID, &j.Kind, &args, &unique, &status, &j.Priority, &j.Attempt, &j.MaxAttempts, &j.RunAt, &j.LockedBy, &j.LockedUntil,
		&j.LastError, &j.CreatedAt, &j.UpdatedAt, &j.FinishedAt, &j.AccountID, &result); err != nil {
		return nil, err
	}
	if result != "" {
		j.Result = []byte(result)
	}
	j.Args = []byte(args)
	if unique != nil {
		j.UniqueKey = *unique
	}
	j.Status = kobo.JobStatus(status)
	j.RunAt, j.CreatedAt, j.UpdatedAt = j.RunAt.UTC(), j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	j.LockedUntil, j.FinishedAt = fromPtr(j.LockedUntil), fromPtr(j.FinishedAt)
	return &j, nil
}

// EnqueueJob inserts the job and notifies listeners; NOTIFY is delivered
// at commit, so workers never wake for a job they cannot see yet.
func (t *tx) EnqueueJob(ctx context.Context, j *kobo.Job) (bool, error) {
	tag, err := t.exec(ctx, `INSERT INTO jobs (`+jobCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND status IN ('available', 'running') DO NOTHING`,
		j.ID, j.Kind, string(j.Args), nullString(j.UniqueKey), string(kobo.JobAvailable), j.Priority, 0, j.MaxAttempts, utc(j.RunAt),
		"", nil, "", utc(j.CreatedAt), utc(j.UpdatedAt), nil, j.AccountID, string(j.Result))
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if err := t.wake(ctx, JobsChannel); err != nil {
		return false, err
	}
	return true, nil
}

func (t *tx) ClaimJobs(ctx context.Context, worker string, n int, now time.Time, lease time.Duration) ([]*kobo.Job, error) {
	// Each side stops at the claim's size in its own index's order, so a
	// backlog of thousands costs a claim the rows it takes, not a sort of
	// the backlog (one OR over both made the planner collect every due row
	// and sort them). Rows a side locked but the outer limit leaves out are
	// unlocked at commit, untouched.
	return many(ctx, t, scanClaimedJob, claimJobsSQL, worker, utc(now.Add(lease)), utc(now), n)
}

// claimJobsSQL is pinned to the partial indexes by TestJobPlansSeek. It
// also returns whose lapsed lease each claim took over (the lapsed CTE
// reads the rows before the update), for the takeover log line.
var claimJobsSQL = `WITH
		due AS (SELECT id, priority, run_at FROM jobs WHERE status = 'available' AND run_at <= $3
			ORDER BY priority, run_at LIMIT $4 FOR UPDATE SKIP LOCKED),
		lapsed AS (SELECT id, priority, run_at, locked_by FROM jobs WHERE status = 'running' AND locked_until <= $3
			ORDER BY locked_until LIMIT $4 FOR UPDATE SKIP LOCKED)
		UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempt = attempt + 1, updated_at = $3
		WHERE id IN (
			SELECT id FROM (SELECT id, priority, run_at FROM due UNION ALL SELECT id, priority, run_at FROM lapsed) c ORDER BY priority, run_at LIMIT $4
		) RETURNING ` + jobCols + `, coalesce((SELECT l.locked_by FROM lapsed l WHERE l.id = jobs.id), '')`

// scanClaimedJob reads a claimed job and the worker it was taken from.
func scanClaimedJob(s scanner) (*kobo.Job, error) {
	var from string
	j, err := scanJob(takenFrom{s, &from})
	if err != nil {
		return nil, err
	}
	j.TakenFrom = from
	return j, nil
}

// takenFrom scans one extra trailing column into from.
type takenFrom struct {
	s    scanner
	from *string
}

func (t takenFrom) Scan(dest ...any) error { return t.s.Scan(append(dest, t.from)...) }

func (t *tx) CompleteJob(ctx context.Context, id, worker string, now time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET status = 'completed', locked_until = NULL, finished_at = $1, updated_at = $1
		WHERE id = $2 AND locked_by = $3 AND status = 'running'`, utc(now), id, worker)
}

func (t *tx) RetryJob(ctx context.Context, id, worker string, runAt time.Time, lastError string, now time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET status = 'available', locked_by = '', locked_until = NULL, run_at = $1, last_error = $2, updated_at = $3
		WHERE id = $4 AND locked_by = $5 AND status = 'running'`, utc(runAt), lastError, utc(now), id, worker)
}

func (t *tx) FailJob(ctx context.Context, id, worker, lastError string, now time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = $1, finished_at = $2, updated_at = $2
		WHERE id = $3 AND locked_by = $4 AND status = 'running'`, lastError, utc(now), id, worker)
}

func (t *tx) ExtendJobLease(ctx context.Context, id, worker string, until time.Time) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND status = 'running'`, utc(until), id, worker)
}

func (t *tx) Job(ctx context.Context, id string) (*kobo.Job, error) {
	return one(ctx, t, "job", scanJob, `SELECT `+jobCols+` FROM jobs WHERE id = $1`, id)
}

// nextJobAtSQL is pinned to the partial indexes by TestJobPlansSeek.
const nextJobAtSQL = `SELECT least((SELECT min(run_at) FROM jobs WHERE status = 'available'),
		(SELECT min(locked_until) FROM jobs WHERE status = 'running'))`

func (t *tx) NextJobAt(ctx context.Context) (*time.Time, error) {
	var next *time.Time
	err := t.q.QueryRow(ctx, nextJobAtSQL).Scan(&next)
	if err != nil {
		return nil, classify(err)
	}
	return fromPtr(next), nil
}

func (t *tx) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1`, utc(before))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// QueueStats reads the backlog off the partial indexes of available jobs
// and ready deliveries.
func (t *tx) QueueStats(ctx context.Context, now time.Time) (kobo.QueueStats, error) {
	var st kobo.QueueStats
	jobs, err := many(ctx, t, func(s scanner) (kobo.QueueDepth, error) {
		var q kobo.QueueDepth
		err := s.Scan(&q.Kind, &q.Depth, &q.OldestDue)
		q.OldestDue = fromPtr(q.OldestDue)
		return q, err
	}, `SELECT kind, count(*), min(run_at) FROM jobs WHERE status = 'available' AND run_at <= $1 GROUP BY kind ORDER BY kind`, utc(now))
	if err != nil {
		return st, err
	}
	st.Jobs = jobs
	if err := t.q.QueryRow(ctx, `SELECT count(*), min(next_attempt_at) FROM webhook_deliveries
		WHERE status = 'pending' AND ready AND next_attempt_at <= $1`, utc(now)).Scan(&st.Deliveries.Depth, &st.Deliveries.OldestDue); err != nil {
		return st, classify(err)
	}
	st.Deliveries.Kind, st.Deliveries.OldestDue = "webhooks", fromPtr(st.Deliveries.OldestDue)
	return st, nil
}
