package cli

import (
	"bytes"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/config"
	"github.com/prometheus/client_golang/prometheus"
)

// TestWorkMetricsNameTheReplica: the work metrics carry the replica's id,
// so one dashboard over several replicas shows which did what.
func TestWorkMetricsNameTheReplica(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	work := replicaRegisterer(reg, "kobo-2")
	jobs, hooks, _, _, _ := workMetrics(work)
	claimed := claimMetrics(work)
	runningJobs(work, func() int { return 3 })
	jobs("account.fetch", "completed", time.Millisecond)
	hooks("mono.events.account_updated", true, time.Millisecond)
	claimed("account.fetch", true)
	claimed("account.fetch", false)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			replica := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "replica" {
					replica = l.GetValue()
				}
			}
			if replica != "kobo-2" {
				t.Errorf("%s without the replica label: %v", f.GetName(), m.GetLabel())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			seen[f.GetName()] += v
		}
	}
	for name, want := range map[string]float64{"kobo_replica_info": 1, "kobo_jobs_running": 3, "kobo_job_claims_total": 2, "kobo_jobs_total": 1, "kobo_webhook_attempts_total": 1} {
		if seen[name] != want {
			t.Errorf("%s = %v, want %v", name, seen[name], want)
		}
	}
}

// TestLeaseHoldersAreUnique: two processes given one replica id still
// hold leases under different names, both showing the id.
func TestLeaseHoldersAreUnique(t *testing.T) {
	t.Parallel()
	a, b := leaseHolder("kobo-1"), leaseHolder("kobo-1")
	if a == b || !regexp.MustCompile(`^kobo-1\.[a-z0-9]+$`).MatchString(a) {
		t.Errorf("lease holders %q and %q", a, b)
	}
}

// TestBannerPrintsNoSamplePassword: the start banner's signup example
// must not carry a password someone could copy and keep.
func TestBannerPrintsNoSamplePassword(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	banner(&b, config.Default().WithDerived(), listening{API: "http://127.0.0.1:8080"}, "sqlite")
	for _, m := range regexp.MustCompile(`"password"\s*:\s*"([^"]*)"`).FindAllStringSubmatch(b.String(), -1) {
		if utf8.RuneCountInString(m[1]) >= 10 {
			t.Errorf("the banner suggests the password %q:\n%s", m[1], b.String())
		}
	}
	if !bytes.Contains(b.Bytes(), []byte("/dashboard/signup")) {
		t.Errorf("the banner does not say where to sign up:\n%s", b.String())
	}
}
