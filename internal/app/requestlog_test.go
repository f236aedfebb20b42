package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

func requestLogService(t *testing.T, c app.RequestLogConfig) (*app.Service, kobo.Store, *testClock) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	return app.New(app.Config{Store: st, Clock: clock, RequestLog: c}), st, clock
}

// logged offers calls to the request log through its writer, stops the
// writer (which writes what is queued) and returns what was stored.
func logged(t *testing.T, svc *app.Service, st kobo.Store, calls []kobo.APIRequest) []kobo.APIRequest {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.RunRequestLog(ctx) }()
	for _, r := range calls {
		svc.LogRequest(r)
	}
	cancel()
	<-done
	var out []kobo.APIRequest
	if err := st.View(context.Background(), func(tx kobo.Tx) error {
		var err error
		out, err = tx.ListAPIRequests(context.Background(), kobo.APIRequestFilter{AppID: "app1", Limit: 500})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// calls is 80 successes, 10 client errors and 10 server errors.
func calls(at time.Time) []kobo.APIRequest {
	var out []kobo.APIRequest
	for i := 0; i < 100; i++ {
		status := 200
		switch {
		case i%10 == 3:
			status = 404
		case i%10 == 7:
			status = 502
		}
		out = append(out, kobo.APIRequest{AppID: "app1", Method: "GET", Path: fmt.Sprintf("/accounts/%d", i), Route: "GET /accounts/{id}", Status: status,
			CreatedAt: at.Add(time.Duration(i) * time.Millisecond)})
	}
	return out
}

func TestRequestLogModes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode         app.RequestLogMode
		sample       float64
		want, errors int
	}{
		{app.RequestLogOff, 0, 0, 0},
		{app.RequestLogErrors, 0, 20, 20},
		{app.RequestLogSampled, 0.25, 40, 20}, // every error and a quarter of the 80 successes
		{app.RequestLogSampled, 0, 20, 20},
		{app.RequestLogAll, 0, 100, 20},
		{"", 0, 100, 20}, // the zero value keeps everything
	} {
		t.Run(fmt.Sprintf("%s-%v", c.mode, c.sample), func(t *testing.T) {
			t.Parallel()
			svc, st, clock := requestLogService(t, app.RequestLogConfig{Mode: c.mode, SampleRate: c.sample})
			got := logged(t, svc, st, calls(clock.Now()))
			errs := 0
			for _, r := range got {
				if r.Status >= 400 {
					errs++
				}
			}
			if len(got) != c.want || errs != c.errors {
				t.Errorf("kept %d lines (%d errors), want %d (%d errors)", len(got), errs, c.want, c.errors)
			}
		})
	}
}

// TestRequestLogBounds: pruning removes lines past the retention, then
// the oldest beyond the size cap.
func TestRequestLogBounds(t *testing.T) {
	t.Parallel()
	svc, st, clock := requestLogService(t, app.RequestLogConfig{Retention: 2 * time.Hour, MaxRows: 30})
	old := calls(clock.Now().Add(-3 * time.Hour))[:20]
	recent := calls(clock.Now().Add(-time.Hour))
	if n := len(logged(t, svc, st, append(old, recent...))); n != 120 {
		t.Fatalf("stored %d lines, want 120 before pruning", n)
	}
	n, err := svc.PruneRequestLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 90 {
		t.Errorf("pruned %d lines, want 20 past retention and 70 beyond the cap", n)
	}
	got := logged(t, svc, st, nil)
	if len(got) != 30 {
		t.Fatalf("%d lines left, want 30", len(got))
	}
	for _, r := range got {
		if r.CreatedAt.Before(recent[70].CreatedAt) {
			t.Errorf("kept an old line: %v", r.CreatedAt)
		}
	}
}
