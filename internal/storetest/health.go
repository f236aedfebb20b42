package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testInstitutionHealth: counters of one (scope, institution, minute) add
// up across writes (as two replicas' flushes do), keep the later error
// time, sum per institution over the window asked for, stay apart by
// scope, and are pruned by age in bounded batches.
func testInstitutionHealth(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	m0, m1, m2 := T0, T0.Add(time.Minute), T0.Add(20*time.Minute)
	e1, e2 := m0.Add(10*time.Second), m0.Add(40*time.Second)
	update(t, s, func(tx kobo.Tx) error {
		return tx.AddBankCalls(ctx, []kobo.BankCalls{
			{Scope: kobo.HealthScopeLive, InstitutionID: "gtb", Minute: m0, Calls: 4, Errors: 1, LastErrorAt: &e2},
			{Scope: kobo.HealthScopeLive, InstitutionID: "gtb", Minute: m1, Calls: 2, Slow: 1},
			{Scope: kobo.HealthScopeLive, InstitutionID: "uba", Minute: m2, Calls: 3},
			{Scope: kobo.HealthScopeSandbox("app1"), InstitutionID: "gtb", Minute: m2, Calls: 5, Errors: 5, LastErrorAt: &e1},
		})
	})
	// a second replica's flush of the same minute: added, and the earlier error time does not win
	update(t, s, func(tx kobo.Tx) error {
		return tx.AddBankCalls(ctx, []kobo.BankCalls{
			{Scope: kobo.HealthScopeLive, InstitutionID: "gtb", Minute: m0, Calls: 3, Errors: 2, Slow: 2, LastErrorAt: &e1},
			{Scope: kobo.HealthScopeLive, InstitutionID: "gtb", Minute: m1, Calls: 1},
		})
	})
	health := func(scope string, since, errorsSince time.Time) []kobo.InstitutionHealthRow {
		var out []kobo.InstitutionHealthRow
		view(t, s, func(tx kobo.Tx) error {
			var err error
			out, err = tx.InstitutionHealth(ctx, scope, since, errorsSince)
			return err
		})
		return out
	}
	got := health(kobo.HealthScopeLive, m0, m0)
	want := []kobo.InstitutionHealthRow{
		{InstitutionID: "gtb", Calls: 10, Errors: 3, Slow: 3, LastErrorAt: &e2},
		{InstitutionID: "uba", Calls: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("live health from m0 = %s, want %s", rows(got), rows(want))
	}
	// the window from m1 leaves m0's counts out, and its error time too when errors are asked from m1
	got = health(kobo.HealthScopeLive, m1, m1)
	want = []kobo.InstitutionHealthRow{{InstitutionID: "gtb", Calls: 3, Slow: 1}, {InstitutionID: "uba", Calls: 3}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("live health from m1 = %s, want %s", rows(got), rows(want))
	}
	// counts over the window, the last error over the longer look-back
	got = health(kobo.HealthScopeLive, m1, m0)
	want = []kobo.InstitutionHealthRow{{InstitutionID: "gtb", Calls: 3, Slow: 1, LastErrorAt: &e2}, {InstitutionID: "uba", Calls: 3}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("live health from m1, errors from m0 = %s, want %s", rows(got), rows(want))
	}
	got = health(kobo.HealthScopeSandbox("app1"), m0, m0)
	want = []kobo.InstitutionHealthRow{{InstitutionID: "gtb", Calls: 5, Errors: 5, LastErrorAt: &e1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sandbox health = %s, want %s", rows(got), rows(want))
	}
	if got := health(kobo.HealthScopeSandbox("app2"), m0, m0); len(got) != 0 {
		t.Fatalf("another app's sandbox health = %s, want none", rows(got))
	}
	// prune: minutes before m2 go, one at a time when the limit says so
	var n int
	update(t, s, func(tx kobo.Tx) error {
		var err error
		n, err = tx.PruneBankCalls(ctx, m2, 1)
		return err
	})
	if n != 1 {
		t.Fatalf("pruned %d with limit 1, want 1", n)
	}
	update(t, s, func(tx kobo.Tx) error {
		var err error
		n, err = tx.PruneBankCalls(ctx, m2, 100)
		return err
	})
	if n != 1 {
		t.Fatalf("pruned %d more, want 1", n)
	}
	got = health(kobo.HealthScopeLive, m0, m0)
	want = []kobo.InstitutionHealthRow{{InstitutionID: "uba", Calls: 3}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("live health after pruning = %s, want %s", rows(got), rows(want))
	}
}

func rows(rs []kobo.InstitutionHealthRow) string {
	out := "["
	for _, r := range rs {
		last := "-"
		if r.LastErrorAt != nil {
			last = r.LastErrorAt.Format(time.RFC3339Nano)
		}
		out += fmt.Sprintf("{%s calls=%d errors=%d slow=%d last=%s}", r.InstitutionID, r.Calls, r.Errors, r.Slow, last)
	}
	return out + "]"
}

// testInstitutionNotes: a note round-trips, is replaced in place, is
// listed by institution, and is deleted (deleting a missing one is fine).
func testInstitutionNotes(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := &kobo.InstitutionNote{InstitutionID: "uba", Status: kobo.InstitutionDown, Note: "Planned maintenance until 04:00", By: "operator", UpdatedAt: T0}
	b := &kobo.InstitutionNote{InstitutionID: "gtb", Note: "Slower than usual", By: "operator (admin console)", UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutInstitutionNote(ctx, a); err != nil {
			return err
		}
		return tx.PutInstitutionNote(ctx, b)
	})
	list := func() []*kobo.InstitutionNote {
		var out []*kobo.InstitutionNote
		view(t, s, func(tx kobo.Tx) error {
			var err error
			out, err = tx.InstitutionNotes(ctx)
			return err
		})
		return out
	}
	if got := list(); len(got) != 2 || !reflect.DeepEqual(got[0], b) || !reflect.DeepEqual(got[1], a) {
		t.Fatalf("notes = %+v %+v", got[0], got[1])
	}
	a2 := &kobo.InstitutionNote{InstitutionID: "uba", Status: kobo.InstitutionDegraded, Note: "Back, but slow", By: "operator", UpdatedAt: T0.Add(time.Hour)}
	update(t, s, func(tx kobo.Tx) error { return tx.PutInstitutionNote(ctx, a2) })
	if got := list(); len(got) != 2 || !reflect.DeepEqual(got[1], a2) {
		t.Fatalf("replaced note = %+v", got[1])
	}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.DeleteInstitutionNote(ctx, "uba"); err != nil {
			return err
		}
		return tx.DeleteInstitutionNote(ctx, "none")
	})
	if got := list(); len(got) != 1 || got[0].InstitutionID != "gtb" {
		t.Fatalf("after delete = %+v", got)
	}
	// the database refuses a status the API does not have
	err := s.Update(ctx, func(tx kobo.Tx) error {
		return tx.PutInstitutionNote(ctx, &kobo.InstitutionNote{InstitutionID: "x", Status: "sideways", Note: "n", By: "o", UpdatedAt: T0})
	})
	if err == nil {
		t.Fatal("a note with status sideways was stored")
	}
}
