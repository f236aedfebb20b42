package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testJobTakeover: a claim that takes a job over from a lapsed lease says
// whose it was; a claim of a job nobody held says nothing.
func testJobTakeover(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	claim := func(worker string, now time.Time) []*kobo.Job {
		var got []*kobo.Job
		update(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ClaimJobs(ctx, worker, 10, now, time.Minute)
			return err
		})
		return got
	}
	a := newJob("fetch", "", T0, 0)
	update(t, s, func(tx kobo.Tx) error { _, err := tx.EnqueueJob(ctx, a); return err })
	got := claim("replica-1.abc", T0)
	if len(got) != 1 || got[0].TakenFrom != "" {
		t.Fatalf("first claim: %+v", got)
	}
	if got := claim("replica-2.def", T0.Add(30*time.Second)); len(got) != 0 {
		t.Fatalf("claimed a job whose lease holds: %+v", got)
	}
	b := newJob("sync", "", T0.Add(time.Minute), 0)
	update(t, s, func(tx kobo.Tx) error { _, err := tx.EnqueueJob(ctx, b); return err })
	got = claim("replica-2.def", T0.Add(2*time.Minute))
	if len(got) != 2 {
		t.Fatalf("claimed %d jobs after the lease lapsed, want 2", len(got))
	}
	for _, j := range got {
		want := ""
		if j.ID == a.ID {
			want = "replica-1.abc"
		}
		if j.TakenFrom != want || j.LockedBy != "replica-2.def" {
			t.Errorf("job %s (%s): taken from %q, locked by %q; want from %q", j.ID, j.Kind, j.TakenFrom, j.LockedBy, want)
		}
	}
}
