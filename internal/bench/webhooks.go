package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// hookSink counts webhook deliveries, how long after the event each first
// arrived, and whether each account's first deliveries arrived in event
// order.
type hookSink struct {
	n     atomic.Int64
	mu    sync.Mutex
	lag   []time.Duration
	seen  map[string]bool
	last  map[string]time.Time // account → latest event time delivered
	order int                  // first deliveries older than one already delivered for their account
	addr  string
	close func()
}

func newHookSink() (*hookSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hookSink{seen: map[string]bool{}, last: map[string]time.Time{}, addr: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		h.n.Add(1)
		var ev struct {
			EventID   string `json:"event_id"`
			Timestamp string `json:"timestamp"`
			Data      struct {
				Account struct {
					ID string `json:"_id"`
				} `json:"account"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &ev) == nil && ev.EventID != "" {
			if at, err := time.Parse(time.RFC3339Nano, ev.Timestamp); err == nil {
				h.mu.Lock()
				if !h.seen[ev.EventID] {
					h.seen[ev.EventID] = true
					h.lag = append(h.lag, now.Sub(at))
					// the timestamp has millisecond resolution: events of
					// one account within a millisecond are not judged
					if acct := ev.Data.Account.ID; acct != "" {
						if at.Before(h.last[acct]) {
							h.order++
						} else {
							h.last[acct] = at
						}
					}
				}
				h.mu.Unlock()
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	h.close = func() { srv.Close() }
	return h, nil
}

// takeLag returns the lags recorded since the last call and forgets them.
func (h *hookSink) takeLag() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.lag
	h.lag = nil
	return l
}

func (h *hookSink) outOfOrder() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.order
}

// waitFor waits until the sink has had n POSTs in all.
func (h *hookSink) waitFor(n int64, limit time.Duration) error {
	t0 := time.Now()
	for h.n.Load() < n {
		if time.Since(t0) > limit {
			return fmt.Errorf("only %d of %d webhooks arrived in %v", h.n.Load(), n, limit)
		}
		time.Sleep(200 * time.Microsecond)
	}
	return nil
}

// plainPosts is the receiver's own capacity: plain POSTs for d from 16
// clients, the concurrency kobo allows one app.
func plainPosts(client *http.Client, url string, d time.Duration) float64 {
	var sent atomic.Int64
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(t0) < d {
				res, err := client.Post(url, "application/json", strings.NewReader(`{"event":"x"}`))
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					sent.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(sent.Load()) / time.Since(t0).Seconds()
}

// profileChild saves a CPU profile of the child under the bench's
// KOBO_BENCH_ADMIN_ADDR into KOBO_BENCH_PROFILE_DIR, if both are set: what
// a figure costs, taken while it is measured. It returns at once.
func profileChild(name string, d time.Duration) {
	addr, dir := os.Getenv("KOBO_BENCH_ADMIN_ADDR"), os.Getenv("KOBO_BENCH_PROFILE_DIR")
	if addr == "" || dir == "" {
		return
	}
	go func() {
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(1, int(d.Seconds()))))
		if err != nil {
			return
		}
		defer res.Body.Close()
		if f, err := os.Create(filepath.Join(dir, name+".prof")); err == nil {
			io.Copy(f, res.Body)
			f.Close()
		}
	}()
}

// fire records n events through the sandbox fire endpoint from 16
// clients, round robin over the accounts, and returns how long it took.
func (k *benchKobo) fire(ids []string, n int) (time.Duration, error) {
	var mu sync.Mutex
	var firstErr error
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// client w fires on accounts w, w+16, ...: one account's events
			// are recorded one after another, so their timestamps are in
			// their order (the sink checks the order by them)
			for i := w; i < n; i += 16 {
				if _, err := k.fireOne(ids[(w+16*(i/16))%len(ids)]); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(t0), firstErr
}

func (k *benchKobo) fireOne(account string) (int, error) {
	return k.call("POST", "/v2/sandbox/accounts/"+account+"/webhooks/fire", k.sk, map[string]string{"event": "mono.events.account_updated"}, nil)
}

// pauseWebhooks holds the app's deliveries back by marking its endpoint
// disabled in the database, as kobo does after days of failures, so a
// backlog builds up; resumeWebhooks re-enables it through the partner API,
// which wakes the dispatcher. The database is the bench's own (a SQLite
// file in the child's directory or the throwaway Postgres database).
func (k *benchKobo) pauseWebhooks(ctx context.Context) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if u := k.databaseURL(); u != "" {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `UPDATE apps SET webhook_failing_since = $1, webhook_disabled_at = $1 WHERE id = $2`, now, k.appID)
		return err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(k.dir, "kobo.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `UPDATE apps SET webhook_failing_since = ?1, webhook_disabled_at = ?1 WHERE id = ?2`, now.UnixMicro(), k.appID)
	return err
}

func (k *benchKobo) resumeWebhooks() error {
	_, err := k.call("POST", "/v1/apps/"+k.appID+"/webhooks/enable", k.auth, nil, nil)
	return err
}

func (k *benchKobo) databaseURL() string {
	for _, kv := range k.storeEnv {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			return v
		}
	}
	return ""
}

// replica starts another `kobo serve` on k's database (Postgres only): its
// own data directory and replica id, the same master key.
func (k *benchKobo) replica(ctx context.Context, n int) (pid int, stop func(), err error) {
	dir, err := os.MkdirTemp("", "kobo-bench-replica-")
	if err != nil {
		return 0, nil, err
	}
	args := slices.Clone(k.args)
	for i := range args {
		if args[i] == "--data-dir" && i+1 < len(args) {
			args[i+1] = dir
		}
		if args[i] == "--admin-addr" && i+1 < len(args) {
			args[i+1] = "" // KOBO_BENCH_ADMIN_ADDR profiles the first one
		}
	}
	args = append(args, "--replica-id", fmt.Sprintf("bench-%d", n))
	var cmd *exec.Cmd
	if cmd, _, err = startProcess(ctx, k.exe, args, k.storeEnv); err != nil {
		os.RemoveAll(dir)
		return 0, nil, err
	}
	return cmd.Process.Pid, func() { cmd.Process.Signal(os.Interrupt); cmd.Wait(); os.RemoveAll(dir) }, nil
}

// drained is what draining a backlog measured.
type drained struct {
	rate, fireRate float64 // deliveries/s, and events/s recorded through the API
	// CPU time per delivery of the kobo processes (pids) and of the
	// Postgres backends serving their database (zero on SQLite, or when
	// the server is not on this machine): what bounds the rate on a
	// machine of few cores
	koboCPU, pgCPU time.Duration
}

func (d drained) cpuNote() string {
	if d.koboCPU == 0 {
		return ""
	}
	s := fmt.Sprintf("CPU per delivery: kobo %v", d.koboCPU.Round(time.Microsecond))
	if d.pgCPU > 0 {
		s += fmt.Sprintf(", Postgres backends %v", d.pgCPU.Round(time.Microsecond))
	}
	return s
}

// drain fires n events with the endpoint paused, resumes it and times the
// backlog's delivery: the dispatchers' capacity, whatever the API's rate of
// recording events. pids are the kobo processes delivering.
func (k *benchKobo) drain(ctx context.Context, sink *hookSink, ids []string, n int, pids ...int) (drained, error) {
	if err := k.pauseWebhooks(ctx); err != nil {
		return drained{}, fmt.Errorf("pause webhooks: %w", err)
	}
	before := sink.n.Load()
	took, err := k.fire(ids, n)
	if err != nil {
		return drained{}, err
	}
	if got := sink.n.Load() - before; got != 0 {
		return drained{}, fmt.Errorf("%d webhooks went out while the endpoint was paused", got)
	}
	sink.takeLag()
	profileChild("webhooks-drain", time.Duration(float64(n)/500*float64(time.Second))) // about the drain at today's rate
	cpu0 := sampleCPU(ctx, k.databaseURL(), pids...)
	t0 := time.Now()
	if err := k.resumeWebhooks(); err != nil {
		return drained{}, err
	}
	if err := sink.waitFor(before+int64(n), 2*time.Minute); err != nil {
		return drained{}, err
	}
	took2 := time.Since(t0)
	kc, pc := sampleCPU(ctx, k.databaseURL(), pids...).since(cpu0)
	sink.takeLag()
	return drained{rate: float64(n) / took2.Seconds(), fireRate: float64(n) / took.Seconds(), koboCPU: kc / time.Duration(n), pgCPU: pc / time.Duration(n)}, nil
}

// steady fires events at rate for d (each on its own goroutine, so a slow
// answer does not lower the rate), waits for them, and returns the
// event-to-first-delivery lags.
func (k *benchKobo) steady(sink *hookSink, ids []string, rate float64, d time.Duration) ([]time.Duration, int, error) {
	sink.takeLag()
	before := sink.n.Load()
	var wg sync.WaitGroup
	var errs atomic.Int64
	n := int(rate * d.Seconds())
	// one account's fires one after another (see fire)
	locks := make([]sync.Mutex, len(ids))
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if wait := time.Until(t0.Add(time.Duration(float64(i) / rate * float64(time.Second)))); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			locks[i%len(ids)].Lock()
			defer locks[i%len(ids)].Unlock()
			if _, err := k.fireOne(ids[i%len(ids)]); err != nil {
				errs.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if err := sink.waitFor(before+int64(n)-errs.Load(), time.Minute); err != nil {
		return nil, n, err
	}
	if errs.Load() > 0 {
		return nil, n, fmt.Errorf("%d of %d fires failed", errs.Load(), n)
	}
	return sink.takeLag(), n, nil
}

// benchWebhooks: events recorded through the sandbox fire endpoint and
// delivered (signed, logged, at least once, in order per account) to a
// local receiver, against the same receiver taking plain POSTs from a Go
// client in the same run. The dispatcher's capacity is measured on a
// backlog (recorded while the endpoint was paused), apart from the rate at
// which the API records events; the latency target at half of what the
// whole path (recording and delivering) sustains. On Postgres, three
// replicas drain a backlog against one.
func benchWebhooks(ctx context.Context, o benchOpts) ([]benchResult, error) {
	sink, err := newHookSink()
	if err != nil {
		return nil, err
	}
	defer sink.close()
	k, err := startBenchKobo(ctx, o, sink.addr+"/hooks")
	if err != nil {
		return nil, err
	}
	defer k.stop()
	gt, err := k.institution("GTBank")
	if err != nil {
		return nil, err
	}
	ids, err := k.linkAvailable(gt, "user_good", 32) // deliveries keep per-account order, so spread events over accounts
	if err != nil {
		return nil, err
	}
	// the links' own events (account_connected, account_updated) first
	for last := int64(-1); sink.n.Load() != last; time.Sleep(500 * time.Millisecond) {
		last = sink.n.Load()
	}
	total := 4000
	steadyFor := 5 * time.Second
	if o.quick {
		total, steadyFor = 1500, 2*time.Second
	}
	baseFor := 2 * time.Second
	if o.quick {
		baseFor = time.Second
	}
	base := plainPosts(k.client, sink.addr+"/plain", baseFor)

	// burst: fired and delivered at once, as a partner's traffic arrives
	before := sink.n.Load()
	sink.takeLag()
	t0 := time.Now()
	fireTime, err := k.fire(ids, total)
	if err != nil {
		return nil, err
	}
	duringFire := sink.n.Load() - before
	if err := sink.waitFor(before+int64(total), 2*time.Minute); err != nil {
		return nil, err
	}
	burst := float64(total) / time.Since(t0).Seconds()
	burstLag := sink.takeLag()

	// the dispatcher's capacity, on a backlog, against the receiver's
	// measured again just before (the higher of the two: the machine is
	// shared, and a lower baseline would flatter the ratio)
	base = max(base, plainPosts(k.client, sink.addr+"/plain", baseFor))
	one, err := k.drain(ctx, sink, ids, total, k.pid)
	if err != nil {
		return nil, err
	}
	drained, fireRate := one.rate, one.fireRate
	capacity := min(drained, fireRate)

	// steady: events at half of what the whole path sustains
	steadyRate := capacity / 2
	lag, steadyN, err := k.steady(sink, ids, steadyRate, steadyFor)
	if err != nil {
		return nil, err
	}
	steadyP99 := pct(lag, .99)

	// idle: one event at a time, the next fired only once the last has
	// arrived and a little while has passed, so the dispatcher is asleep
	// each time and the figure is its wake-up and delivery latency
	idle := 200
	if o.quick {
		idle = 60
	}
	sink.takeLag()
	for i := 0; i < idle; i++ {
		want := sink.n.Load() + 1
		if _, err := k.fireOne(ids[i%len(ids)]); err != nil {
			return nil, err
		}
		if err := sink.waitFor(want, 10*time.Second); err != nil {
			return nil, fmt.Errorf("an event fired on an idle queue: %w", err)
		}
		time.Sleep(time.Duration(5+i%20) * time.Millisecond)
	}
	idleLag := sink.takeLag()
	p99 := pct(idleLag, .99)
	ratio := drained / base
	out := []benchResult{
		{Suite: "webhooks", Name: fmt.Sprintf("a backlog of %d events delivered (signed, logged, in order per account, 32 accounts)", total), Value: drained, Unit: "deliveries/s",
			Baseline: base, BaseName: "plain POSTs/s to the same receiver (16 clients)", Ratio: ratio, Target: "≥ 0.25", Pass: ratio >= 0.25,
			Note: fmt.Sprintf("the backlog was recorded with the endpoint paused, at %.0f events/s through the API (16 clients); %s", fireRate, one.cpuNote())},
		{Suite: "webhooks", Name: fmt.Sprintf("%d events fired and delivered at once", total), Value: burst, Unit: "deliveries/s", Baseline: base, BaseName: "plain POSTs/s",
			Ratio: burst / base, Target: "(no target: bounded by recording events)", Pass: true,
			Note: fmt.Sprintf("firing took %v, %d delivered meanwhile; event to first delivery p50 %v p99 %v", fireTime.Round(time.Millisecond),
				duringFire, pct(burstLag, .5).Round(time.Millisecond), pct(burstLag, .99).Round(time.Millisecond))},
		{Suite: "webhooks", Name: fmt.Sprintf("event to first delivery at %.0f events/s (half of the %.0f/s recorded and delivered), p99", steadyRate, capacity), Value: ms(steadyP99), Unit: "ms",
			Target: "< 1000 ms", Pass: steadyP99 < time.Second, Note: fmt.Sprintf("p50 %v over %d events", pct(lag, .5).Round(100*time.Microsecond), steadyN)},
		{Suite: "webhooks", Name: "event recorded to first delivery, idle queue, p99", Value: ms(p99), Unit: "ms", Target: "< 250 ms", Pass: p99 < 250*time.Millisecond,
			Note: fmt.Sprintf("p50 %v over %d events", pct(idleLag, .5).Round(100*time.Microsecond), len(idleLag))},
	}
	if o.databaseURL != "" {
		// three replicas on the one database, against the one above
		var stops []func()
		defer func() {
			for _, s := range stops {
				s()
			}
		}()
		pids := []int{k.pid}
		for n := 2; n <= 3; n++ {
			pid, stop, err := k.replica(ctx, n)
			if err != nil {
				return nil, err
			}
			stops, pids = append(stops, stop), append(pids, pid)
		}
		d3, err := k.drain(ctx, sink, ids, total, pids...)
		if err != nil {
			return nil, err
		}
		three := d3.rate
		out = append(out, benchResult{Suite: "webhooks", Name: "the same backlog, three replicas on one database", Value: three, Unit: "deliveries/s",
			Baseline: drained, BaseName: "deliveries/s one replica", Ratio: three / drained, Target: "≥ 2.0", Pass: three/drained >= 2, Note: d3.cpuNote()})
	}
	// per-account order, over every phase above
	order := sink.outOfOrder()
	out[0].Pass = out[0].Pass && order == 0
	out[0].Note += fmt.Sprintf("; %d first deliveries in all phases arrived after a later event of their account (judged at the payload timestamp's millisecond)", order)
	return out, nil
}
