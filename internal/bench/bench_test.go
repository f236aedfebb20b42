package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// binDir holds the kobo binary the tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// koboBinary builds cmd/kobo once: the suites run it as child processes.
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

// TestBenchQuickRuns runs `kobo bench --quick --json` on the suites that
// need nothing outside the binary and checks that each produced figures:
// the benchmarks are code too, and a suite that no longer runs would
// otherwise only be found when someone asks for numbers. Targets are not
// asserted (that is what the bench reports; a test would flake on a busy
// machine), only that every figure was measured or says why not.
func TestBenchQuickRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs kobo bench as a process")
	}
	// not parallel: the suites load both cores for half a minute, which
	// would starve the browser tests' timeouts
	bin, err := koboBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "bench", "--quick", "--json", "foundation", "ingest", "webhooks", "load", "pdfimport")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kobo bench: %v\n%s", err, errOut.String())
	}
	var got struct {
		Machine string        `json:"machine"`
		Results []benchResult `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("bench --json output: %v\n%s", err, out.String())
	}
	suites := map[string]int{}
	for _, r := range got.Results {
		suites[r.Suite]++
		if r.Name == "" || r.Target == "" || r.Unit == "" && !r.Skipped {
			t.Errorf("result without a name, unit or target: %+v", r)
		}
		if !r.Skipped && r.Value <= 0 && r.Unit != "%" {
			t.Errorf("%s / %s: value %v", r.Suite, r.Name, r.Value)
		}
	}
	for _, s := range []string{"foundation", "ingest", "webhooks", "load", "pdfimport"} {
		if suites[s] == 0 {
			t.Errorf("suite %s reported nothing", s)
		}
	}
	if len(got.Machine) == 0 {
		t.Error("no machine description")
	}
	// the quick load run is too short to judge memory, and says so
	for _, r := range got.Results {
		if r.Suite == "load" && r.Unit == "%" && !r.NotJudged {
			t.Errorf("a 10 s load run judged RSS growth: %+v", r)
		}
	}
}

// runBench runs the kobo binary's bench with extra environment and
// returns its results.
func runBench(t *testing.T, env []string, args ...string) []benchResult {
	t.Helper()
	bin, err := koboBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"bench", "--quick", "--json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kobo bench %v: %v\n%s", args, err, errOut.String())
	}
	var got struct {
		Results []benchResult `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("bench --json output: %v\n%s", err, out.String())
	}
	if len(got.Results) == 0 {
		t.Fatal("no results")
	}
	return got.Results
}

// TestBenchIgnoresOperatorDatabase: an operator's shell with
// DATABASE_URL and KOBO_MASTER_KEY set must not make the bench measure
// (and write partners and accounts into) that database while labelling
// the figures SQLite. The operator's database here is a fresh empty one
// on the test server, checked empty afterwards; without Postgres, an
// unreachable URL, which a child that inherited it fails on.
func TestBenchIgnoresOperatorDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs kobo bench as a process")
	}
	operator := "postgres://kobo:secret@127.0.0.1:1/operator?connect_timeout=2"
	var db *throwaway
	if admin := os.Getenv("KOBO_TEST_DATABASE_URL"); admin != "" {
		var err error
		if db, err = createDatabase(context.Background(), admin); err != nil {
			t.Fatal(err)
		}
		defer db.drop()
		operator = db.url
	}
	rs := runBench(t, []string{"DATABASE_URL=" + operator, "KOBO_DATABASE_URL=" + operator, "KOBO_MASTER_KEY=the-operators-key", "KOBO_MIGRATE=true"},
		"foundation", "ingest")
	for _, r := range rs {
		if r.Engine != "sqlite" {
			t.Errorf("%s / %s: engine %q, want sqlite", r.Suite, r.Name, r.Engine)
		}
	}
	if db != nil {
		if n := tableCount(t, db.url); n != 0 {
			t.Errorf("the bench created %d tables in the operator's database", n)
		}
	}
}

// TestBenchOnPostgres: --database-url runs the suites with a store on
// throwaway databases of that server, labels them postgres, and drops
// every database it made.
func TestBenchOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs kobo bench as a process")
	}
	admin := os.Getenv("KOBO_TEST_DATABASE_URL")
	if admin == "" {
		t.Skip("KOBO_TEST_DATABASE_URL is not set: skipping the bench on PostgreSQL")
	}
	before := benchDatabases(t, admin)
	rs := runBench(t, nil, "--database-url", admin, "foundation", "ingest")
	suites := map[string]bool{}
	for _, r := range rs {
		suites[r.Suite] = true
		if r.Engine != "postgres" {
			t.Errorf("%s / %s: engine %q, want postgres", r.Suite, r.Name, r.Engine)
		}
		if !r.Skipped && r.Value <= 0 {
			t.Errorf("%s / %s: value %v", r.Suite, r.Name, r.Value)
		}
	}
	if !suites["foundation"] || !suites["ingest"] {
		t.Errorf("suites reported: %v", suites)
	}
	for name := range benchDatabases(t, admin) {
		if !before[name] {
			t.Errorf("database %s left behind", name)
		}
	}
}

func tableCount(t *testing.T, dsn string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func benchDatabases(t *testing.T, dsn string) map[string]bool {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT datname FROM pg_database WHERE datname LIKE 'kobo\_bench\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// TestStartProcessShowsStderr: a child that dies before its banner says
// why, in the error.
func TestStartProcessShowsStderr(t *testing.T) {
	_, _, err := startProcess(context.Background(), "/bin/sh", []string{"-c", "echo 'KOBO_MASTER_KEY is required' >&2; exit 1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "KOBO_MASTER_KEY is required") {
		t.Fatalf("err = %v, want the child's stderr", err)
	}
}

// TestChildEnv: kobo's settings from the parent never reach a child;
// what the bench sets does.
func TestChildEnv(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://operator")
	t.Setenv("KOBO_MASTER_KEY", "operator")
	t.Setenv("PORT", "80")
	env := childEnv("KOBO_PAGE_CACHE_MB=0")
	for _, kv := range env {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "KOBO_MASTER_KEY=") || strings.HasPrefix(kv, "PORT=") {
			t.Errorf("inherited %s", kv)
		}
	}
	if !slices.Contains(env, "KOBO_PAGE_CACHE_MB=0") {
		t.Error("the bench's own setting is missing")
	}
}
