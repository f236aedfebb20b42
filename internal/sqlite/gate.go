package sqlite

import (
	"context"
	"sync"
)

// writeGate orders access to SQLite's single writer. Requests that someone
// is waiting on (an API call, a dashboard click) go before background work
// (first fetches writing thousands of transactions, webhook bookkeeping,
// the request log): without it a connect flow's four small writes queue
// behind every job's batch, and their latency is the sum of the queue.
// Background work still runs whenever no request is waiting, and each
// background transaction is short, so nothing starves for long.
type writeGate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	busy    bool
	waiting int // interactive writers waiting
}

func newWriteGate() *writeGate {
	g := &writeGate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter waits for the writer; it gives up when ctx ends.
func (g *writeGate) enter(ctx context.Context, background bool) error {
	stop := context.AfterFunc(ctx, func() {
		g.mu.Lock()
		g.cond.Broadcast()
		g.mu.Unlock()
	})
	defer stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !background {
		g.waiting++
		defer func() { g.waiting-- }()
	}
	for g.busy || (background && g.waiting > 0) {
		if err := ctx.Err(); err != nil {
			return err
		}
		g.cond.Wait()
	}
	g.busy = true
	return nil
}

func (g *writeGate) leave() {
	g.mu.Lock()
	g.busy = false
	g.cond.Broadcast()
	g.mu.Unlock()
}
