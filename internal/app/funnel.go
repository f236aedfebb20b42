package app

import (
	"context"
	"math"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Funnel days: the window a partner may ask for, and the default.
const (
	FunnelDefaultDays = 30
	FunnelMaxDays     = 90
)

// markStage counts a stage of a session in the link funnel in its own
// transaction. The store counts each stage of a session once, whichever
// request or replica gets there first. The funnel is a report: a failure
// to count is logged and never fails the customer's step.
func (s *Service) markStage(ctx context.Context, id string, stage kobo.FunnelStage) {
	err := s.store.Update(context.WithoutCancel(ctx), func(tx kobo.Tx) error {
		_, err := tx.MarkConnectStage(ctx, id, stage, s.now())
		return err
	})
	if err != nil {
		s.log.Warn("link funnel: stage not counted", "session", id, "stage", string(stage), "err", err)
	}
}

// FunnelQuery selects the funnel: the last Days UTC days (today
// included; 0 is FunnelDefaultDays), and a mode and scope (nil: both).
type FunnelQuery struct {
	Days   int
	Live   *bool
	Reauth *bool
}

// FunnelLine is one institution's funnel (or the total) with its
// conversion ratios, each 0 when nothing reached the stage before.
type FunnelLine struct {
	InstitutionID   string
	InstitutionName string
	kobo.FunnelCounts
	ChosenRate    float64 // chosen / started
	SubmittedRate float64 // submitted / chosen
	LinkedRate    float64 // linked / submitted
	Conversion    float64 // linked / started
}

// Funnel is an app's link funnel over a window of days.
type Funnel struct {
	From, To time.Time // UTC midnights; To is exclusive
	Days     int
	Rows     []FunnelLine
	Total    FunnelLine
}

func ratio(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(n)/float64(d)*10000) / 10000
}

func funnelLine(id, name string, c kobo.FunnelCounts) FunnelLine {
	return FunnelLine{InstitutionID: id, InstitutionName: name, FunnelCounts: c,
		ChosenRate: ratio(c.Chosen, c.Started), SubmittedRate: ratio(c.Submitted, c.Chosen),
		LinkedRate: ratio(c.Linked, c.Submitted), Conversion: ratio(c.Linked, c.Started)}
}

// ConnectFunnel is the link funnel of one of the partner's apps: sessions
// started, institution chosen, credentials or consent submitted and
// linked (plus those that exited or failed), by institution, with totals.
func (s *Service) ConnectFunnel(ctx context.Context, partnerID, appID string, q FunnelQuery) (*Funnel, error) {
	switch {
	case q.Days == 0:
		q.Days = FunnelDefaultDays
	case q.Days < 1 || q.Days > FunnelMaxDays:
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "days must be between 1 and 90", Fields: map[string]string{"days": "is out of range"}}
	}
	now := s.now()
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	f := &Funnel{From: to.AddDate(0, 0, -q.Days), To: to, Days: q.Days, Rows: []FunnelLine{}}
	var rows []kobo.FunnelRow
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		var err error
		rows, err = tx.ConnectFunnel(ctx, kobo.FunnelFilter{AppID: appID, From: f.From, To: f.To, Live: q.Live, Reauth: q.Reauth})
		return err
	})
	if err != nil {
		return nil, err
	}
	var total kobo.FunnelCounts
	for _, r := range rows {
		name := "No institution chosen"
		if r.InstitutionID != "" {
			name = r.InstitutionID
			if in, err := s.Institution(ctx, r.InstitutionID); err == nil {
				name = in.Name
			}
		}
		f.Rows = append(f.Rows, funnelLine(r.InstitutionID, name, r.FunnelCounts))
		total.Add(r.FunnelCounts)
	}
	f.Total = funnelLine("", "Total", total)
	return f, nil
}

// ExitSession records that the customer closed the widget before the
// session linked (POST /connect/api/exit). A session that already linked,
// failed or exited stays as it is: only a session's first end counts.
func (s *Service) ExitSession(ctx context.Context, c *kobo.Caller, sessionID string) error {
	cs, err := s.liveSession(ctx, c, sessionID)
	if err != nil {
		return err
	}
	if cs.State == kobo.SessionLinked {
		return nil
	}
	s.markStage(ctx, cs.ID, kobo.StageExited)
	return nil
}
