package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// withDefaults uses OWASP's argon2id recommendation (19 MiB, 2 passes, 1
// lane): about 20–40 ms a hash on a modern core.
func (p PasswordParams) withDefaults() PasswordParams {
	if p.Memory == 0 {
		p.Memory = 19 * 1024
	}
	if p.Time == 0 {
		p.Time = 2
	}
	if p.Threads == 0 {
		p.Threads = 1
	}
	return p
}

// hashPassword returns a PHC-format argon2id hash.
func hashPassword(pw string, p PasswordParams) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// argon2Hash is a parsed PHC argon2id hash.
type argon2Hash struct {
	p          PasswordParams
	salt, want []byte
}

// parseHash reads a PHC argon2id hash. The parameters come from the hash,
// so raising the defaults later keeps old hashes valid.
func parseHash(encoded string) (argon2Hash, bool) {
	var h argon2Hash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return h, false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.p.Memory, &h.p.Time, &h.p.Threads); err != nil {
		return h, false
	}
	if h.p.Memory > 1<<21 || h.p.Time > 16 || h.p.Threads == 0 { // refuse absurd costs from a tampered row
		return h, false
	}
	b64 := base64.RawStdEncoding
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil {
		return h, false
	}
	h.want, err = b64.DecodeString(parts[5])
	if err != nil || len(h.want) == 0 {
		return h, false
	}
	return h, true
}

// verifyPassword checks pw against a PHC argon2id hash in constant time.
func verifyPassword(pw, encoded string) bool {
	h, ok := parseHash(encoded)
	return ok && h.verify(pw)
}

func (h argon2Hash) verify(pw string) bool {
	got := argon2.IDKey([]byte(pw), h.salt, h.p.Time, h.p.Memory, h.p.Threads, uint32(len(h.want)))
	return subtle.ConstantTimeCompare(got, h.want) == 1
}

// hashGate bounds the memory argon2id holds at once. Each hash takes its
// memory parameter from a budget (19 MiB of 256 MiB by default: 13 at a
// time), and no more run at once than twice the CPUs (a hash is pure CPU:
// more at once only hold more memory for the same throughput). Requests
// beyond that wait a short, bounded time in a bounded line, and the rest
// are told to come back (503 with Retry-After) instead of queueing
// without end. Before the gate, 32 concurrent signups took a
// replica from 66 MB to 1.24 GB. Memory is a replica's own, so this
// bound is per process by design; the throttles in the database decide
// who may try at all.
type hashGate struct {
	sem        *semaphore.Weighted
	budget     int64 // KiB
	waiting    atomic.Int64
	maxWaiting int64
	maxWait    time.Duration
	// held, when set (tests only), runs the hash in place of run: it sees
	// every hash while the memory is held.
	held func(hash func())
}

func newHashGate(budgetBytes int64, p PasswordParams, cpus, queue int, wait time.Duration) *hashGate {
	budget := max(budgetBytes/1024, int64(p.Memory))
	slots := max(budget/int64(p.Memory), 1)
	if c := int64(max(2*cpus, 2)); slots > c {
		slots, budget = c, c*int64(p.Memory)
	}
	if queue == 0 {
		queue = int(16 * slots)
	}
	return &hashGate{sem: semaphore.NewWeighted(budget), budget: budget, maxWaiting: int64(max(queue, 0)), maxWait: wait}
}

// busy is what a caller hears when the gate is full.
var errPasswordBusy = &kobo.Error{Code: kobo.EUNAVAILABLE, RetryAfter: 2 * time.Second,
	Message: "kobo is checking too many passwords at once; retry in a few seconds"}

// run runs fn holding memKiB of the budget (all of it, at most).
func (g *hashGate) run(ctx context.Context, memKiB uint32, fn func()) error {
	w := min(int64(memKiB), g.budget)
	if !g.sem.TryAcquire(w) {
		if g.waiting.Add(1) > g.maxWaiting {
			g.waiting.Add(-1)
			return errPasswordBusy
		}
		// real time, not the service clock: this waits for CPU, not for
		// anything the business rules schedule
		wctx, cancel := context.WithTimeout(ctx, g.maxWait)
		err := g.sem.Acquire(wctx, w)
		cancel()
		g.waiting.Add(-1)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return errPasswordBusy
		}
	}
	defer g.sem.Release(w)
	if g.held != nil {
		g.held(fn)
		return nil
	}
	fn()
	return nil
}

// hash hashes pw under the gate.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	var out string
	err := s.gate.run(ctx, s.pw.Memory, func() { out = hashPassword(pw, s.pw) })
	return out, err
}

// verify checks pw against encoded under the gate; a malformed hash is a
// mismatch.
func (s *Service) verify(ctx context.Context, pw, encoded string) (bool, error) {
	h, ok := parseHash(encoded)
	if !ok {
		return false, nil
	}
	var match bool
	err := s.gate.run(ctx, h.p.Memory, func() { match = h.verify(pw) })
	return match, err
}
