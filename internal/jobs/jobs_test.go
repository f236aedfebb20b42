package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/jobs"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres/pgtest"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

func openSQLite(t *testing.T) kobo.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func engines(t *testing.T, fn func(t *testing.T, s kobo.Store)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, pgtest.Open(t)) })
}

func enqueue(t *testing.T, s kobo.Store, kind, unique string, maxAttempts int) *kobo.Job {
	t.Helper()
	now := time.Now().UTC()
	j := &kobo.Job{ID: kobo.NewID(now) + kobo.RandomToken(4), Kind: kind, Args: json.RawMessage(`{}`), UniqueKey: unique,
		MaxAttempts: maxAttempts, RunAt: now, CreatedAt: now, UpdatedAt: now}
	if err := s.Update(context.Background(), func(tx kobo.Tx) error { _, err := tx.EnqueueJob(context.Background(), j); return err }); err != nil {
		t.Fatal(err)
	}
	return j
}

func status(t *testing.T, s kobo.Store, id string) *kobo.Job {
	t.Helper()
	var j *kobo.Job
	if err := s.View(context.Background(), func(tx kobo.Tx) error {
		var err error
		j, err = tx.Job(context.Background(), id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return j
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunner(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, s kobo.Store) {
		r := jobs.New(jobs.Config{Store: s, Workers: 4, PollInterval: 50 * time.Millisecond})
		var okRuns, flaky, panics atomic.Int64
		r.Handle("ok", func(ctx context.Context, j *kobo.Job) error { okRuns.Add(1); return nil })
		r.Handle("flaky", func(ctx context.Context, j *kobo.Job) error {
			if flaky.Add(1) < 2 {
				return jobs.RetryAt(time.Now(), errors.New("bank down"))
			}
			return nil
		})
		r.Handle("bad", func(ctx context.Context, j *kobo.Job) error { return jobs.Permanent(errors.New("no such account")) })
		r.Handle("panic", func(ctx context.Context, j *kobo.Job) error {
			panics.Add(1)
			panic("boom")
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		defer func() { cancel(); <-done }()

		var oks []*kobo.Job
		for i := 0; i < 20; i++ {
			oks = append(oks, enqueue(t, s, "ok", "", 3))
		}
		fl := enqueue(t, s, "flaky", "", 3)
		bad := enqueue(t, s, "bad", "", 3)
		pan := enqueue(t, s, "panic", "", 1)
		unknown := enqueue(t, s, "nobody", "", 3)
		r.Notify()
		waitFor(t, "all jobs to finish", func() bool {
			for _, j := range append(oks, fl, bad, pan, unknown) {
				if st := status(t, s, j.ID).Status; st != kobo.JobCompleted && st != kobo.JobFailed {
					return false
				}
			}
			return true
		})
		if okRuns.Load() != 20 {
			t.Errorf("ok jobs ran %d times, want 20 (each once)", okRuns.Load())
		}
		if j := status(t, s, fl.ID); j.Status != kobo.JobCompleted || j.Attempt != 2 {
			t.Errorf("flaky job = %s after %d attempts", j.Status, j.Attempt)
		}
		if j := status(t, s, bad.ID); j.Status != kobo.JobFailed || j.Attempt != 1 || j.LastError != "no such account" {
			t.Errorf("permanent failure = %+v", j)
		}
		if j := status(t, s, pan.ID); j.Status != kobo.JobFailed || panics.Load() != 1 {
			t.Errorf("panicking job = %+v", j)
		}
		if j := status(t, s, unknown.ID); j.Status != kobo.JobFailed {
			t.Errorf("unknown kind = %+v", j)
		}
	})
}

// TestWakeLatency checks a Notify after enqueue starts the job promptly
// even with a long poll interval (the webhook issue's idle p99 target).
func TestWakeLatency(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	r := jobs.New(jobs.Config{Store: s, PollInterval: time.Hour})
	started := make(chan time.Time, 1)
	r.Handle("ping", func(ctx context.Context, j *kobo.Job) error { started <- time.Now(); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond) // let the dispatcher go to sleep
	t0 := time.Now()
	enqueue(t, s, "ping", "", 1)
	r.Notify()
	select {
	case at := <-started:
		if d := at.Sub(t0); d > 2*time.Second {
			t.Fatalf("job started %v after enqueue", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Notify did not wake the dispatcher")
	}
}

// TestCrashRecovery: a worker that dies holding a job loses it when its
// lease expires, and another runner finishes it.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, s kobo.Store) {
		j := enqueue(t, s, "work", "", 5)
		// a "crashed" worker claimed it with a short lease and vanished
		if err := s.Update(context.Background(), func(tx kobo.Tx) error {
			_, err := tx.ClaimJobs(context.Background(), "dead", 10, time.Now(), 200*time.Millisecond)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		ran := 0
		r := jobs.New(jobs.Config{Store: s, PollInterval: 50 * time.Millisecond})
		r.Handle("work", func(ctx context.Context, j *kobo.Job) error { mu.Lock(); ran++; mu.Unlock(); return nil })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		defer func() { cancel(); <-done }()
		waitFor(t, "the orphaned job to complete", func() bool { return status(t, s, j.ID).Status == kobo.JobCompleted })
		if got := status(t, s, j.ID); got.Attempt != 2 || ran != 1 {
			t.Fatalf("job = attempt %d, ran %d times", got.Attempt, ran)
		}
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for n := 1; n < 20; n++ {
		d := jobs.Backoff(n)
		if d < 3*time.Second || d > 38*time.Minute {
			t.Errorf("Backoff(%d) = %v", n, d)
		}
	}
	if jobs.Backoff(3) <= jobs.Backoff(1) {
		t.Error("backoff does not grow")
	}
}
