package app

import (
	"context"
	"sort"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// RealProviders names the bank connectors of this deployment other than
// the sandbox bank: what live mode can reach. Empty means live keys work
// but every bank is still the simulator.
func (s *Service) RealProviders() []string {
	var out []string
	for name, p := range s.providers {
		if any(p) == any(s.sandbox) || name == "banksim" {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// LiveWebhookURL returns the app's live webhook URL ("" when live events
// go to the sandbox one).
func (s *Service) LiveWebhookURL(ctx context.Context, orgID, appID string) (string, error) {
	var u string
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, orgID, appID); err != nil {
			return err
		}
		var err error
		u, err = tx.LiveWebhookURL(ctx, appID)
		return err
	})
	return u, err
}

// SetLiveWebhookURL sets where live events go, apart from sandbox ones;
// "" sends them to the app's webhook URL again. It is checked as a live
// app's URL always (https, no private or loopback targets).
func (s *Service) SetLiveWebhookURL(ctx context.Context, orgID, appID, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw != "" {
		if msg := checkWebhookURL(raw, true, true, s.lookupWebhookHost(ctx, raw)); msg != "" {
			return &kobo.Error{Code: kobo.EINVALID, Message: "live_webhook_url " + msg, Fields: map[string]string{"live_webhook_url": msg}}
		}
	}
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := ownedApp(ctx, tx, orgID, appID)
		if err != nil {
			return err
		}
		was, err := tx.LiveWebhookURL(ctx, appID)
		if err != nil || was == raw {
			return err
		}
		if err := tx.SetLiveWebhookURL(ctx, appID, raw, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.PartnerID, a.ID, AuditLiveWebhookChanged, cmpOrStr(raw, "(none: live events go to the webhook URL)"), "was "+cmpOrStr(was, "(none)"), nil)
	})
}
