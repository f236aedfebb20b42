// Package jobs runs kobo's durable background work: the first data fetch
// after a link, scheduled and manual syncs, webhook deliveries, PDF
// statement builds and income analyses.
//
// Jobs live in the database (kobo.JobStore) and are inserted in the same
// transaction as the change that needs them, so a job exists exactly when
// its cause committed, and kill -9 at any point loses nothing: a job a dead
// worker held comes back when its lease expires.
//
// Why not River: we evaluated River v0.51 (pgx and riversqlite drivers).
// Its transactional insert needs the driver's own transaction type
// (pgx.Tx or *sql.Tx), which would push engine types through kobo.Tx and
// into package app; its SQLite driver is documented as early testing and
// wants a one-connection pool, which it would share with, and contend
// against, every API write on our single SQLite writer; and it brings its
// own schema and migration tool beside ours on two engines. The queue kobo
// needs is small: a table, a partial unique index for unique jobs, a claim
// with FOR UPDATE SKIP LOCKED on Postgres (the single writer serialises
// claims on SQLite), leases with heartbeats, and a wake-up. That is this
// package plus a few statements per engine, tested by the store
// conformance suite on both.
//
// Wake-up: Notify (called after a commit that enqueued work) wakes the
// dispatcher at once in-process; on Postgres, cli also LISTENs on the jobs
// channel so replicas wake each other. Without a wake the dispatcher still
// polls, at most every PollInterval, and sleeps exactly until the next
// scheduled job when one is due sooner.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Handler does one job. Returning nil completes it; an error retries it
// with backoff until MaxAttempts, then fails it. Use Permanent to fail at
// once and RetryAt to choose the next attempt's time.
type Handler func(ctx context.Context, j *kobo.Job) error

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

type retryAtError struct {
	at  time.Time
	err error
}

func (e retryAtError) Error() string { return e.err.Error() }
func (e retryAtError) Unwrap() error { return e.err }

// RetryAt asks for the next attempt at t (e.g. a bank's Retry-After).
func RetryAt(t time.Time, err error) error { return retryAtError{t, err} }

// Config configures a Runner.
type Config struct {
	Store        kobo.Store
	Clock        kobo.Clock
	Logger       *slog.Logger
	Workers      int           // concurrent jobs (default 8)
	Lease        time.Duration // how long a claim lasts without a heartbeat (default 1m)
	PollInterval time.Duration // longest sleep without a wake-up (default 1s)
	WorkerID     string        // identifies this process in locked_by and its logs (default random)
	// Metrics, when set, is told about every finished job.
	Metrics func(kind string, outcome string, d time.Duration)
	// Claimed, when set, is told about every claim: takeover is true when
	// the job was taken from another worker whose lease had lapsed.
	Claimed func(kind string, takeover bool)
}

// Runner dispatches jobs to handlers.
type Runner struct {
	store    kobo.Store
	clock    kobo.Clock
	log      *slog.Logger
	workers  int
	lease    time.Duration
	poll     time.Duration
	id       string
	metrics  func(string, string, time.Duration)
	claimed  func(string, bool)
	handlers map[string]Handler
	wake     chan struct{}
	running  atomic.Int64
}

// New returns a Runner.
func New(c Config) *Runner {
	return &Runner{
		store:    c.Store,
		clock:    cmp.Or[kobo.Clock](c.Clock, kobo.SystemClock{}),
		log:      cmp.Or(c.Logger, slog.New(slog.DiscardHandler)),
		workers:  cmp.Or(c.Workers, 8),
		lease:    cmp.Or(c.Lease, time.Minute),
		poll:     cmp.Or(c.PollInterval, time.Second),
		id:       cmp.Or(c.WorkerID, "w_"+kobo.RandomToken(10)),
		metrics:  c.Metrics,
		claimed:  c.Claimed,
		handlers: map[string]Handler{},
		wake:     make(chan struct{}, 1),
	}
}

// Handle registers h for jobs of kind. Call before Run.
func (r *Runner) Handle(kind string, h Handler) { r.handlers[kind] = h }

// Notify wakes the dispatcher: new work may be waiting. It never blocks.
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Running reports how many jobs are in progress in this process.
func (r *Runner) Running() int { return int(r.running.Load()) }

// Backoff is the delay before attempt n+1 after n failed attempts:
// exponential from 5 s, capped at 30 min, with ±25 % jitter so a burst of
// failures does not come back in lockstep.
func Backoff(attempt int) time.Duration {
	d := 5 * time.Second << min(attempt-1, 10)
	d = min(d, 30*time.Minute)
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}

// Run dispatches until ctx is cancelled, then waits for the jobs in
// progress (their contexts are cancelled too; a job cut short is retried
// when its lease expires or, if its handler returned, right away).
func (r *Runner) Run(ctx context.Context) error {
	sem := make(chan struct{}, r.workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		free := r.workers - len(sem)
		var claimed []*kobo.Job
		if free > 0 {
			err := r.store.Update(ctx, func(tx kobo.Tx) error {
				var err error
				claimed, err = tx.ClaimJobs(ctx, r.id, free, r.clock.Now(), r.lease)
				return err
			})
			if err != nil && ctx.Err() == nil {
				r.log.Warn("claiming jobs failed", "err", err)
			}
		}
		for _, j := range claimed {
			// Claims, finishes and takeovers are logged at info with the
			// worker, so an operator of several replicas can follow a job
			// from one to another (and see which replica's leases lapsed).
			if j.TakenFrom != "" {
				r.log.Info("job taken over from a lapsed lease", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt, "worker", r.id, "from", j.TakenFrom)
			} else {
				r.log.Info("job claimed", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt, "worker", r.id, "lease", r.lease)
			}
			if r.claimed != nil {
				r.claimed(j.Kind, j.TakenFrom != "")
			}
			sem <- struct{}{}
			wg.Add(1)
			r.running.Add(1)
			go func(j *kobo.Job) {
				defer func() { <-sem; wg.Done(); r.running.Add(-1); r.Notify() }()
				r.work(ctx, j)
			}(j)
		}
		if ctx.Err() != nil {
			return nil
		}
		if len(claimed) == free && free > 0 {
			continue // there may be more
		}
		r.sleep(ctx)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// sleep waits for a wake-up, the poll interval, or the next due job.
func (r *Runner) sleep(ctx context.Context) {
	d := r.poll
	var next *time.Time
	_ = r.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		next, err = tx.NextJobAt(ctx)
		return err
	})
	if next != nil {
		if until := next.Sub(r.clock.Now()); until < d {
			d = max(until, time.Millisecond)
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.wake:
	case <-t.C:
	}
}

func (r *Runner) work(ctx context.Context, j *kobo.Job) {
	start := time.Now()
	log := r.log.With("job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt, "worker", r.id)
	h, ok := r.handlers[j.Kind]
	var err error
	if !ok {
		err = Permanent(fmt.Errorf("no handler for job kind %q", j.Kind))
	} else {
		err = r.call(ctx, h, j)
	}
	// Record the outcome even if ctx was cancelled (shutdown): a finished
	// job must not run again.
	octx := context.WithoutCancel(ctx)
	now := r.clock.Now()
	outcome := "completed"
	var rerr error
	switch {
	case err == nil:
		rerr = r.store.Update(octx, func(tx kobo.Tx) error { return tx.CompleteJob(octx, j.ID, r.id, now) })
	case errors.As(err, new(permanentError)) || j.Attempt >= j.MaxAttempts:
		outcome = "failed"
		log.Warn("job failed", "err", err)
		rerr = r.store.Update(octx, func(tx kobo.Tx) error { return tx.FailJob(octx, j.ID, r.id, truncate(err.Error()), now) })
	default:
		outcome = "retried"
		at := now.Add(Backoff(j.Attempt))
		var ra retryAtError
		if errors.As(err, &ra) {
			at = ra.at
		}
		if ctx.Err() != nil {
			at = now // interrupted by shutdown: let the next process take it at once
		}
		log.Info("job will retry", "err", err, "at", at)
		rerr = r.store.Update(octx, func(tx kobo.Tx) error { return tx.RetryJob(octx, j.ID, r.id, at, truncate(err.Error()), now) })
	}
	if rerr == nil && outcome == "completed" {
		log.Info("job completed", "took", time.Since(start).Round(time.Millisecond))
	}
	if rerr != nil {
		// The lease has expired and another worker may own the job now, or
		// the database is down; either way the job will run again.
		log.Warn("recording job outcome failed", "err", rerr, "outcome", outcome)
	}
	if r.metrics != nil {
		r.metrics(j.Kind, outcome, time.Since(start))
	}
}

// call runs h with a heartbeat that keeps the lease while h works, and
// turns a panic into an error.
func (r *Runner) call(ctx context.Context, h Handler, j *kobo.Job) (err error) {
	hctx, cancel := context.WithCancel(kobo.Background(ctx))
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(r.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				until := r.clock.Now().Add(r.lease)
				if err := r.store.Update(hctx, func(tx kobo.Tx) error { return tx.ExtendJobLease(hctx, j.ID, r.id, until) }); err != nil {
					if kobo.ErrorCode(err) == kobo.ENOTFOUND {
						cancel() // we lost the job to another worker; stop
						return
					}
				}
			}
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return h(hctx, j)
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
