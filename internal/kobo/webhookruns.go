package kobo

import (
	"context"
	"time"
)

// WebhookRunStore claims webhook deliveries in runs, so a dispatcher can
// deliver an account's next events one after another as fast as the
// endpoint answers, without a store round trip (and on SQLite a turn of
// the one writer) between each.
type WebhookRunStore interface {
	// ClaimDeliveryRuns leases due deliveries to worker as ClaimDeliveries
	// does, and after each one that is a first attempt (the earliest
	// untried delivery of its account) also up to runLen-1 of the
	// account's next untried deliveries, in event order. Each run is one
	// account's deliveries in the order they must be attempted, one after
	// another: the caller POSTs the next only once the last was answered,
	// and hands back (ReleaseDeliveries) what it will not attempt, so the
	// account's order holds. At most n deliveries in all; Event is filled.
	ClaimDeliveryRuns(ctx context.Context, worker string, n, runLen int, now time.Time, lease time.Duration) ([][]*Delivery, error)
}

// RunPlan is one claimed head and the ids of the untried deliveries that
// come straight after it in its account, in event order: what a store
// means to claim with it.
type RunPlan struct {
	Head      *Delivery
	Followers []string
}

// CutRuns shapes what a store's claim of followers returned into runs:
// each head with its planned followers in order, up to the first one the
// claim did not get (another transaction changed it meanwhile). Followers
// after such a gap were claimed but must not go before it: they are
// returned in release, for the store to hand back in the same
// transaction.
func CutRuns(plans []RunPlan, got []*Delivery) (runs [][]*Delivery, release []string) {
	byID := make(map[string]*Delivery, len(got))
	for _, d := range got {
		byID[d.ID] = d
	}
	runs = make([][]*Delivery, 0, len(plans))
	for _, p := range plans {
		run := []*Delivery{p.Head}
		cut := false
		for _, id := range p.Followers {
			d, ok := byID[id]
			switch {
			case !ok:
				cut = true
			case cut:
				release = append(release, id)
			default:
				run = append(run, d)
			}
		}
		runs = append(runs, run)
	}
	return runs, release
}

// FirstAttempts are the heads a run may follow: first attempts of an
// account's deliveries (a retry or a redelivery goes alone).
func FirstAttempts(heads []*Delivery) []*Delivery {
	var out []*Delivery
	seen := map[[2]string]bool{}
	for _, h := range heads {
		k := [2]string{h.AppID, h.AccountID}
		if h.Attempts == 1 && h.AccountID != "" && !seen[k] {
			seen[k] = true
			out = append(out, h)
		}
	}
	return out
}
