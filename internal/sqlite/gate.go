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
// Background work runs whenever no request is waiting, and under a
// sustained stream of requests it still gets every fairShare-th turn, so
// webhooks and syncs keep moving (each background transaction is short,
// so a request waits for at most one of them).
type writeGate struct {
	mu        sync.Mutex
	cond      *sync.Cond
	busy      bool
	waiting   int // interactive writers waiting
	bgWaiting int // background writers waiting
	streak    int // interactive turns taken while background work waited
}

// fairShare: one turn in this many goes to waiting background work.
const fairShare = 4

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
	if background {
		g.bgWaiting++
		defer func() { g.bgWaiting-- }()
	} else {
		g.waiting++
		defer func() { g.waiting-- }()
	}
	for g.busy || g.yield(background) {
		if err := ctx.Err(); err != nil {
			return err
		}
		g.cond.Wait()
	}
	g.busy = true
	if background {
		g.streak = 0
	} else if g.bgWaiting > 0 {
		g.streak++
	}
	return nil
}

// yield reports whether a writer must let the other kind go first: a
// background writer while requests wait (until they have had their
// share), a request when background work has waited out its share.
func (g *writeGate) yield(background bool) bool {
	owed := g.bgWaiting > 0 && g.streak >= fairShare-1
	if background {
		return g.waiting > 0 && !owed
	}
	return owed
}

func (g *writeGate) leave() {
	g.mu.Lock()
	g.busy = false
	g.cond.Broadcast()
	g.mu.Unlock()
}
