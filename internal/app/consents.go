package app

import (
	"context"
	"fmt"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ConsentWarning is how long before a consent ends kobo announces it
// (mono.events.consent_expiring).
const ConsentWarning = 7 * 24 * time.Hour

// AnnounceExpiringConsents records consent_expiring for every consent
// ending within ConsentWarning that has not been announced. Each consent
// is claimed once in the database, so replicas running this at once never
// announce one twice; a re-consent with a new expiry is announced again.
func (s *Service) AnnounceExpiringConsents(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			now := s.now()
			list, err := tx.ClaimExpiringConsents(ctx, now.Add(ConsentWarning), now, 100)
			if err != nil {
				return err
			}
			n = len(list)
			for _, c := range list {
				acct, err := tx.Account(ctx, c.AccountID)
				if kobo.ErrorCode(err) == kobo.ENOTFOUND {
					continue
				}
				if err != nil {
					return err
				}
				app, err := tx.App(ctx, acct.AppID)
				if kobo.ErrorCode(err) == kobo.ENOTFOUND {
					continue // a deleted app hears nothing more
				}
				if err != nil {
					return err
				}
				if in, err := s.Institution(ctx, acct.InstitutionID); err == nil {
					acct.Institution = *in
				}
				if err := s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventConsentExpiring, Extra: map[string]any{
					"expires_at": c.ExpiresAt.UTC().Format(time.RFC3339), "provider": c.Provider, "consent": c.Kind,
					"expired": !now.Before(*c.ExpiresAt),
				}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n > 0 {
			s.notify()
		}
		if n < 100 {
			return total, nil
		}
	}
}

// accountConsent returns the account's consent, nil when none is kept
// (accounts linked before consents were, statement uploads).
func (s *Service) accountConsent(ctx context.Context, accountID string) (*kobo.AccountConsent, error) {
	var c *kobo.AccountConsent
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		c, err = tx.AccountConsent(ctx, accountID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, nil
	}
	return c, err
}

// AccountConsent is the consent behind an account the caller may see (nil
// when none is kept).
func (s *Service) AccountConsent(ctx context.Context, c *kobo.Caller, accountID string) (*kobo.AccountConsent, error) {
	if _, err := s.ownedAccount(ctx, c, accountID); err != nil {
		return nil, err
	}
	return s.accountConsent(ctx, accountID)
}

// AccountIdentifiers returns an account's identifiers beside its account
// number (IBAN, sort code and number), by scheme.
func (s *Service) AccountIdentifiers(ctx context.Context, c *kobo.Caller, accountID string) ([]kobo.AccountIdentifier, error) {
	if _, err := s.ownedAccount(ctx, c, accountID); err != nil {
		return nil, err
	}
	var out []kobo.AccountIdentifier
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.AccountIdentifiers(ctx, accountID)
		return err
	})
	return out, err
}

// consentExpired reports whether c has ended at now.
func consentExpired(c *kobo.AccountConsent, now time.Time) bool {
	return c != nil && c.ExpiresAt != nil && !now.Before(*c.ExpiresAt)
}

func consentExpiredMessage(c *kobo.AccountConsent) string {
	return fmt.Sprintf("The customer's consent at %s expired on %s; re-authorise the account (POST /accounts/{id}/reauthorise) to sync it again.",
		c.Provider, c.ExpiresAt.UTC().Format("2006-01-02"))
}
