package kobo

import (
	"context"
	"time"
)

// Add-ons are features a deployment's operator grants to live apps one by
// one, as Mono's "Add-Ons" page does for its restricted APIs. Sandbox keys
// always have them.
const (
	// AddonHeadlessConnect is Mono's headless Connect (the Partners API:
	// connect/session, login and commit called from the partner's server
	// with the customer's bank credentials).
	AddonHeadlessConnect = "headless_connect"
)

// Addons lists every add-on kobo knows, in the order the dashboard shows them.
func Addons() []string { return []string{AddonHeadlessConnect} }

// IsAddon reports whether name is a known add-on.
func IsAddon(name string) bool {
	for _, a := range Addons() {
		if a == name {
			return true
		}
	}
	return false
}

// AddonStatus is where an app's add-on stands.
type AddonStatus string

const (
	AddonRequested AddonStatus = "requested" // the partner asked; the operator has not answered
	AddonApproved  AddonStatus = "approved"  // live keys may use it
	AddonDenied    AddonStatus = "denied"    // the operator said no to a request
	AddonRevoked   AddonStatus = "revoked"   // it was approved and the operator took it back
)

// AppAddon is one app's state for one add-on. Only approved grants live use.
type AppAddon struct {
	AppID       string
	Addon       string
	Status      AddonStatus
	Reason      string // the partner's reason for asking
	Note        string // the operator's note on the decision
	RequestedAt time.Time
	DecidedAt   *time.Time
	DecidedBy   string // the operator who decided
	UpdatedAt   time.Time
}

// Suspension kinds: what an operator can suspend.
const (
	SuspendPartner = "partner"
	SuspendApp     = "app"
)

// Suspension is an operator's hold on a partner (no login) or an app (its
// keys are refused).
type Suspension struct {
	Kind      string // SuspendPartner or SuspendApp
	SubjectID string
	Reason    string
	By        string
	CreatedAt time.Time
}

// OperatorStore keeps what the deployment's operator decides: add-ons and
// suspensions.
type OperatorStore interface {
	// AppAddon returns app's row for addon; ENOTFOUND if it never asked.
	AppAddon(ctx context.Context, appID, addon string) (*AppAddon, error)
	// PutAppAddon inserts or replaces the row of (a.AppID, a.Addon).
	PutAppAddon(ctx context.Context, a *AppAddon) error
	// AppAddons lists an app's rows, by add-on name.
	AppAddons(ctx context.Context, appID string) ([]*AppAddon, error)
	// AddonsByStatus lists rows in a status across apps, oldest request first.
	AddonsByStatus(ctx context.Context, status AddonStatus, limit int) ([]*AppAddon, error)
	// Suspension returns the hold on (kind, id); ENOTFOUND if none.
	Suspension(ctx context.Context, kind, id string) (*Suspension, error)
	// PutSuspension inserts or replaces a hold.
	PutSuspension(ctx context.Context, s *Suspension) error
	// DeleteSuspension lifts a hold; no error if there was none.
	DeleteSuspension(ctx context.Context, kind, id string) error
	// Suspensions lists every hold, newest first.
	Suspensions(ctx context.Context) ([]*Suspension, error)
	// Partners lists partners, oldest first, after afterID (keyset paging).
	Partners(ctx context.Context, afterID string, limit int) ([]*Partner, error)
}
