package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// replica is one `kobo serve` process.
type replica struct {
	url string
	cmd *exec.Cmd
	log *syncBuffer
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startReplica(t *testing.T, bin, dsn string, migrate bool) *replica {
	addr := freeAddr(t)
	// the webhook receiver is on loopback
	args := []string{"serve", "--addr", addr, "--admin-addr", "", "--lease", "4s", "--workers", "4", "--webhook-allow-private"}
	if migrate {
		args = append(args, "--migrate")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "KOBO_MASTER_KEY=dGVzdC1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTEyMzQ=",
		"KOBO_RATE_LIMIT_PER_IP=0", "KOBO_RATE_LIMIT_PER_KEY=0", "KOBO_LOG_LEVEL=warn", "KOBO_DATA_DIR="+t.TempDir())
	r := &replica{url: "http://" + addr, cmd: cmd, log: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(r.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica on %s never became ready:\n%s", addr, r.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReplicasShareWorkAndSurviveACrash runs three `kobo serve` processes
// on one PostgreSQL, links accounts with each step of each connect flow on
// a different replica, kills one replica with SIGKILL while the (slow)
// bank fetches are in flight, and checks that the other two finish all of
// its work: every account AVAILABLE, one fetch job per account, each
// account_connected delivered, and every webhook delivery succeeded.
func TestReplicasShareWorkAndSurviveACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in short mode (-short): builds and runs three kobo processes")
	}
	dsn := postgresDSN(t)
	t.Parallel()
	bin, err := koboBinary()
	if err != nil {
		t.Fatal(err)
	}
	rs := []*replica{startReplica(t, bin, dsn, true)}
	rs = append(rs, startReplica(t, bin, dsn, false), startReplica(t, bin, dsn, false))

	hooks := newHookReceiver(t)
	e := &e2e{t: t, url: rs[0].url}
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	on := func(i int) *e2e { c := *e; c.url = rs[i%3].url; return &c }
	gt := e.institution("GTBank")

	const n = 6
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			user := "user_good"
			if i%2 == 0 {
				user = "user_slow" // every bank call takes ~3 s: fetches are in flight at the kill
			}
			s := on(i).must(200, "POST", "/v1/connect/session", map[string]string{"institution": gt}, e.key()...).m(t)["id"].(string)
			r := on(i+1).must(200, "POST", "/v1/connect/login", map[string]string{"username": user, "password": "123456"}, e.key("x-session-id", s)...)
			code := r.m(t)["data"].(map[string]any)["code"].(string)
			ids[i] = on(i+2).must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
		}(i)
	}
	wg.Wait()
	time.Sleep(700 * time.Millisecond) // the slow fetches are now held by workers
	if err := rs[0].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = rs[0].cmd.Wait()

	for _, id := range ids {
		waitUntil(t, "account "+id+" AVAILABLE on the surviving replicas", 90*time.Second, func() bool {
			return on(1).must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["meta"].(map[string]any)["data_status"] == "AVAILABLE"
		})
		// reads work on both survivors
		on(2).must(200, "GET", "/v2/accounts/"+id+"/transactions?limit=5", nil, e.key()...)
	}
	waitUntil(t, "every account_connected", 60*time.Second, func() bool {
		for _, id := range ids {
			if !strings.Contains(strings.Join(hooks.types(id), ","), "account_connected") {
				return false
			}
		}
		return true
	})

	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, id := range ids {
		var jobs, done int
		if err := conn.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE status = 'completed') FROM jobs WHERE account_id = $1 AND kind = 'account.fetch'`, id).Scan(&jobs, &done); err != nil {
			t.Fatal(err)
		}
		if jobs != 1 || done != 1 {
			t.Errorf("account %s: %d fetch jobs, %d completed; want exactly one, completed", id, jobs, done)
		}
		connected := 0
		for _, ty := range hooks.types(id) {
			if ty == "account_connected" {
				connected++
			}
		}
		if connected < 1 {
			t.Errorf("account %s: account_connected delivered %d times", id, connected)
		}
	}
	waitUntil(t, "every delivery succeeded", 60*time.Second, func() bool {
		var pending int
		_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'`).Scan(&pending)
		return pending == 0
	})
	var dups int
	_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT event_id FROM webhook_deliveries GROUP BY event_id HAVING count(*) > 1) d`).Scan(&dups)
	if dups != 0 {
		t.Errorf("%d events have more than one delivery row", dups)
	}
	if hooks.bad != 0 {
		t.Errorf("%d webhooks failed verification", hooks.bad)
	}
	t.Logf("fetch jobs taken over after the kill: %s", takenOver(t, conn, ids))
}

func takenOver(t *testing.T, conn *pgx.Conn, ids []string) string {
	var n int
	_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM jobs WHERE account_id = ANY($1) AND kind = 'account.fetch' AND attempt > 1`, ids).Scan(&n)
	return fmt.Sprint(n)
}
