package app

import (
	"context"
	"net/http"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ProviderWebhook takes a provider's own webhook for one app
// (POST /v1/providers/{provider}/webhooks/{app_id}): the provider checks
// it with the app's credentials at that provider (Mono: the
// mono-webhook-secret) and decodes it, and kobo turns each event into its
// own flow for the account the provider names: new data upstream is a
// sync, a re-authorisation the upstream wants is kobo's re-authorisation
// (the partner gets reauthorisation_required), an upstream unlink is
// kobo's unlink. The work is a few rows and queued jobs, so the provider
// gets its 200 at once. A request that does not verify is EUNAUTHORIZED;
// an event for an account kobo does not know is acknowledged and dropped
// (the provider would only retry it).
func (s *Service) ProviderWebhook(ctx context.Context, provider, appID string, h http.Header, body []byte) error {
	r, isReceiver := capability[kobo.WebhookReceiver](s.providers[provider])
	if !isReceiver {
		return kobo.Errorf(kobo.ENOTFOUND, "provider %s takes no webhooks here", strconvQuote(provider))
	}
	var app *kobo.App
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		app, err = tx.App(ctx, appID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		// the same answer as a bad secret: the URL does not tell which apps exist
		return kobo.Errorf(kobo.EUNAUTHORIZED, "Unauthorized request.")
	}
	if err != nil {
		return err
	}
	creds, err := s.providerCredentials(ctx, app.ID, provider)
	if err != nil {
		return err
	}
	events, err := r.ReceiveWebhook(ctx, creds, h, body)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		for _, ev := range events {
			if err := s.applyProviderEvent(ctx, tx, app, provider, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.notify()
	return nil
}

func (s *Service) applyProviderEvent(ctx context.Context, tx kobo.Tx, app *kobo.App, provider string, ev kobo.ProviderEvent) error {
	if ev.AccountRef == "" {
		return nil
	}
	list, err := tx.AccountsByProviderRef(ctx, app.ID, ev.AccountRef)
	if err != nil {
		return err
	}
	for _, acct := range list {
		inst, err := s.Institution(ctx, acct.InstitutionID)
		if err != nil {
			continue
		}
		// the provider the account was linked through (its consent), not
		// the institution's default: an institution several providers
		// reach has accounts of each, and only that provider's events
		// are about this one
		through, err := s.linkedThrough(ctx, tx, acct, inst)
		if err != nil {
			return err
		}
		if through != provider {
			continue // another provider's account with a ref alike
		}
		acct.Institution = *inst
		switch ev.Kind {
		case kobo.ProviderAccountUpdated:
			reason := "sync"
			if acct.ReauthRequired {
				// the customer re-authorised at the provider itself: the
				// fetch may run, and clears the flag when it succeeds
				reason = "reauth"
			}
			if err := s.enqueueFetch(ctx, tx, acct.ID, reason, false); err != nil {
				return err
			}
		case kobo.ProviderReauthRequired, kobo.ProviderConsentRevoked:
			if acct.ReauthRequired {
				continue
			}
			acct.ReauthRequired, acct.NextSyncAt, acct.UpdatedAt = true, nil, s.now()
			if err := tx.UpdateAccount(ctx, acct); err != nil {
				return err
			}
			if err := s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventReauthRequired}); err != nil {
				return err
			}
		case kobo.ProviderIncomeReady:
			if err := s.upstreamIncomeReady(ctx, tx, provider, acct, ev.Income); err != nil {
				return err
			}
		case kobo.ProviderAccountUnlinked:
			if err := s.announceUnlinked(ctx, tx, app, acct); err != nil {
				return err
			}
			if err := tx.DeleteAccount(ctx, acct.ID); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "account unlinked upstream", "account_id", acct.ID, "app_id", app.ID, "provider", provider)
		}
	}
	return nil
}

// linkedThrough is the provider an account was linked through: its
// consent's, or for accounts linked before consents were kept, the
// institution's default.
func (s *Service) linkedThrough(ctx context.Context, tx kobo.Tx, acct *kobo.Account, inst *kobo.Institution) (string, error) {
	c, err := tx.AccountConsent(ctx, acct.ID)
	switch kobo.ErrorCode(err) {
	case "":
		if c.Provider != "" {
			return c.Provider, nil
		}
	case kobo.ENOTFOUND:
	default:
		return "", err
	}
	if list := institutionProviders(inst); len(list) > 0 {
		return list[0], nil
	}
	return "", nil
}
