package statementimport

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Speed: a 6-month, 500-row statement (target under 300 ms) and a
// 12-month, 3,000-row one (target under 1 s), drawn as GTBank draws them
// (landscape, eight columns, wrapped remarks). BenchmarkPDFPeakHeap
// reports the largest heap seen while parsing the larger one, sampled
// every millisecond (apart, because sampling stops the world).
func BenchmarkPDFParse500Rows6Months(b *testing.B)   { benchPDF(b, 500, 6) }
func BenchmarkPDFParse3000Rows12Months(b *testing.B) { benchPDF(b, 3000, 12) }

func benchPDF(b *testing.B, rows, months int) {
	fx := makeFx(fxBanks()["gtbank"], rows, months, 1)
	data := fx.render(b, fxOpts{})
	p := NewPDFParser()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		st, err := p.Parse(context.Background(), bytes.NewReader(data), int64(len(data)), Options{})
		if err != nil || len(st.Rows) != rows {
			b.Fatalf("%v, %d rows", err, len(st.Rows))
		}
	}
	// the machine is shared, so wall time per op overstates the work when
	// others are busy; CPU time per op (all threads, GC included) does not
	b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(len(data))/(1<<10), "file-KB")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkPDFPeakHeap3000Rows(b *testing.B) {
	fx := makeFx(fxBanks()["gtbank"], 3000, 12, 1)
	data := fx.render(b, fxOpts{})
	p := NewPDFParser()
	var peak uint64
	for i := 0; i < b.N; i++ {
		var err error
		pk := peakHeap(func() {
			_, err = p.Parse(context.Background(), bytes.NewReader(data), int64(len(data)), Options{})
		})
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, pk)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// peakHeap runs f and samples the live heap while it runs.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peak uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak {
				peak = m.HeapAlloc - base
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak
}
