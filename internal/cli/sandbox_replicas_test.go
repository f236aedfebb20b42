package cli

import (
	"testing"
	"time"
)

func sandboxClock(t *testing.T, e *e2e) time.Time {
	t.Helper()
	s := e.must(200, "GET", "/v2/sandbox/clock", nil, e.key()...).m(t)["data"].(map[string]any)["now"].(string)
	at, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// TestSandboxBankIsOneAcrossReplicas: two replicas on one PostgreSQL each
// run the sandbox bank in-process, and must be one bank. Its clock used
// to live in each process (advanced through A, B still showed the old
// time), and so did reset_login's flag (set through B, A's bank let the
// next sync through); and the stored bank session let the next sync
// succeed anyway, whatever reset_login said.
func TestSandboxBankIsOneAcrossReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	t.Parallel()
	a := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
	a.signupApp("")
	b := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
	b.sk, b.pk, b.app, b.auth = a.sk, a.pk, a.app, a.auth

	a.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 30}, a.key()...)
	if got, want := sandboxClock(t, b), sandboxClock(t, a); want.Sub(got).Abs() > time.Minute || time.Until(got) < 29*24*time.Hour {
		t.Fatalf("after advancing 30 days through A: B's sandbox clock %v, A's %v", got, want)
	}

	gt := a.institution("GTBank")
	id := linkUser(t, a, gt, "user_good", nil)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, a, id) == "AVAILABLE" })
	b.must(200, "POST", "/v2/sandbox/accounts/"+id+"/reset_login", nil, b.key()...)
	if r := a.must(200, "POST", "/accounts/"+id+"/sync", nil, a.key()...); r.m(t)["code"] != "REAUTHORISATION_REQUIRED" {
		t.Fatalf("reset_login through B, then a sync through A: %s", r.body)
	}
}

// TestSandboxClockSurvivesARestart: an app's sandbox clock used to jump
// back to today after a deploy.
func TestSandboxClockSurvivesARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startE2E(t, e2eOpts{dir: dir})
	e.signupApp("")
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 30}, e.key()...)
	before := sandboxClock(t, e)
	e.stop()

	again := startE2E(t, e2eOpts{dir: dir})
	again.sk = e.sk
	if got := sandboxClock(t, again); got.Before(before) {
		t.Fatalf("sandbox clock after a restart %v, before it %v", got, before)
	}
}
