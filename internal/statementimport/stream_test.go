package statementimport

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// stream reads a file with Reader.Stream, collecting the rows.
func stream(t testing.TB, name string, data []byte, opts Options) (*Statement, []Row, error) {
	t.Helper()
	var rows []Row
	st, err := Reader{Parsers: Structured()}.Stream(context.Background(), bytes.NewReader(data), int64(len(data)), name, opts, func(r *Row) error {
		rows = append(rows, *r)
		return nil
	})
	return st, rows, err
}

// Streaming a file hands over the rows Read keeps, in file order, and the
// same statement around them.
func TestStreamMatchesRead(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			data := fx.data(t)
			want, err := read(t, fx.file, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			st, rows, err := stream(t, fx.file, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Rows != nil {
				t.Fatalf("the streamed statement kept %d rows", len(st.Rows))
			}
			if st.NewestFirst {
				slices.Reverse(rows)
			}
			st.NewestFirst = false
			if !reflect.DeepEqual(rows, want.Rows) {
				t.Fatalf("streamed rows differ:\n%+v\nwant\n%+v", rows, want.Rows)
			}
			st.Rows = want.Rows
			if !reflect.DeepEqual(st, want) {
				t.Fatalf("streamed statement %+v; want %+v", st, want)
			}
		})
	}
}

// A wrapped narration line reaches the row it belongs to before the row is
// handed over, and a newest-first export streams newest first.
func TestStreamWrappedAndNewestFirst(t *testing.T) {
	data := []byte("Date,Narration,Debit,Credit,Balance\n03/12/2025,POS,100.00,,800.00\n,AT SHOPRITE,,,\n01/12/2025,SALARY,,1000.00,900.00\n")
	st, rows, err := stream(t, "x.csv", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !st.NewestFirst || len(rows) != 2 || rows[0].Narration != "POS AT SHOPRITE" || rows[1].Narration != "SALARY" {
		t.Fatalf("rows %+v", rows)
	}
}

// A file the reader refuses part way stops the stream with the same
// error, and an error from yield stops the read.
func TestStreamErrors(t *testing.T) {
	data := []byte("Date,Narration,Debit,Credit,Balance\n01/12/2025,A,1.00,,9.00\n02/12/2025,B,1.00,,8.00\n03/12/2025,C,1.00,,7.00\n")
	_, _, errStream := stream(t, "x.csv", data, Options{MaxRows: 2})
	_, errRead := read(t, "x.csv", data, Options{MaxRows: 2})
	if errStream == nil || errRead == nil || errStream.Error() != errRead.Error() {
		t.Fatalf("stream: %v; read: %v", errStream, errRead)
	}
	stop := errors.New("stop")
	n := 0
	_, err := Reader{Parsers: Structured()}.Stream(context.Background(), bytes.NewReader(SampleCSV(100)), int64(len(SampleCSV(100))), "x.csv", Options{}, func(*Row) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("err %v after %d rows", err, n)
	}
}

// Streaming a 20 MB export holds one row, not 330,000: the heap in use
// while the rows go by stays far under what the rows themselves take.
func TestStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	data := bigCSV(330_000)
	runtime.GC()
	var m0, m runtime.MemStats
	runtime.ReadMemStats(&m0)
	var peak uint64
	n := 0
	st, err := Reader{Parsers: Structured()}.Stream(context.Background(), bytes.NewReader(data), int64(len(data)), "big.csv", Options{}, func(*Row) error {
		if n++; n%50_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc-min(m.HeapAlloc, m0.HeapAlloc))
		}
		return nil
	})
	if err != nil || n != 330_000 || st.AccountNumber != "0123456789" {
		t.Fatalf("%d rows, %v", n, err)
	}
	// the 330,000 rows held whole are about 50 MB
	if peak > 4<<20 {
		t.Fatalf("%d MB live while streaming", peak>>20)
	}
}

// FuzzCSVStream: for any input, streaming and reading whole agree.
func FuzzCSVStream(f *testing.F) {
	for _, s := range seedsOf(FormatCSV) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxRows: 5000}
		want, errRead := CSV{}.Parse(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
		var rows []Row
		st, errStream := CSV{}.parseStream(context.Background(), bytes.NewReader(data), int64(len(data)), opts, func(r *Row) error {
			rows = append(rows, *r)
			return nil
		})
		if (errRead == nil) != (errStream == nil) || (errRead != nil && errRead.Error() != errStream.Error()) {
			t.Fatalf("read: %v; stream: %v", errRead, errStream)
		}
		if errRead != nil {
			return
		}
		if st.NewestFirst {
			slices.Reverse(rows)
		}
		if !slices.EqualFunc(rows, want.Rows, func(a, b Row) bool { return reflect.DeepEqual(a, b) }) {
			t.Fatalf("streamed %+v; want %+v", rows, want.Rows)
		}
		if st.Opening != nil != (want.Opening != nil) || st.AccountNumber != want.AccountNumber {
			t.Fatalf("statement differs: %+v vs %+v", st, want)
		}
	})
}

// The checker keeps a streamed export's rows in blocks: adding 330,000
// rows allocates about their size once (a slice grown by append allocated
// five times it, 140 MB, on the way).
func TestCheckerAllocatesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	const n = 330_000
	bal := int64(0)
	row := Row{Narration: "POS PURCHASE", Reference: "R1", Balance: &bal}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c := NewChecker()
	for i := range n {
		row.Line = i + 1
		c.Add(&row)
	}
	runtime.ReadMemStats(&m1)
	size := uint64(n) * uint64(unsafe.Sizeof(checkRow{}))
	if got := m1.TotalAlloc - m0.TotalAlloc; got > size*5/4 {
		t.Fatalf("adding %d rows allocated %d MB; they take %d MB", n, got>>20, size>>20)
	}
	runtime.KeepAlive(c)
}

// Two rows a few centuries apart are not repeats of each other (the
// date's nanoseconds since 1970 wrap outside 1678–2262).
func TestDuplicateFarDates(t *testing.T) {
	bal := int64(100)
	a := Row{Date: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), Narration: "X", Debit: 1, Balance: &bal, Line: 1}
	b := a
	b.Date, b.Line = a.Date.Add(time.Duration(1<<63-1)).Add(time.Duration(1<<63-1)).Add(2*time.Nanosecond), 2
	if a.Date.UnixNano() != b.Date.UnixNano() || a.Date.Equal(b.Date) {
		t.Fatal("the test's premise is gone: the two dates no longer share one UnixNano")
	}
	checks, _, _ := Verify(&Statement{Rows: []Row{a, b}})
	for _, c := range checks {
		if c.Name == "duplicate_rows" && !c.Passed {
			t.Fatalf("rows of %s and %s taken for repeats: %s", a.Date, b.Date, c.Detail)
		}
	}
}
