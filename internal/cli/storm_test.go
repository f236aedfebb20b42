package cli

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/webhook"
	_ "modernc.org/sqlite"
)

// binDir holds the kobo binary the process tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// koboBinary builds cmd/kobo once for the tests that run it as a process.
var koboBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kobo-test-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "kobo")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kobo").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// stormReceiver takes signed webhooks and, while failing is set, answers
// one in eight with a 500 or by dropping the connection, as endpoints do.
type stormReceiver struct {
	secret  string
	failing atomic.Bool
	mu      sync.Mutex
	got     map[string]int // event_id → times received
	bad     int
	srv     *httptest.Server
}

func newStormReceiver(t *testing.T) *stormReceiver {
	h := &stormReceiver{got: map[string]int{}}
	var n atomic.Int64
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if h.failing.Load() {
			switch n.Add(1) % 16 {
			case 3:
				http.Error(w, "the partner's server is having a bad day", 500)
				return
			case 11:
				if hj, ok := w.(http.Hijacker); ok {
					if c, _, err := hj.Hijack(); err == nil {
						c.Close() // connection reset mid-request
						return
					}
				}
			}
		}
		var ev struct {
			EventID string `json:"event_id"`
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if webhook.Verify(h.secret, r.Header, body, time.Now(), 5*time.Minute) != nil || json.Unmarshal(body, &ev) != nil || ev.EventID == "" {
			h.bad++
			http.Error(w, "bad signature", 401)
			return
		}
		h.got[ev.EventID]++
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

var stormClient = &http.Client{Timeout: 15 * time.Second}

// try is one call to a kobo that may be dead: transport errors come back
// instead of failing the test.
func try(base, method, path string, body any, headers ...string) (res, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return res{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r, err := stormClient.Do(req)
	if err != nil {
		return res{}, err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return res{status: r.StatusCode, header: r.Header, body: b}, err
}

// stormSnapshot is what a reader saw committed just before a kill.
type stormSnapshot struct {
	events map[string]bool            // event ids
	counts map[string]int             // account → transactions
	refs   map[string]map[string]bool // account → bank references of its transactions (when read)
}

// readCommitted reads the database file from outside the process, as any
// SQLite reader may while kobo writes: it sees committed data only. The
// bank references of every transaction are read only when refs is set
// (they are a hundred thousand rows).
func readCommitted(t *testing.T, path string, refs bool) stormSnapshot {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := stormSnapshot{events: map[string]bool{}, counts: map[string]int{}, refs: map[string]map[string]bool{}}
	rows, err := db.Query(`SELECT id FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		s.events[id] = true
	}
	rows.Close()
	rows, err = db.Query(`SELECT id, txn_count FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		var n int
		rows.Scan(&a, &n)
		s.counts[a] = n
	}
	rows.Close()
	if !refs {
		return s
	}
	rows, err = db.Query(`SELECT account_id, provider_ref FROM transactions WHERE removed_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a, ref string
		rows.Scan(&a, &ref)
		if s.refs[a] == nil {
			s.refs[a] = map[string]bool{}
		}
		s.refs[a][ref] = true
	}
	rows.Close()
	return s
}

// TestKillStorm is the crash test of the seed post's promises: kobo serve
// (SQLite, the default) is killed with SIGKILL twenty times at random
// moments while it links accounts (first fetches writing thousands of
// rows), syncs them after the sandbox clock moves, and records and
// delivers a stream of webhooks to an endpoint that fails some of them.
// After each kill, everything a reader saw committed must still be there;
// at the end no transaction is duplicated, every account's work finished
// (the flaky and slow banks wedged nothing), every event has one delivery,
// and the endpoint received every event at least once.
func TestKillStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in short mode (-short): kills and restarts kobo twenty times")
	}
	t.Parallel()
	bin, err := koboBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	var cmd *exec.Cmd
	var logs *syncBuffer
	start := func() {
		t.Helper()
		logs = &syncBuffer{}
		cmd = exec.Command(bin, "serve", "--addr", addr, "--admin-addr", "", "--data-dir", dir, "--lease", "3s", "--workers", "4", "--webhook-allow-private")
		cmd.Env = append(os.Environ(), "KOBO_RATE_LIMIT_PER_IP=0", "KOBO_RATE_LIMIT_PER_KEY=0", "KOBO_LOG_LEVEL=warn")
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "kobo ready", 30*time.Second, func() bool {
			res, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				return false
			}
			res.Body.Close()
			return res.StatusCode == 200
		})
	}
	kill := func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	start()
	t.Cleanup(kill)

	hooks := newStormReceiver(t)
	e := &e2e{t: t, url: "http://" + addr}
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	gt := e.institution("GTBank")
	var accounts []string
	for _, u := range []string{"user_good", "user_good", "user_good", "user_flaky", "user_slow", "user_business"} {
		accounts = append(accounts, linkUser(t, e, gt, u, nil))
	}

	// the storm: clients keep calling while the process dies under them,
	// so their errors are expected; what counts is the data afterwards
	var mu sync.Mutex // accounts grows while the storm reads it
	account := func(i int) string {
		mu.Lock()
		defer mu.Unlock()
		return accounts[i%len(accounts)]
	}
	calls := func(method, path string, body any, headers ...string) map[string]any {
		r, err := try(e.url, method, path, body, append([]string{"mono-sec-key", e.sk}, headers...)...)
		if err != nil || r.status != 200 {
			return nil
		}
		var m map[string]any
		_ = json.Unmarshal(r.body, &m)
		return m
	}
	rng := rand.New(rand.NewPCG(7, 11))
	hooks.failing.Store(true)
	synced := 0
	stormStart := time.Now()
	for kills := 0; kills < 20; kills++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // a webhook storm
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				calls("POST", "/v2/sandbox/accounts/"+account(i)+"/webhooks/fire", map[string]string{"event": "mono.events.account_updated"})
			}
		}()
		go func() { // links (first fetches) and syncs after a day at the bank
			defer wg.Done()
			if s := calls("POST", "/v1/connect/session", map[string]string{"institution": gt}); s != nil {
				if r := calls("POST", "/v1/connect/login", map[string]string{"username": "user_good", "password": "123456"}, "x-session-id", fmt.Sprint(s["id"])); r != nil {
					if data, ok := r["data"].(map[string]any); ok {
						if a := calls("POST", "/account/auth", map[string]string{"code": fmt.Sprint(data["code"])}); a != nil {
							mu.Lock()
							accounts = append(accounts, fmt.Sprint(a["id"]))
							mu.Unlock()
						}
					}
				}
			}
			calls("POST", "/v2/sandbox/clock/advance", map[string]int{"days": 1})
			calls("POST", "/accounts/"+account(synced)+"/sync", nil)
			synced++
		}()
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		full := kills%4 == 3 // every committed row, on every fourth kill; counts on each
		before := readCommitted(t, filepath.Join(dir, "kobo.db"), full)
		kill()
		close(stop)
		wg.Wait()
		if kills == 6 {
			hooks.failing.Store(false) // the endpoint recovers; its failed deliveries come back by retry
		}
		start()
		after := readCommitted(t, filepath.Join(dir, "kobo.db"), full)
		for acct, n := range before.counts {
			if after.counts[acct] < n {
				t.Fatalf("kill %d: account %s had %d transactions committed, %d after the restart", kills+1, acct, n, after.counts[acct])
			}
		}
		for id := range before.events {
			if !after.events[id] {
				t.Fatalf("kill %d: event %s was committed and is gone", kills+1, id)
			}
		}
		for acct, refs := range before.refs {
			for ref := range refs {
				if !after.refs[acct][ref] {
					t.Fatalf("kill %d: transaction %s of %s was committed and is gone", kills+1, ref, acct)
				}
			}
		}
	}

	t.Logf("storm over after %v", time.Since(stormStart).Round(time.Second))
	// settle: every account's work finishes and every event arrives
	statuses := map[string]int{}
	for _, id := range accounts {
		var st any
		waitUntil(t, "account "+id+" settled", 90*time.Second, func() bool {
			m := calls("GET", "/accounts/"+id, nil)
			meta, _ := m["meta"].(map[string]any)
			if meta == nil {
				return false
			}
			st = meta["data_status"]
			return st != "PROCESSING"
		})
		statuses[fmt.Sprint(st)]++
	}
	if statuses["AVAILABLE"] < len(accounts)-1 { // the flaky bank may leave its account PARTIAL
		t.Errorf("accounts after the storm: %v; want all AVAILABLE (the flaky bank's may be PARTIAL)", statuses)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kobo.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	t.Logf("accounts settled after %v", time.Since(stormStart).Round(time.Second))
	waitUntil(t, "every delivery succeeded", 120*time.Second, func() bool {
		return count(`SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'`) == 0
	})
	t.Logf("deliveries done after %v", time.Since(stormStart).Round(time.Second))
	if n := count(`SELECT count(*) FROM (SELECT account_id, provider_ref FROM transactions GROUP BY 1, 2 HAVING count(*) > 1)`); n != 0 {
		t.Errorf("%d transactions are stored twice", n)
	}
	if n := count(`SELECT count(*) FROM accounts a WHERE txn_count <> (SELECT count(*) FROM transactions t WHERE t.account_id = a.id AND t.removed_at IS NULL)`); n != 0 {
		t.Errorf("%d accounts' transaction counters disagree with their rows", n)
	}
	if n := count(`SELECT count(*) FROM (SELECT event_id FROM webhook_deliveries GROUP BY event_id HAVING count(*) > 1)`); n != 0 {
		t.Errorf("%d events have more than one delivery", n)
	}
	if n := count(`SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`); n != 0 {
		t.Errorf("%d events were recorded without a delivery", n)
	}
	if n := count(`SELECT count(*) FROM jobs WHERE status IN ('available', 'running')`); n != 0 {
		t.Errorf("%d jobs are still queued or running after the storm", n)
	}
	ids, err := db.Query(`SELECT id FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer ids.Close()
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	events, missing, again := 0, 0, 0
	for ids.Next() {
		var id string
		ids.Scan(&id)
		events++
		switch n := hooks.got[id]; {
		case n == 0:
			missing++
		case n > 1:
			again++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d events never reached the endpoint", missing, events)
	}
	if hooks.bad > 0 {
		t.Errorf("%d webhooks failed signature checks", hooks.bad)
	}
	if dbg, err := db.Query(`SELECT a.id, a.data_status, a.txn_count, j.kind, j.status, j.attempt, j.max_attempts, substr(j.last_error, 1, 200) FROM accounts a JOIN jobs j ON j.account_id = a.id WHERE a.data_status <> 'AVAILABLE' ORDER BY j.created_at`); err == nil {
		for dbg.Next() {
			var a, st, kind, js, le string
			var n, at, ma int
			dbg.Scan(&a, &st, &n, &kind, &js, &at, &ma, &le)
			t.Logf("account %s is %s with %d transactions: %s job %s, attempt %d of %d, last error %q", a, st, n, kind, js, at, ma, le)
		}
		dbg.Close()
	}
	txns := count(`SELECT count(*) FROM transactions`)
	t.Logf("20 kills: %d accounts %v, %d transactions, %d events all delivered (%d more than once, as at-least-once allows), %d syncs asked for",
		len(accounts), statuses, txns, events, again, synced)
	if txns == 0 || events < 100 {
		t.Fatalf("the storm did too little to prove anything: %d transactions, %d events", txns, events)
	}
}
