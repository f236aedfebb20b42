package app

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// healthy is how a recorded health reads for transitions: a provider never
// checked is taken as working, so the first failure is a change.
func healthy(h kobo.ProviderHealth) bool { return h.CheckedAt.IsZero() || h.OK }

// setProviderHealth records an app's health at a provider (a credential
// check, or the provider refusing the app's keys) and, when it changes
// between working and not, tells the app once with
// kobo.events.provider_health: a provider refusing every call of a sync
// is one "down", and the check that passes again one "up". The previous
// health is the one the write replaced, read by the store under the row's
// lock: replicas recording the same change at once would otherwise both
// read the old health and both send the event. ENOTFOUND when the app
// configured no keys of its own at the provider (the deployment's
// defaults have no row to mark).
func (s *Service) setProviderHealth(ctx context.Context, tx kobo.Tx, appID, provider string, h kobo.ProviderHealth) error {
	prev, err := tx.SetAppProviderHealth(ctx, appID, provider, h)
	if err != nil {
		return err
	}
	return s.announceProviderHealth(ctx, tx, appID, provider, prev, h)
}

// announceProviderHealth records kobo.events.provider_health when the
// health went from was to now across working and not.
func (s *Service) announceProviderHealth(ctx context.Context, tx kobo.Tx, appID, provider string, was, now kobo.ProviderHealth) error {
	if now.CheckedAt.IsZero() || healthy(was) == now.OK {
		return nil
	}
	app, err := tx.App(ctx, appID)
	if err != nil {
		return err
	}
	status := "down"
	if now.OK {
		status = "up"
	}
	s.log.InfoContext(ctx, "provider health changed", "app_id", appID, "provider", provider, "status", status)
	_, err = s.recordEventE(ctx, tx, app, nil, kobo.EventFacts{Type: kobo.EventProviderHealth, Live: app.Live, Extra: map[string]any{
		"provider": provider, "status": status, "message": now.Message, "checked_at": now.CheckedAt.UTC().Format("2006-01-02T15:04:05.000Z")}})
	return err
}
