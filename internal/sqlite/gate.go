package sqlite

import (
	"context"
	"sync"
	"time"
)

// writeGate orders access to SQLite's single writer. Requests that someone
// is waiting on (an API call, a dashboard click) go before background work
// (first fetches writing thousands of transactions, webhook bookkeeping,
// the request log): without it a connect flow's four small writes queue
// behind every job's batch, and their latency is the sum of the queue.
// Background work runs whenever no request is waiting; under a sustained
// stream of requests it still gets a bounded share of the writer's time
// (bgShare), so webhooks and syncs keep moving. The share is of time, not
// turns: a first fetch's batch holds the writer a hundred times longer
// than a request does, and counting turns would hand it most of the time.
type writeGate struct {
	mu  sync.Mutex
	now func() time.Time

	busy     bool
	holderBg bool      // the current holder is background work
	since    time.Time // when the current holder entered
	fg, bg   []*gateWaiter

	lastBgEnd      time.Time // when background work last left
	lastBgHeld     time.Duration
	bgWaitingSince time.Time // since when background work has waited behind requests
}

// gateWaiter is one writer in line; the gate is handed to it by closing
// ready, so a release wakes exactly the writer that goes next.
type gateWaiter struct {
	ready chan struct{}
	bg    bool
}

// bgShare is the least share of the writer's time background work gets
// while requests keep it busy: after holding it for d, background work
// waits (1/bgShare - 1)·d before it may go ahead of requests again.
const bgShare = 0.1

// bgMaxWait bounds how long background work waits behind requests even
// after a long turn, so it is never starved for long.
const bgMaxWait = time.Second

func newWriteGate() *writeGate { return &writeGate{now: time.Now} }

// enter waits for the writer; it gives up when ctx ends.
func (g *writeGate) enter(ctx context.Context, background bool) error {
	g.mu.Lock()
	if !g.busy && len(g.fg) == 0 && len(g.bg) == 0 {
		g.take(background)
		g.mu.Unlock()
		return nil
	}
	w := &gateWaiter{ready: make(chan struct{}), bg: background}
	if background {
		if len(g.bg) == 0 {
			g.bgWaitingSince = g.now()
		}
		g.bg = append(g.bg, w)
	} else {
		g.fg = append(g.fg, w)
	}
	g.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	if g.drop(w) {
		g.mu.Unlock()
		return ctx.Err()
	}
	g.mu.Unlock()
	// handed the gate as ctx ended: pass it on
	<-w.ready
	g.leave()
	return ctx.Err()
}

// take makes the caller the holder; g.mu is held.
func (g *writeGate) take(background bool) {
	g.busy, g.holderBg, g.since = true, background, g.now()
}

// drop removes w from its line; false if it was already handed the gate.
func (g *writeGate) drop(w *gateWaiter) bool {
	line := &g.fg
	if w.bg {
		line = &g.bg
	}
	for i, x := range *line {
		if x == w {
			*line = append((*line)[:i], (*line)[i+1:]...)
			return true
		}
	}
	return false
}

// owed reports whether waiting background work may go ahead of requests:
// it has waited out the rest its last turn earned, or bgMaxWait.
func (g *writeGate) owed() bool {
	now := g.now()
	rest := time.Duration(float64(g.lastBgHeld) * (1/bgShare - 1))
	return now.Sub(g.lastBgEnd) >= rest || now.Sub(g.bgWaitingSince) >= bgMaxWait
}

func (g *writeGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holderBg {
		g.lastBgEnd = g.now()
		g.lastBgHeld = g.lastBgEnd.Sub(g.since)
		g.bgWaitingSince = g.lastBgEnd
	}
	var next *gateWaiter
	switch {
	case len(g.bg) > 0 && (len(g.fg) == 0 || g.owed()):
		next, g.bg = g.bg[0], g.bg[1:]
	case len(g.fg) > 0:
		next, g.fg = g.fg[0], g.fg[1:]
	default:
		g.busy = false
		return
	}
	g.take(next.bg)
	close(next.ready)
}
