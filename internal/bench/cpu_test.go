package bench

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// TestProcCPUReadsThisProcess: the CPU figures of the webhooks suite come
// from /proc/<pid>/stat; a parse that went wrong would report zero and
// drop the note, so this burns CPU and expects to see it.
func TestProcCPUReadsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	// busy until the kernel's count moves (it ticks every 10 ms of CPU);
	// a parse that reads the wrong fields never sees it move
	before := procCPU(os.Getpid())
	for t0 := time.Now(); procCPU(os.Getpid()) <= before; {
		if time.Since(t0) > time.Minute {
			t.Fatalf("a minute busy and the CPU time read has not grown from %v", before)
		}
	}
	if procCPU(-1) != 0 {
		t.Fatal("no such process, yet a CPU time")
	}
}
