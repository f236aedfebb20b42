package banksim

import (
	"context"
	"slices"
	"sync"
)

// State is where the simulator keeps what changes while it runs: each
// tenant's clock offset, "the next login needs MFA" flags, custom test
// users and per-user faults. When several kobo replicas each run a
// simulator in-process, their State must be one shared store (kobo serve
// keeps it in its database), or the replicas disagree about the bank: a
// clock advanced on one, a user created on another. banksim defines what
// it needs and never imports a store.
type State interface {
	// Value returns an entry's bytes and counter; ok is false when unset.
	Value(ctx context.Context, kind, key string) (v []byte, n int64, ok bool, err error)
	// Values lists a kind's values, ordered by key.
	Values(ctx context.Context, kind string) ([][]byte, error)
	// Put sets an entry's bytes.
	Put(ctx context.Context, kind, key string, v []byte) error
	// Add adds delta to an entry's counter atomically and returns it.
	Add(ctx context.Context, kind, key string, delta int64) (int64, error)
	// Delete removes an entry.
	Delete(ctx context.Context, kind, key string) error
}

// State kinds.
const (
	stateClock  = "clock"  // tenant → offset in nanoseconds (counter)
	stateMFA    = "mfa"    // tenant/institution/user → flag
	stateUser   = "user"   // custom_… → storedUser JSON
	stateFaults = "faults" // username → Faults JSON
)

// MemoryState keeps State in this process: for `kobo banksim` run alone
// (one process is the whole bank; its state ends with it) and for tests.
type MemoryState struct {
	mu sync.Mutex
	m  map[[2]string]memEntry
}

type memEntry struct {
	v []byte
	n int64
}

// NewMemoryState returns an empty in-process State.
func NewMemoryState() *MemoryState { return &MemoryState{m: map[[2]string]memEntry{}} }

func (m *MemoryState) Value(_ context.Context, kind, key string) ([]byte, int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[[2]string{kind, key}]
	return e.v, e.n, ok, nil
}

func (m *MemoryState) Values(_ context.Context, kind string) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.m {
		if k[0] == kind {
			keys = append(keys, k[1])
		}
	}
	slices.Sort(keys)
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		out = append(out, m.m[[2]string{kind, k}].v)
	}
	return out, nil
}

func (m *MemoryState) Put(_ context.Context, kind, key string, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.m[[2]string{kind, key}]
	e.v = v
	m.m[[2]string{kind, key}] = e
	return nil
}

func (m *MemoryState) Add(_ context.Context, kind, key string, delta int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.m[[2]string{kind, key}]
	e.n += delta
	m.m[[2]string{kind, key}] = e
	return e.n, nil
}

func (m *MemoryState) Delete(_ context.Context, kind, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, [2]string{kind, key})
	return nil
}
