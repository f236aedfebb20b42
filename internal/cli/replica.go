package cli

import (
	"cmp"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/prometheus/client_golang/prometheus"
)

// Several replicas share one database and one queue. What each of them
// did is told apart by its id (--replica-id, KOBO_REPLICA_ID, default
// hostname-pid): in every log line, in the lease holder of every job and
// delivery it claims, and as the replica label of its work metrics, so
// one dashboard over all replicas shows which did what.

// leaseHolder is the id a replica claims work under: its name, and a
// suffix unique to the process.
func leaseHolder(replica string) string {
	return cmp.Or(replica, "kobo") + "." + kobo.RandomToken(6)
}

// replicaRegisterer labels what is registered through it with the
// replica, and registers kobo_replica_info.
func replicaRegisterer(reg *prometheus.Registry, replica string) prometheus.Registerer {
	r := prometheus.WrapRegistererWith(prometheus.Labels{"replica": cmp.Or(replica, "kobo")}, reg)
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kobo_replica_info", Help: "1, labelled with this replica's id and version.",
		ConstLabels: prometheus.Labels{"version": fullVersion()}})
	info.Set(1)
	r.MustRegister(info)
	return r
}

// claimMetrics counts the jobs this replica claimed, by kind and how:
// due (queued work) or takeover (from a replica whose lease lapsed).
func claimMetrics(reg prometheus.Registerer) func(kind string, takeover bool) {
	claims := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kobo_job_claims_total",
		Help: "Jobs this replica claimed, by kind and how (due, or takeover of a lapsed lease)."}, []string{"kind", "how"})
	reg.MustRegister(claims)
	return func(kind string, takeover bool) {
		how := "due"
		if takeover {
			how = "takeover"
		}
		claims.WithLabelValues(kind, how).Inc()
	}
}

// runningJobs reports how many jobs this replica is working on.
func runningJobs(reg prometheus.Registerer, running func() int) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kobo_jobs_running", Help: "Jobs this replica is working on now."},
		func() float64 { return float64(running()) }))
}
