package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func testKeyChecks(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.KeyChecks(ctx)
		if err == nil && len(got) != 0 {
			err = fmt.Errorf("fresh store has %d key checks", len(got))
		}
		_, _, cerr := tx.AnyCredentials(ctx)
		wantCode(t, cerr, kobo.ENOTFOUND)
		return err
	})
	acct := NewAccount(t, s, NewApp(t, s, NewPartner(t, s, "keys@b.ng").ID).ID)
	view(t, s, func(tx kobo.Tx) error {
		id, sealed, err := tx.AnyCredentials(ctx)
		if err == nil && (id != acct.ID || sealed != acct.Credentials) {
			err = fmt.Errorf("AnyCredentials = %q, %q; want %q, %q", id, sealed, acct.ID, acct.Credentials)
		}
		return err
	})
	a := &kobo.KeyCheck{KeyID: "k1", Check: "c1", CreatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.AddKeyCheck(ctx, a) })
	err := s.Update(ctx, func(tx kobo.Tx) error {
		return tx.AddKeyCheck(ctx, &kobo.KeyCheck{KeyID: "k1", Check: "other", CreatedAt: T0})
	})
	wantCode(t, err, kobo.ECONFLICT)
	update(t, s, func(tx kobo.Tx) error {
		got, err := tx.KeyChecks(ctx)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0] != *a {
			return fmt.Errorf("KeyChecks = %+v, want [%+v]", got, *a)
		}
		return tx.AddKeyCheck(ctx, &kobo.KeyCheck{KeyID: "k2", Check: "c2", CreatedAt: T0.Add(time.Microsecond)})
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.KeyChecks(ctx)
		if err == nil && (len(got) != 2 || got[1].KeyID != "k2") {
			err = fmt.Errorf("KeyChecks = %+v", got)
		}
		return err
	})
}

// testKeyChecksFirstStartRace: replicas starting at once on an empty
// database, each recording its key if none is recorded, leave one key.
func testKeyChecksFirstStartRace(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			err := s.Update(ctx, func(tx kobo.Tx) error {
				got, err := tx.KeyChecks(ctx)
				if err != nil || len(got) > 0 {
					return err
				}
				return tx.AddKeyCheck(ctx, &kobo.KeyCheck{KeyID: fmt.Sprint("k", i), Check: "c", CreatedAt: T0})
			})
			if err != nil && kobo.ErrorCode(err) != kobo.EUNAVAILABLE {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.KeyChecks(ctx)
		if err == nil && len(got) != 1 {
			err = fmt.Errorf("%d keys recorded by concurrent first starts, want 1: %+v", len(got), got)
		}
		return err
	})
}

func testSandboxState(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.SandboxEntry(ctx, "user", "custom_a")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutSandboxEntry(ctx, &kobo.SandboxEntry{Kind: "user", Key: "custom_b", Value: []byte(`{"b":1}`), UpdatedAt: T0}); err != nil {
			return err
		}
		if err := tx.PutSandboxEntry(ctx, &kobo.SandboxEntry{Kind: "user", Key: "custom_a", Value: []byte(`{"a":1}`), UpdatedAt: T0}); err != nil {
			return err
		}
		if err := tx.PutSandboxEntry(ctx, &kobo.SandboxEntry{Kind: "flag", Key: "x", UpdatedAt: T0}); err != nil {
			return err
		}
		return tx.PutSandboxEntry(ctx, &kobo.SandboxEntry{Kind: "user", Key: "custom_a", Value: []byte(`{"a":2}`), UpdatedAt: T0.Add(time.Microsecond)})
	})
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.SandboxEntries(ctx, "user")
		if err == nil && (len(list) != 2 || list[0].Key != "custom_a" || string(list[0].Value) != `{"a":2}` || !list[0].UpdatedAt.Equal(T0.Add(time.Microsecond)) || list[1].Key != "custom_b") {
			err = fmt.Errorf("SandboxEntries = %+v", list)
		}
		return err
	})
	// the counter adds atomically under concurrent replicas
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			for {
				err := s.Update(ctx, func(tx kobo.Tx) error {
					_, err := tx.AddSandboxCounter(ctx, "clock", "app1", 3600, T0)
					return err
				})
				if kobo.ErrorCode(err) == kobo.EUNAVAILABLE {
					continue
				}
				if err != nil {
					t.Error(err)
				}
				return
			}
		})
	}
	wg.Wait()
	var n int64
	update(t, s, func(tx kobo.Tx) error {
		var err error
		n, err = tx.AddSandboxCounter(ctx, "clock", "app1", 1, T0)
		return err
	})
	if n != 8*3600+1 {
		t.Fatalf("counter = %d, want %d", n, 8*3600+1)
	}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.DeleteSandboxEntry(ctx, "flag", "x"); err != nil {
			return err
		}
		return tx.DeleteSandboxEntry(ctx, "flag", "x") // none left: no error
	})
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.SandboxEntry(ctx, "flag", "x")
		wantCode(t, err, kobo.ENOTFOUND)
		e, err := tx.SandboxEntry(ctx, "clock", "app1")
		if err == nil && (e.N != n || len(e.Value) != 0) {
			err = fmt.Errorf("clock entry = %+v", e)
		}
		return err
	})
}
