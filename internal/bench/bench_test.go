package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
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
