package dashboard

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// typed is what a form field shows: what the partner typed when a save
// failed (form is set), else the stored value.
func typed(form url.Values, field string, stored any) string {
	if form != nil {
		if v, ok := form[field]; ok && len(v) > 0 {
			return v[0]
		}
	}
	return fmt.Sprint(stored)
}

// expiresIn is "expires in 59 minutes" for a rotated key's overlap.
func (d *Dashboard) expiresIn(t *time.Time) string {
	if t == nil {
		return ""
	}
	left := t.Sub(d.clock.Now())
	switch {
	case left <= 0:
		return "expired"
	case left < time.Minute:
		return "expires in under a minute"
	case left < time.Hour:
		return "expires in " + plural(int(left.Minutes()), "minute")
	case left < 48*time.Hour:
		return "expires in " + plural(int(left.Hours()), "hour")
	default:
		return "expires in " + plural(int(left.Hours()/24), "day")
	}
}

// explain says in plain words what a status shown on a page means, next
// to the badge, so nobody has to look up "PARTIAL".
func explain(kind string, status any) string {
	st := strings.ToUpper(fmt.Sprint(status))
	if kind == "delivery" && st == "FAILED" {
		st = "FAILED_DELIVERY"
	}
	switch st {
	case "PROCESSING":
		return "kobo is fetching this account's data from the bank; it usually takes a few seconds."
	case "AVAILABLE":
		return "Balance and transactions are fetched and up to date as of the last sync."
	case "PARTIAL":
		return "Only part of the data arrived: the bank returned the balance or the transactions, not both. The next sync tries again."
	case "UNAVAILABLE":
		return "The bank returned no data for this account, or failed; the next sync tries again."
	case "FAILED":
		return "kobo could not process the bank's answer. The error is logged; the next sync tries again."
	case "PENDING":
		return "Waiting for its next attempt."
	case "DELIVERING":
		return "Being sent to your endpoint now."
	case "SUCCEEDED":
		return "Your endpoint answered with a 2xx status."
	case "FAILED_DELIVERY":
		return "Out of attempts, or your endpoint is disabled. Fix it, then redeliver."
	case "BUILDING", "QUEUED":
		return "The statement is being built."
	case "BUILT":
		return "The statement is ready to download."
	}
	return ""
}
