package banksim

import (
	"context"
	"testing"
	"time"
)

// TestFaultsDelay: no latency answers at once, a latency is waited out,
// and a client that gives up ends the wait without an answer.
func TestFaultsDelay(t *testing.T) {
	if !(Faults{}).Delay(context.Background()) {
		t.Error("no latency: false")
	}
	t0 := time.Now()
	if !(Faults{Latency: 20}).Delay(context.Background()) || time.Since(t0) < 20*time.Millisecond {
		t.Errorf("latency 20ms: returned after %v", time.Since(t0))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if (Faults{Latency: 60_000}).Delay(ctx) {
		t.Error("a cancelled client was answered")
	}
}
