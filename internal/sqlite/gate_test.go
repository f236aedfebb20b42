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
// background work still gets about bgShare of the writer's time, whether
// its turns are as short as a request's or much longer.
func TestWriteGateFairShare(t *testing.T) {
	for _, bgHold := range []time.Duration{200 * time.Microsecond, 3 * time.Millisecond} {
		g := newWriteGate()
		ctx := context.Background()
		var mu sync.Mutex
		var bgTime time.Duration
		stop := make(chan struct{})
		var wg sync.WaitGroup
		worker := func(background bool, hold time.Duration) {
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
				t0 := time.Now()
				time.Sleep(hold)
				if background {
					mu.Lock()
					bgTime += time.Since(t0)
					mu.Unlock()
				}
				g.leave()
			}
		}
		for i := 0; i < 4; i++ { // more requesters than ever leave the gate idle
			wg.Add(1)
			go worker(false, 200*time.Microsecond)
		}
		wg.Add(1)
		go worker(true, bgHold)
		start := time.Now()
		time.Sleep(600 * time.Millisecond)
		close(stop)
		wg.Wait()
		share := float64(bgTime) / float64(time.Since(start))
		t.Logf("background turns of %v: %.1f%% of the writer's time", bgHold, 100*share)
		if share < bgShare/2 || share > 3*bgShare {
			t.Errorf("background turns of %v held the writer %.0f%% of the time; want about %.0f%%", bgHold, 100*share, 100*bgShare)
		}
	}
}
