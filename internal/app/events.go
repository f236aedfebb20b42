package app

import (
	"context"
	"encoding/json"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// minimalRenderer is used when no webhook renderer is configured (tests of
// other packages): it records the facts as plain JSON so nothing is lost.
type minimalRenderer struct{}

func (minimalRenderer) Render(f kobo.EventFacts) (json.RawMessage, error) {
	m := map[string]any{}
	if f.Account != nil {
		m["account"] = map[string]any{"_id": f.Account.ID}
	}
	meta := map[string]any{}
	if f.DataStatus != "" {
		meta["data_status"] = f.DataStatus
	}
	if f.SyncStatus != "" {
		meta["sync_status"] = f.SyncStatus
	}
	if f.HasNewData != nil {
		meta["has_new_data"] = *f.HasNewData
	}
	if len(meta) > 0 {
		m["meta"] = meta
	}
	return json.Marshal(m)
}

// recordEvent renders and stores an event inside the caller's transaction,
// so the event exists exactly when the change that caused it committed.
func (s *Service) recordEvent(ctx context.Context, tx kobo.Tx, app *kobo.App, acct *kobo.Account, f kobo.EventFacts) error {
	_, err := s.recordEventE(ctx, tx, app, acct, f)
	return err
}

// recordEventE is recordEvent returning the stored event.
func (s *Service) recordEventE(ctx context.Context, tx kobo.Tx, app *kobo.App, acct *kobo.Account, f kobo.EventFacts) (*kobo.Event, error) {
	f.App = app
	if acct != nil {
		snap := *acct
		if snap.Institution.ID == "" {
			if in, err := s.Institution(ctx, acct.InstitutionID); err == nil {
				snap.Institution = *in
			}
		}
		f.Account = &snap
	}
	payload, err := s.renderer.Render(f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	e := &kobo.Event{ID: kobo.NewID(now), AppID: app.ID, Type: f.Type, Payload: payload, CreatedAt: now}
	if acct != nil {
		e.AccountID, e.Live = acct.ID, acct.Live
	} else {
		e.Live = f.Live
	}
	if err := tx.RecordEvent(ctx, e); err != nil {
		return nil, err
	}
	if app.WebhookURL == "" {
		return e, nil // the pull feed still has it
	}
	return e, tx.CreateDelivery(ctx, &kobo.Delivery{ID: kobo.NewID(now) + kobo.RandomToken(4), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type,
		AppID: app.ID, Live: e.Live, AccountID: e.AccountID, Status: kobo.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now})
}
