package sqlite

import (
	"context"
	"testing"
	"time"
)

// TestWriteGate: while the writer is busy, a waiting request goes before
// waiting background work, and a waiter whose context ends gives up.
func TestWriteGate(t *testing.T) {
	g := newWriteGate()
	if err := g.enter(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 2)
	go func() { _ = g.enter(context.Background(), true); order <- "background"; g.leave() }()
	time.Sleep(20 * time.Millisecond) // the background waiter is queued first
	go func() {
		_ = g.enter(context.Background(), false)
		order <- "request"
		time.Sleep(5 * time.Millisecond)
		g.leave()
	}()
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := g.enter(ctx, false); err == nil {
		t.Fatal("entered a busy gate")
	}
	g.leave()
	if first, second := <-order, <-order; first != "request" || second != "background" {
		t.Fatalf("order %s, %s", first, second)
	}
}
