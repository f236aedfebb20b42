package cli

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

// countingStore counts write transactions.
type countingStore struct {
	kobo.Store
	updates atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(kobo.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

// Deleting an entry that is not there (the simulator clears a user's MFA
// flag on every login) takes no write transaction; deleting one that is
// there still removes it.
func TestSandboxStateDeleteWritesOnlyWhatExists(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	s := sandboxState{st: cs, clock: kobo.SystemClock{}}
	if err := s.Delete(ctx, "mfa", "app/inst/user"); err != nil {
		t.Fatal(err)
	}
	if n := cs.updates.Load(); n != 0 {
		t.Fatalf("deleting a missing entry took %d write transactions, want 0", n)
	}
	if err := s.Put(ctx, "mfa", "app/inst/user", []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "mfa", "app/inst/user"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := s.Value(ctx, "mfa", "app/inst/user"); err != nil || ok {
		t.Fatalf("after Delete: present %v, err %v; want gone", ok, err)
	}
	if n := cs.updates.Load(); n != 2 {
		t.Fatalf("put and delete took %d write transactions, want 2", n)
	}
}
