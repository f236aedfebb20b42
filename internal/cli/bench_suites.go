package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

// benchKobo is a `kobo serve` child process with a partner, a sandbox app
// and helpers to call it.
type benchKobo struct {
	api    string
	sk     string
	appID  string
	auth   string
	pid    int
	stop   func()
	client *http.Client
}

func startBenchKobo(ctx context.Context, o benchOpts, webhookURL string) (*benchKobo, error) {
	dir, err := os.MkdirTemp("", "kobo-bench-")
	if err != nil {
		return nil, err
	}
	admin := ""
	if a := os.Getenv("KOBO_BENCH_ADMIN_ADDR"); a != "" { // to profile a suite's server
		admin = a
	}
	cmd, api, err := startProcess(ctx, o.exe, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", admin, "--data-dir", dir, "--log-level", "error"}, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	k := &benchKobo{api: api, pid: cmd.Process.Pid, client: &http.Client{Transport: tr, Timeout: 60 * time.Second},
		stop: func() { cmd.Process.Signal(os.Interrupt); cmd.Wait(); os.RemoveAll(dir); tr.CloseIdleConnections() }}
	email := kobo.RandomToken(8) + "@bench.ng"
	if _, err := k.call("POST", "/v1/auth/signup", "", map[string]string{"name": "Bench", "email": email, "password": "a long bench passphrase"}, nil); err != nil {
		k.stop()
		return nil, err
	}
	var tok struct{ Token string }
	if _, err := k.call("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "a long bench passphrase"}, &tok); err != nil {
		k.stop()
		return nil, err
	}
	k.auth = "Bearer " + tok.Token
	body := map[string]any{"name": "bench"}
	if webhookURL != "" {
		body["webhook_url"] = webhookURL
	}
	var a map[string]any
	if _, err := k.call("POST", "/v1/apps", k.auth, body, &a); err != nil {
		k.stop()
		return nil, err
	}
	k.sk, k.appID = str(a["secret_key"]), str(a["id"])
	return k, nil
}

func (k *benchKobo) call(method, path, key string, body, out any, headers ...string) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, k.api+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(key, "Bearer ") {
		req.Header.Set("Authorization", key)
	} else if key != "" {
		req.Header.Set("mono-sec-key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := k.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %.200s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(b, out)
	}
	return res.StatusCode, nil
}

func (k *benchKobo) institution(name string) (string, error) {
	var list []map[string]any
	if _, err := k.call("GET", "/v1/institutions", "", nil, &list); err != nil {
		return "", err
	}
	for _, in := range list {
		if in["name"] == name {
			return str(in["_id"]), nil
		}
	}
	return "", fmt.Errorf("no institution %s", name)
}

// link runs one headless connect flow and the exchange.
func (k *benchKobo) link(inst, user string) (string, error) {
	id, _, err := k.linkTimed(inst, user)
	return id, err
}

// linkTimed is link, with each step's latency (session, login, exchange).
func (k *benchKobo) linkTimed(inst, user string) (string, [3]time.Duration, error) {
	var steps [3]time.Duration
	t0 := time.Now()
	var s map[string]any
	if _, err := k.call("POST", "/v1/connect/session", k.sk, map[string]string{"institution": inst, "auth_method": "internet_banking"}, &s); err != nil {
		return "", steps, err
	}
	steps[0] = time.Since(t0)
	t0 = time.Now()
	var step map[string]any
	if _, err := k.call("POST", "/v1/connect/login", k.sk, map[string]string{"username": user, "password": "123456"}, &step, "x-session-id", str(s["id"])); err != nil {
		return "", steps, err
	}
	steps[1] = time.Since(t0)
	t0 = time.Now()
	data, _ := step["data"].(map[string]any)
	var r struct{ ID string }
	if _, err := k.call("POST", "/account/auth", k.sk, map[string]string{"code": str(data["code"])}, &r); err != nil {
		return "", steps, err
	}
	steps[2] = time.Since(t0)
	return r.ID, steps, nil
}

func (k *benchKobo) waitAvailable(id string, limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	for time.Since(t0) < limit {
		var a map[string]any
		if _, err := k.call("GET", "/accounts/"+id, k.sk, nil, &a); err != nil {
			return 0, err
		}
		if meta, _ := a["meta"].(map[string]any); meta["data_status"] == "AVAILABLE" {
			return time.Since(t0), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("account %s not AVAILABLE within %v", id, limit)
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchConnect: headless connect flows (session, login, exchange) per
// second from 32 concurrent flows, each step's latency, and how long the
// first fetch takes after the exchange on a quiet server.
func benchConnect(ctx context.Context, o benchOpts) ([]benchResult, error) {
	k, err := startBenchKobo(ctx, o, "")
	if err != nil {
		return nil, err
	}
	gt, err := k.institution("GTBank")
	if err != nil {
		k.stop()
		return nil, err
	}
	d := 5 * time.Second
	if o.quick {
		d = 2 * time.Second
	}
	var flows, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var stepLat [3][]time.Duration
	ctx2, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx2.Err() == nil {
				s := time.Now()
				_, steps, err := k.linkTimed(gt, "user_good")
				if err != nil {
					errs.Add(1)
					continue
				}
				flows.Add(1)
				mu.Lock()
				lat = append(lat, time.Since(s))
				for j := range steps {
					stepLat[j] = append(stepLat[j], steps[j])
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	queued := flows.Load()
	k.stop() // its queue of first fetches is not part of the next figure
	// first fetch on a quiet server: a fresh kobo, one link at a time
	q, err := startBenchKobo(ctx, o, "")
	if err != nil {
		return nil, err
	}
	defer q.stop()
	var first []time.Duration
	for i := 0; i < 5; i++ {
		id, err := q.link(gt, "user_good")
		if err != nil {
			return nil, err
		}
		w, err := q.waitAvailable(id, 30*time.Second)
		if err != nil {
			return nil, err
		}
		first = append(first, w)
	}
	rate := float64(flows.Load()) / el.Seconds()
	var worst time.Duration
	names := []string{"session", "login", "exchange"}
	var per []string
	for j := range stepLat {
		p := pct(stepLat[j], .99)
		worst = max(worst, p)
		per = append(per, fmt.Sprintf("%s %v", names[j], p.Round(time.Microsecond)))
	}
	return []benchResult{
		{Suite: "connect", Name: "headless connect flows (session+login+exchange, 32 concurrent)", Value: rate, Unit: "flows/s", Target: "≥ 300 flows/s", Pass: rate >= 300 && errs.Load() == 0,
			Note: fmt.Sprintf("whole flow p50 %v p99 %v, errors %d; %d first fetches queued behind the burst", pct(lat, .5).Round(time.Microsecond),
				pct(lat, .99).Round(time.Microsecond), errs.Load(), queued)},
		{Suite: "connect", Name: "p99 of the slowest step", Value: ms(worst), Unit: "ms", Target: "< 50 ms", Pass: worst < 50*time.Millisecond, Note: "p99 " + strings.Join(per, ", ")},
		{Suite: "connect", Name: "exchange to AVAILABLE (first fetch, 12 months, median of 5)", Value: ms(pct(first, .5)), Unit: "ms", Target: "< 1000 ms", Pass: pct(first, .5) < time.Second},
	}, nil
}

// benchData: a high-volume business account (≈55,000 transactions in 12
// months): a page of transactions against hello world, the whole history
// with paginate=false, and a 12-month PDF statement.
func benchData(ctx context.Context, o benchOpts) ([]benchResult, error) {
	k, err := startBenchKobo(ctx, o, "")
	if err != nil {
		return nil, err
	}
	defer k.stop()
	gt, err := k.institution("GTBank")
	if err != nil {
		return nil, err
	}
	id, err := k.link(gt, "user_business")
	if err != nil {
		return nil, err
	}
	fetch, err := k.waitAvailable(id, 120*time.Second)
	if err != nil {
		return nil, err
	}
	var page struct{ Meta struct{ Total int } }
	if _, err := k.call("GET", "/v2/accounts/"+id+"/transactions?limit=1", k.sk, nil, &page); err != nil {
		return nil, err
	}
	hello, stop, err := helloWorld()
	if err != nil {
		return nil, err
	}
	defer stop()
	d := 4 * time.Second
	if o.quick {
		d = 1500 * time.Millisecond
	}
	h := http.Header{"Mono-Sec-Key": {k.sk}}
	url := k.api + "/v2/accounts/" + id + "/transactions?limit=20"
	load(ctx, url, 32, d/4, h)
	base := load(ctx, hello, 32, d, nil)
	got := load(ctx, url, 32, d, h)
	ratio := got.RPS() / base.RPS()
	// the whole history, streamed
	t0 := time.Now()
	req, _ := http.NewRequest("GET", k.api+"/v2/accounts/"+id+"/transactions?paginate=false", nil)
	req.Header.Set("mono-sec-key", k.sk)
	res, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	all := time.Since(t0)
	// a 12-month PDF statement
	var job map[string]any
	t0 = time.Now()
	if _, err := k.call("GET", "/accounts/"+id+"/statement?period=last12months&output=pdf", k.sk, nil, &job); err != nil {
		return nil, err
	}
	for str(job["status"]) != "BUILT" {
		if time.Since(t0) > 120*time.Second {
			return nil, fmt.Errorf("statement not built in 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
		if _, err := k.call("GET", "/accounts/"+id+"/statement/jobs/"+str(job["id"]), k.sk, nil, &job); err != nil {
			return nil, err
		}
	}
	pdf := time.Since(t0)
	rss, _ := rssKB(k.pid)
	rowsPerSec := float64(page.Meta.Total) / all.Seconds()
	return []benchResult{
		{Suite: "data", Name: fmt.Sprintf("first fetch of %d transactions (exchange to AVAILABLE)", page.Meta.Total), Value: ms(fetch), Unit: "ms", Target: "< 10 s", Pass: fetch < 10*time.Second},
		{Suite: "data", Name: "GET /v2/accounts/{id}/transactions?limit=20 (32 clients)", Value: got.RPS(), Unit: "req/s", Baseline: base.RPS(), BaseName: "req/s hello world",
			Ratio: ratio, Target: "≥ 0.25", Pass: ratio >= 0.25 && got.Errors == 0, Note: fmt.Sprintf("p50 %v p99 %v, errors %d", got.Percentile(.5), got.Percentile(.99), got.Errors)},
		{Suite: "data", Name: "paginate=false, whole history streamed", Value: rowsPerSec, Unit: "rows/s", Target: "≥ 100000 rows/s", Pass: rowsPerSec >= 100000,
			Note: fmt.Sprintf("%d rows, %d MB in %v", page.Meta.Total, n>>20, all.Round(time.Millisecond))},
		{Suite: "data", Name: "12-month PDF statement, request to BUILT", Value: ms(pdf), Unit: "ms", Target: "< 5 s", Pass: pdf < 5*time.Second},
		{Suite: "data", Name: "RSS after the above", Value: float64(rss) / 1024, Unit: "MB", Target: "< 200 MB", Pass: rss > 0 && rss < 200*1024},
	}, nil
}

// hookSink counts webhook deliveries and how long after the event each
// first arrived.
type hookSink struct {
	n     atomic.Int64
	mu    sync.Mutex
	lag   []time.Duration
	seen  map[string]bool
	addr  string
	close func()
}

func newHookSink() (*hookSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hookSink{seen: map[string]bool{}, addr: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		h.n.Add(1)
		var ev struct {
			EventID   string `json:"event_id"`
			Timestamp string `json:"timestamp"`
		}
		if json.Unmarshal(body, &ev) == nil && ev.EventID != "" {
			if at, err := time.Parse(time.RFC3339Nano, ev.Timestamp); err == nil {
				h.mu.Lock()
				if !h.seen[ev.EventID] {
					h.seen[ev.EventID] = true
					h.lag = append(h.lag, now.Sub(at))
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

// benchWebhooks: events recorded through the sandbox fire endpoint,
// delivered (signed, logged, at least once) to a local receiver, against
// the same receiver taking plain POSTs from a Go client.
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
	var ids []string
	for i := 0; i < 32; i++ { // deliveries keep per-account order, so spread events over accounts
		id, err := k.link(gt, "user_good")
		if err != nil {
			return nil, err
		}
		if _, err := k.waitAvailable(id, 30*time.Second); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	time.Sleep(time.Second)
	before := sink.n.Load()
	sink.mu.Lock()
	sink.lag = nil
	sink.mu.Unlock()
	total := 4000
	if o.quick {
		total = 1500
	}
	// baseline: the receiver's own capacity, plain POSTs from 16 clients
	base := func() float64 {
		var sent atomic.Int64
		t0 := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for sent.Add(1) <= int64(total) {
					res, err := k.client.Post(sink.addr+"/plain", "application/json", strings.NewReader(`{"event":"x"}`))
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}()
		}
		wg.Wait()
		return float64(total) / time.Since(t0).Seconds()
	}()
	before = sink.n.Load()
	t0 := time.Now()
	var fired atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for fired.Add(1) <= int64(total) {
				_, _ = k.call("POST", "/v2/sandbox/accounts/"+ids[w%len(ids)]+"/webhooks/fire", k.sk, map[string]string{"event": "mono.events.account_updated"}, nil)
			}
		}(w)
	}
	wg.Wait()
	for sink.n.Load()-before < int64(total) {
		if time.Since(t0) > 120*time.Second {
			return nil, fmt.Errorf("only %d of %d webhooks arrived in 2 minutes", sink.n.Load()-before, total)
		}
		time.Sleep(5 * time.Millisecond)
	}
	el := time.Since(t0)
	rate := float64(total) / el.Seconds()
	sink.mu.Lock()
	lag := slices.Clone(sink.lag)
	sink.mu.Unlock()
	p99 := pct(lag, .99)
	return []benchResult{
		{Suite: "webhooks", Name: fmt.Sprintf("%d events fired and delivered (signed, logged)", total), Value: rate, Unit: "deliveries/s", Baseline: base, BaseName: "plain POSTs/s to the same receiver",
			Ratio: rate / base, Target: "≥ 2000/s", Pass: rate >= 2000},
		{Suite: "webhooks", Name: "event recorded to first delivery, p99", Value: ms(p99), Unit: "ms", Target: "< 1000 ms", Pass: p99 < time.Second,
			Note: fmt.Sprintf("p50 %v over %d events", pct(lag, .5).Round(time.Millisecond), len(lag))},
	}, nil
}

// benchIngest: kobo's transaction merge (upsert by the bank's reference,
// change counters) against plain INSERTs of the same rows into a bare
// table, both on SQLite in the same run.
func benchIngest(ctx context.Context, o benchOpts) ([]benchResult, error) {
	rows := 100_000
	if o.quick {
		rows = 30_000
	}
	dir, err := os.MkdirTemp("", "kobo-bench-ingest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	now := time.Now().UTC().Truncate(time.Microsecond)
	bal := int64(100_000)
	txns := make([]kobo.Transaction, rows)
	for i := range txns {
		d := now.Add(-time.Duration(i) * time.Minute)
		txns[i] = kobo.Transaction{ID: kobo.NewID(d) + fmt.Sprint(i), ProviderRef: fmt.Sprintf("ref-%07d", i), Type: kobo.Debit, Amount: int64(100 + i%5000),
			Narration: fmt.Sprintf("POS PURCHASE MERCHANT %d LAGOS NG", i%977), Date: d, Balance: &bal, Currency: "NGN", Category: "online_transactions", CreatedAt: now, UpdatedAt: now}
	}
	// kobo
	st, err := sqlite.Open(ctx, filepath.Join(dir, "kobo.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		return nil, err
	}
	p := &kobo.Partner{ID: kobo.NewID(now), Name: "b", Email: "b@b.ng", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
	a := &kobo.App{ID: kobo.NewID(now), PartnerID: p.ID, Name: "b", WebhookSecret: "whsec_x", SyncFrequency: kobo.SyncEvery24h, Relink: kobo.RelinkNew, CreatedAt: now, UpdatedAt: now}
	acct := &kobo.Account{ID: kobo.NewID(now), AppID: a.ID, InstitutionID: "inst", AuthMethod: kobo.InternetBanking, ProviderRef: "x", Name: "B", AccountNumber: "0123456789",
		Fingerprint: "fp", Type: "SAVINGS", Currency: "NGN", DataStatus: kobo.DataProcessing, Credentials: "c", CreatedAt: now, UpdatedAt: now}
	if err := st.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		if err := tx.CreateApp(ctx, a); err != nil {
			return err
		}
		return tx.CreateAccount(ctx, acct)
	}); err != nil {
		return nil, err
	}
	t0 := time.Now()
	for start := 0; start < rows; start += 5000 { // a sync writes in batches like this
		batch := txns[start:min(start+5000, rows)]
		if err := st.Update(ctx, func(tx kobo.Tx) error { _, err := tx.InsertTransactions(ctx, acct.ID, batch); return err }); err != nil {
			return nil, err
		}
	}
	koboRate := float64(rows) / time.Since(t0).Seconds()
	// plain inserts into a bare table, same driver, same pragmas, same batches
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TABLE t (id TEXT PRIMARY KEY, account_id TEXT, ref TEXT, type TEXT, amount INTEGER, narration TEXT, date INTEGER, balance INTEGER, currency TEXT, category TEXT)`); err != nil {
		return nil, err
	}
	t0 = time.Now()
	for start := 0; start < rows; start += 5000 {
		tx, err := raw.Begin()
		if err != nil {
			return nil, err
		}
		batch := txns[start:min(start+5000, rows)]
		for c := 0; c < len(batch); c += 99 {
			part := batch[c:min(c+99, len(batch))]
			var q strings.Builder
			q.WriteString("INSERT INTO t VALUES ")
			args := make([]any, 0, len(part)*10)
			for i, r := range part {
				if i > 0 {
					q.WriteByte(',')
				}
				q.WriteString("(?,?,?,?,?,?,?,?,?,?)")
				args = append(args, r.ID, acct.ID, r.ProviderRef, string(r.Type), r.Amount, r.Narration, r.Date.UnixMicro(), *r.Balance, r.Currency, r.Category)
			}
			if _, err := tx.Exec(q.String(), args...); err != nil {
				tx.Rollback()
				return nil, err
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	rawRate := float64(rows) / time.Since(t0).Seconds()
	ratio := koboRate / rawRate
	return []benchResult{{Suite: "ingest", Name: fmt.Sprintf("sync ingest of %d transactions (merge by bank reference, SQLite)", rows), Value: koboRate, Unit: "rows/s",
		Baseline: rawRate, BaseName: "rows/s plain INSERT", Ratio: ratio, Target: "≥ 0.50", Pass: ratio >= 0.5}}, nil
}

// benchLoad holds a steady mixed workload (reads, connect flows, syncs,
// webhooks) for o.loadFor and samples RSS: throughput, latency, errors,
// and whether memory grows.
func benchLoad(ctx context.Context, o benchOpts) ([]benchResult, error) {
	dur := o.loadFor
	if dur == 0 {
		dur = 60 * time.Second
		if o.quick {
			dur = 10 * time.Second
		}
	}
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
	var ids []string
	for i := 0; i < 16; i++ {
		id, err := k.link(gt, "user_good")
		if err != nil {
			return nil, err
		}
		if _, err := k.waitAvailable(id, 30*time.Second); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	var reqs, errs, limited atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var rss []int
	ctx2, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx2.Done():
				return
			case <-tick.C:
				if v, err := rssKB(k.pid); err == nil {
					mu.Lock()
					rss = append(rss, v)
					mu.Unlock()
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < 24; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ctx2.Err() == nil; n++ {
				id := ids[(w+n)%len(ids)]
				t0 := time.Now()
				var err error
				var code int
				switch n % 10 {
				case 0:
					_, err = k.link(gt, "user_good")
				case 1:
					code, err = k.call("POST", "/accounts/"+id+"/sync", k.sk, nil, nil)
					if code == http.StatusTooManyRequests {
						limited.Add(1) // one manual sync per account every 2 minutes, by design
						err = nil
					}
				case 2:
					_, err = k.call("POST", "/v2/sandbox/accounts/"+id+"/webhooks/fire", k.sk, map[string]string{"event": "mono.events.account_updated"}, nil)
				case 3, 4:
					_, err = k.call("GET", "/v2/accounts/"+id+"/balance", k.sk, nil, nil)
				default:
					_, err = k.call("GET", "/v2/accounts/"+id+"/transactions?limit=20&page="+fmt.Sprint(1+n%3), k.sk, nil, nil)
				}
				if ctx2.Err() != nil {
					return
				}
				reqs.Add(1)
				if err != nil {
					errs.Add(1)
				}
				if n%4 == 0 {
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(rss) < 4 {
		return nil, fmt.Errorf("too few RSS samples")
	}
	// growth: the mean of the last quarter of samples against the second
	// quarter (the first quarter is warm-up)
	q := len(rss) / 4
	mean := func(v []int) float64 {
		s := 0
		for _, x := range v {
			s += x
		}
		return float64(s) / float64(len(v))
	}
	early, late := mean(rss[q:2*q]), mean(rss[len(rss)-q:])
	growth := (late - early) / early
	rate := float64(reqs.Load()) / dur.Seconds()
	errRate := float64(errs.Load()) / float64(max(reqs.Load(), 1))
	return []benchResult{
		{Suite: "load", Name: fmt.Sprintf("mixed workload for %v (24 clients: reads, connect, sync, webhooks)", dur), Value: rate, Unit: "req/s", Target: "no errors", Pass: errs.Load() == 0,
			Note: fmt.Sprintf("p50 %v p99 %v, errors %d (%.3f%%), syncs limited by design %d, webhooks delivered %d", pct(lat, .5).Round(time.Microsecond), pct(lat, .99).Round(time.Microsecond),
				errs.Load(), 100*errRate, limited.Load(), sink.n.Load())},
		{Suite: "load", Name: "RSS growth, last quarter vs second quarter", Value: 100 * growth, Unit: "%", Target: "< 10%", Pass: growth < 0.10,
			Note: fmt.Sprintf("RSS %.0f MB → %.0f MB, peak %.0f MB", early/1024, late/1024, float64(slices.Max(rss))/1024)},
	}, nil
}
