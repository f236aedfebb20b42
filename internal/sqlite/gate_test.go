package sqlite

import (
	"context"
	"sync"
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

// TestWriteGateFairShare: under a steady stream of requests, waiting
// background work still gets one turn in fairShare.
func TestWriteGateFairShare(t *testing.T) {
	g := newWriteGate()
	ctx := context.Background()
	var mu sync.Mutex
	var turns []bool // true: background
	stop := make(chan struct{})
	var wg sync.WaitGroup
	worker := func(background bool) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := g.enter(ctx, background); err != nil {
				return
			}
			mu.Lock()
			turns = append(turns, background)
			mu.Unlock()
			time.Sleep(100 * time.Microsecond)
			g.leave()
		}
	}
	for i := 0; i < 4; i++ { // more requesters than ever leave the gate idle
		wg.Add(1)
		go worker(false)
	}
	wg.Add(1)
	go worker(true)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	bg := 0
	for _, b := range turns {
		if b {
			bg++
		}
	}
	if n := len(turns); bg < n/(fairShare*2) || bg > n/2 {
		t.Fatalf("background took %d of %d turns; want about one in %d", bg, n, fairShare)
	}
}
