package kobo

import (
	"context"
	"time"
)

// FunnelStage is a step of the connect flow the link funnel counts. Each
// session reaches each stage at most once; exited and failed are the two
// ways a session ends without linking, and only the first end counts.
type FunnelStage string

const (
	StageStarted   FunnelStage = "started"   // the session was created
	StageChosen    FunnelStage = "chosen"    // an institution was chosen
	StageSubmitted FunnelStage = "submitted" // credentials or consent were sent to the bank
	StageLinked    FunnelStage = "linked"    // an account was linked
	StageExited    FunnelStage = "exited"    // the customer closed the widget
	StageFailed    FunnelStage = "failed"    // the session failed for good (locked, too many wrong answers)
)

// Columns names the session's timestamp column and the counter column a
// stage sets; ok is false for an unknown stage. Both engines use these
// names, so they are never taken from input.
func (s FunnelStage) Columns() (sessionCol, counterCol string, ok bool) {
	switch s {
	case StageStarted:
		return "started_at", "started", true
	case StageChosen:
		return "institution_chosen_at", "chosen", true
	case StageSubmitted:
		return "submitted_at", "submitted", true
	case StageLinked:
		return "linked_at", "linked", true
	case StageExited:
		return "ended_at", "exited", true
	case StageFailed:
		return "ended_at", "failed", true
	}
	return "", "", false
}

// FunnelCounts is how many sessions reached each stage.
type FunnelCounts struct {
	Started, Chosen, Submitted, Linked, Exited, Failed int64
}

// Add sums o into c.
func (c *FunnelCounts) Add(o FunnelCounts) {
	c.Started += o.Started
	c.Chosen += o.Chosen
	c.Submitted += o.Submitted
	c.Linked += o.Linked
	c.Exited += o.Exited
	c.Failed += o.Failed
}

// FunnelRow is one institution's counts over the filter's days.
type FunnelRow struct {
	InstitutionID string // "" for sessions that never chose one
	FunnelCounts
}

// FunnelFilter selects an app's counters: days From (inclusive) to To
// (exclusive), both UTC midnights; Live and Reauth nil mean both.
type FunnelFilter struct {
	AppID    string
	From, To time.Time
	Live     *bool
	Reauth   *bool
}

// FunnelStore keeps the durable per-day link funnel counters.
type FunnelStore interface {
	// MarkConnectStage records that session id reached stage at `at`: the
	// session's stage column is set only if it is still empty (for exited
	// and failed, the one end column), and only then is the counter of
	// the session's app, mode, UTC day of at, institution and scope
	// incremented, in the same transaction. It reports whether it counted.
	// ENOTFOUND if the session is missing.
	MarkConnectStage(ctx context.Context, id string, stage FunnelStage, at time.Time) (bool, error)
	// ConnectFunnel sums the counters f selects by institution, most
	// started first, then by institution id.
	ConnectFunnel(ctx context.Context, f FunnelFilter) ([]FunnelRow, error)
}
