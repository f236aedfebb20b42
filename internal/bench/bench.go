// Package bench owns `kobo bench`: the suites that measure kobo's speed
// targets as ratios against baselines measured in the same run, each
// against real `kobo serve` and `kobo banksim` child processes of the
// running binary. It is a tool, not part of the platform: only cmd/kobo
// (through cli) calls it, and nothing imports it.
package bench

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// benchResult is one measured figure. Where a target is a ratio, Baseline
// is measured in the same run on the same machine, because absolute numbers
// on shared machines drift.
type benchResult struct {
	Suite     string  `json:"suite"`
	Engine    string  `json:"engine,omitempty"` // the store measured (sqlite, postgres); empty for suites without one
	Name      string  `json:"name"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	Baseline  float64 `json:"baseline,omitempty"`
	BaseName  string  `json:"baseline_name,omitempty"`
	Ratio     float64 `json:"ratio,omitempty"`
	Target    string  `json:"target"`
	Pass      bool    `json:"pass"`
	Skipped   bool    `json:"skipped,omitempty"`    // not measured here (the note says why)
	NotJudged bool    `json:"not_judged,omitempty"` // measured, but the run was too short to judge it against the target
	Note      string  `json:"note,omitempty"`
}

type benchOpts struct {
	quick   bool
	loadFor time.Duration // the load suite's duration (0: 5 min, 10 s quick)
	exe     string        // the kobo binary, for cold-start measurements
	// databaseURL is the Postgres server the suites with a store run on
	// (a throwaway database each); empty: SQLite in temporary directories.
	databaseURL string
	out         io.Writer
	// bigUpload is the size of the statements suite's large upload (0:
	// 20 MB, the API's limit; its test uses less)
	bigUpload int
}

type benchSuite struct {
	name  string
	desc  string
	store bool // runs kobo on a store (so on --database-url when given)
	run   func(ctx context.Context, o benchOpts) ([]benchResult, error)
}

func benchSuites() []benchSuite {
	return []benchSuite{
		{"foundation", "cold start, idle RSS, GET /v1/institutions vs hello world", true, benchFoundation},
		{"banksim", "generator rate, connector fetch over loopback, simulator RSS", false, benchBanksim},
		{"connect", "headless connect flows per second, flow latency, first fetch time", true, benchConnect},
		{"data", "pages of 10k- and 1M-row histories vs hello world, latency growth, PDF statement, stream, RSS", true, benchData},
		{"pdfimport", "reading 500- and 3,000-row PDF statements back into rows, vs rendering them", false, benchPDFImport},
		{"ingest", "sync ingest (merge) vs plain INSERT on the same engine", true, benchIngest},
		{"webhooks", "signed webhook deliveries per second, event-to-delivery latency", true, benchWebhooks},
		{"statements", "a 100,000-row CSV statement parsed and checked (vs encoding/csv), the PDF figures, upload to AVAILABLE p99 and peak RSS of a 20 MB upload through the API", false, benchStatements},
		{"widget", "Connect widget in headless Chromium: first paint, bytes shipped, foreign requests", true, benchWidget},
		{"dashboard", "every dashboard page a partner opens daily, timed with an account of 50,000 transactions", true, benchDashboard},
		{"load", "steady mixed workload: throughput, latency, errors, RSS over time", true, benchLoad},
		{"obie", "UK Open Banking: first fetch of 3,000 transactions through banksim's OBIE face over mTLS, answers failing the official spec", false, benchOBIE},
		{"berlingroup", "Berlin Group connector against banksim's face over mTLS: first fetch of 3,000 transactions, responses failing spec validation", false, benchBerlinGroup},
	}
}

// Main runs `kobo bench` with args (without the command name), printing
// progress and results to stdout and usage to stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "shorter runs (the whole set in under a minute)")
	asJSON := fs.Bool("json", false, "print results as JSON")
	loadFor := fs.Duration("load-duration", 0, "how long the load suite runs (default 5m, 10s with --quick; RSS growth is judged on runs of 5m or more)")
	var databaseURL string
	fs.StringVar(&databaseURL, "database-url", "", "run the suites that have a store on PostgreSQL: a throwaway database on this server per kobo process, created and dropped by the bench (default: SQLite in temporary directories; DATABASE_URL and KOBO_* are never inherited)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: kobo bench [--quick] [--json] [--database-url postgres://...] [suite ...]\n\nSuites:")
		for _, s := range benchSuites() {
			fmt.Fprintf(stderr, "  %-12s %s\n", s.name, s.desc)
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	want := fs.Args()
	var results []benchResult
	progress := stderr
	if !*asJSON {
		progress = stdout
	}
	for _, s := range benchSuites() {
		if len(want) > 0 && !slices.Contains(want, s.name) {
			continue
		}
		fmt.Fprintf(progress, "running %s ...\n", s.name)
		o := benchOpts{quick: *quick, loadFor: *loadFor, exe: exe, out: progress, databaseURL: databaseURL}
		rs, err := s.run(ctx, o)
		if err != nil {
			return fmt.Errorf("bench %s: %w", s.name, err)
		}
		if s.store {
			for i := range rs {
				rs[i].Engine = o.engine()
			}
		}
		results = append(results, rs...)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"machine": machine(), "results": results})
	}
	fmt.Fprintf(stdout, "\nmachine: %s\n\n", machine())
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "suite\tengine\tmeasure\tvalue\tbaseline (same run)\tratio\ttarget\tpass")
	for _, r := range results {
		base, ratio := "", ""
		if r.BaseName != "" {
			base = fmt.Sprintf("%s %s", fmtNum(r.Baseline), r.BaseName)
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		value, pass := fmtNum(r.Value)+" "+r.Unit, fmt.Sprint(r.Pass)
		switch {
		case r.Skipped:
			value, pass = "—", "not measured"
		case r.NotJudged:
			pass = "not judged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Suite, cmp.Or(r.Engine, "—"), r.Name, value, base, ratio, r.Target, pass)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// what a figure alone does not say: latencies, the run's shape, why
	// something was not measured
	fmt.Fprintln(stdout)
	for _, r := range results {
		if r.Note != "" {
			fmt.Fprintf(stdout, "%s, %s: %s\n", r.Suite, r.Name, r.Note)
		}
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

func fmtNum(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// machine describes where the figures were measured.
func machine() string {
	cpu := "unknown cpu"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s/%s, %s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// loadResult is what a closed-loop load run measured.
type loadResult struct {
	Requests  int
	Errors    int
	Duration  time.Duration
	Latencies []time.Duration // sampled
}

func (l loadResult) RPS() float64 { return float64(l.Requests) / l.Duration.Seconds() }

func (l loadResult) Percentile(p float64) time.Duration {
	if len(l.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(l.Latencies)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// load runs conc closed-loop clients against url for d, each reusing its
// connection, counting non-2xx/3xx as errors. The clients send
// Accept-Encoding: gzip as every mainstream HTTP client does.
func load(ctx context.Context, url string, conc int, d time.Duration, header http.Header) loadResult {
	tr := &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var reqs, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for n := 0; ctx.Err() == nil; n++ {
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				for k, v := range header {
					req.Header[k] = v
				}
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 400 {
					errs.Add(1)
				}
				reqs.Add(1)
				if n%8 == 0 {
					local = append(local, time.Since(t0))
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return loadResult{Requests: int(reqs.Load()), Errors: int(errs.Load()), Duration: time.Since(start), Latencies: lat}
}

// helloWorld serves the baseline: the cheapest possible net/http handler.
func helloWorld() (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("hello, world\n"))
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// startProcess runs "kobo serve" as a child on free ports and returns its
// API URL when the banner appears.
func startProcess(ctx context.Context, exe string, args []string, extraEnv []string) (cmd *exec.Cmd, api string, err error) {
	cmd = exec.CommandContext(ctx, exe, args...)
	// one load generator on one address: the rate limits would measure themselves
	cmd.Env = childEnv(append([]string{"KOBO_RATE_LIMIT_PER_IP=0", "KOBO_RATE_LIMIT_PER_KEY=0"}, extraEnv...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	stderr := &tail{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && strings.HasPrefix(sc.Text(), "  API") {
			api = f[len(f)-1]
			go io.Copy(io.Discard, stdout)
			return cmd, api, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, "", fmt.Errorf("kobo serve exited before it was ready: %s", stderr)
}

// tail keeps the last 8 KiB written to it: a child's stderr, shown when
// it fails to start.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 8<<10; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := strings.TrimSpace(string(t.buf)); s != "" {
		return "stderr:\n" + s
	}
	return "(nothing on stderr)"
}

// rssKB reads a process's resident set size.
func rssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

func benchFoundation(ctx context.Context, o benchOpts) ([]benchResult, error) {
	var out []benchResult
	// Cold start: a fresh process on an empty SQLite directory, timed from
	// exec to the first 200 from /readyz. Median of several starts.
	runs := 5
	if o.quick {
		runs = 3
	}
	var starts []time.Duration
	var rss int
	for i := 0; i < runs; i++ {
		dir, err := os.MkdirTemp("", "kobo-bench-")
		if err != nil {
			return nil, err
		}
		senv, dropDB, err := storeEnv(ctx, o)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		t0 := time.Now()
		cmd, api, err := startProcess(ctx, o.exe, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "", "--data-dir", filepath.Join(dir, "data")}, senv)
		if err != nil {
			os.RemoveAll(dir)
			dropDB()
			return nil, err
		}
		for {
			res, err := http.Get(api + "/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		starts = append(starts, time.Since(t0))
		if i == 0 {
			// idle RSS: after serving a catalog request, with the process left alone
			if res, err := http.Get(api + "/v1/institutions"); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			time.Sleep(2 * time.Second)
			rss, _ = rssKB(cmd.Process.Pid)
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		os.RemoveAll(dir)
		dropDB()
	}
	slices.Sort(starts)
	cold := starts[len(starts)/2]
	out = append(out,
		benchResult{Suite: "foundation", Name: fmt.Sprintf("cold start to ready (empty %s, median)", map[string]string{"sqlite": "SQLite dir", "postgres": "Postgres database, migrations included"}[o.engine()]), Value: float64(cold.Microseconds()) / 1000, Unit: "ms", Target: "< 300 ms", Pass: cold < 300*time.Millisecond},
		benchResult{Suite: "foundation", Name: "idle RSS", Value: float64(rss) / 1024, Unit: "MB", Target: "< 40 MB", Pass: rss > 0 && rss < 40*1024},
	)

	// Throughput: GET /v1/institutions against a hello-world handler, same
	// load generator, same machine, same run.
	dir, err := os.MkdirTemp("", "kobo-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	senv, dropDB, err := storeEnv(ctx, o)
	if err != nil {
		return nil, err
	}
	defer dropDB()
	cmd, api, err := startProcess(ctx, o.exe, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "", "--data-dir", dir, "--log-level", "warn"}, senv)
	if err != nil {
		return nil, err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	hello, stop, err := helloWorld()
	if err != nil {
		return nil, err
	}
	defer stop()
	d := 4 * time.Second
	if o.quick {
		d = 1500 * time.Millisecond
	}
	conc := 32
	load(ctx, hello, conc, d/4, nil) // warm both up
	load(ctx, api+"/v1/institutions", conc, d/4, nil)
	base := load(ctx, hello, conc, d, nil)
	got := load(ctx, api+"/v1/institutions", conc, d, nil)
	ratio := got.RPS() / base.RPS()
	out = append(out, benchResult{Suite: "foundation", Name: fmt.Sprintf("GET /v1/institutions throughput (%d clients)", conc),
		Value: got.RPS(), Unit: "req/s", Baseline: base.RPS(), BaseName: "req/s hello world", Ratio: ratio, Target: "≥ 0.50",
		Pass: ratio >= 0.5 && got.Errors == 0, Note: fmt.Sprintf("p50 %v p99 %v, errors %d", got.Percentile(.5), got.Percentile(.99), got.Errors)})
	return out, nil
}
