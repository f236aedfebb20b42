package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// banksimCmd runs the sandbox bank alone, so kobo (--banksim-url) and
// tests reach it over real HTTP. Its state (tenants' clocks, MFA flags,
// custom users, faults) is kept in this process's memory: one process is
// the whole bank, every kobo replica pointed at it sees the same bank,
// and a restart of the simulator resets that state (as restarting a test
// bank would). Run one, not several behind a balancer.
func banksimCmd(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("banksim", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:9100", "listen address")
	seed := fs.Int64("seed", 20260101, "data generator seed (same seed, same data)")
	faces := []startFace{obieFaceFlags(fs), berlinGroupFaceFlags(fs)}
	banksFile := fs.String("banks-file", "", "also write one banks file naming every standard face started (for KOBO_BANKS_FILE)")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	sim := banksim.New(banksim.Config{Seed: *seed, Clock: kobo.SystemClock{}, Logger: log, State: banksim.NewMemoryState()})
	all := map[string]json.RawMessage{}
	for _, start := range faces {
		stop, banks, err := start(sim, e.stdout)
		if err != nil {
			return err
		}
		defer stop()
		maps.Copy(all, banks)
	}
	if *banksFile != "" {
		if len(all) == 0 {
			return errors.New("--banks-file: no standard face is started (--obie-addr, --berlingroup-addr)")
		}
		b, _ := json.Marshal(all)
		if err := writeFileAtomic(*banksFile, b); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "banks file of every face: KOBO_BANKS_FILE=%s\n", *banksFile)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stdout, "banksim (seed %d) listening on http://%s\n  test users: GET /admin/users?institution=<id>\n  state (clocks, MFA flags, custom users) lives in this process: run one banksim\n", *seed, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
