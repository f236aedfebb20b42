package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/jobs"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// lockedBuffer is a log sink the runner's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// TestClaimsAndTakeoversAreLogged: at info, each claim names the worker
// and its lease, a takeover names whose lapsed lease it took, and each
// finish is logged; the claim hook counts takeovers apart.
func TestClaimsAndTakeoversAreLogged(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, s kobo.Store) {
		ctx := context.Background()
		var logs lockedBuffer
		var mu sync.Mutex
		claims := map[bool]int{}
		r := jobs.New(jobs.Config{Store: s, Workers: 2, PollInterval: 20 * time.Millisecond, WorkerID: "replica-b.x1",
			Logger:  slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
			Claimed: func(kind string, takeover bool) { mu.Lock(); claims[takeover]++; mu.Unlock() }})
		r.Handle("ok", func(ctx context.Context, j *kobo.Job) error { return nil })
		// a job a crashed replica claimed, with a lease that lapsed a
		// minute ago (a negative lease, so no waiting)
		crashed := enqueue(t, s, "ok", "", 3)
		var got []*kobo.Job
		if err := s.Update(ctx, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ClaimJobs(ctx, "replica-a.dead", 1, time.Now(), -time.Minute)
			return err
		}); err != nil || len(got) != 1 {
			t.Fatalf("the crashed replica claimed %d jobs: %v", len(got), err)
		}
		fresh := enqueue(t, s, "ok", "", 3)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = r.Run(rctx) }()
		waitFor(t, "both jobs completed", func() bool {
			return status(t, s, crashed.ID).Status == kobo.JobCompleted && status(t, s, fresh.ID).Status == kobo.JobCompleted
		})
		cancel()
		<-done
		find := func(msg, id string) map[string]any {
			for _, l := range logs.lines() {
				if l["msg"] == msg && l["job_id"] == id {
					return l
				}
			}
			t.Errorf("no %q line for job %s in:\n%s", msg, id, logs.b.String())
			return map[string]any{}
		}
		if l := find("job taken over from a lapsed lease", crashed.ID); l["from"] != "replica-a.dead" || l["worker"] != "replica-b.x1" || l["level"] != "INFO" {
			t.Errorf("takeover line: %v", l)
		}
		if l := find("job claimed", fresh.ID); l["worker"] != "replica-b.x1" || l["lease"] == nil || l["level"] != "INFO" {
			t.Errorf("claim line: %v", l)
		}
		for _, id := range []string{crashed.ID, fresh.ID} {
			if l := find("job completed", id); l["worker"] != "replica-b.x1" || l["kind"] != "ok" {
				t.Errorf("completion line: %v", l)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if claims[true] != 1 || claims[false] != 1 {
			t.Errorf("claims counted %v, want one takeover and one due", claims)
		}
	})
}
