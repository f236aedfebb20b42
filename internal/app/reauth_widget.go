package app

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ErrReauthNeedsToken is the widget's answer to a re-authorisation asked
// for with the public key alone.
const ErrReauthNeedsToken = "Re-authorisation from the widget needs a re-auth token: get one with your secret key from POST /accounts/{id}/reauthorise and pass it to connect.reauthorise(token), or send the customer a link from POST /v2/accounts/initiate with scope reauth."

// widgetReauthLimit bounds the re-authorisation logins the widget may
// start for one account: each logs in to the bank with the customer's
// stored credentials, which can trigger an OTP to the customer's phone
// or lock their bank login.
func widgetReauthLimit() throttle {
	return throttle{Name: "widget-reauth", Limit: 10, Period: 10 * time.Minute}
}

const errReauthTooMany = "too many re-authorisation attempts for this account; try again in a few minutes"

// widgetReauth decides whether a re-authorisation the widget asks for may
// log in to the bank, and returns the account. The public key is public
// (it sits in the partner's web page), so it proves nothing: the partner's
// server must have asked, with a token from Reauthorise or a Connect Link
// of scope reauth (both made with the secret key), and only for an
// account that needs it, exactly as POST /accounts/{id}/reauthorise
// requires.
func (s *Service) widgetReauth(ctx context.Context, c *kobo.Caller, accountID string, in SessionInput) (*kobo.Account, error) {
	switch {
	case in.ViaLink:
		// the link was signed by kobo for a secret key's request naming
		// this account (the HTTP layer takes the account from the link)
	case in.ReauthToken != "":
		id, err := s.ResolveReauthToken(ctx, c, in.ReauthToken)
		if err != nil {
			return nil, err
		}
		if accountID != "" && accountID != id {
			return nil, &kobo.Error{Code: kobo.EINVALID, Message: "this re-authorisation token is for another account", Fields: map[string]string{"account": "does not match the re-auth token"}}
		}
		accountID = id
	default:
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "%s", ErrReauthNeedsToken)
	}
	acct, err := s.ownedAccount(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	if !acct.ReauthRequired {
		return nil, kobo.Errorf(kobo.EINVALID, "%s", ErrCannotReauthorise)
	}
	if err := s.takeThrottle(ctx, widgetReauthLimit(), acct.ID, errReauthTooMany); err != nil {
		return nil, err
	}
	return acct, nil
}

// ReauthTarget is what the widget's re-authorisation entry screen names
// before anything is asked of the bank: the account and its bank. It
// needs the same say-so as widgetReauth (a re-auth token or a Connect
// Link) but logs in to nothing, so it takes no throttle.
func (s *Service) ReauthTarget(ctx context.Context, c *kobo.Caller, accountID string, in SessionInput) (*kobo.Account, *kobo.Institution, error) {
	switch {
	case in.ViaLink:
	case in.ReauthToken != "":
		id, err := s.ResolveReauthToken(ctx, c, in.ReauthToken)
		if err != nil {
			return nil, nil, err
		}
		accountID = id
	default:
		return nil, nil, kobo.Errorf(kobo.EFORBIDDEN, "%s", ErrReauthNeedsToken)
	}
	acct, err := s.ownedAccount(ctx, c, accountID)
	if err != nil {
		return nil, nil, err
	}
	inst, err := s.Institution(ctx, acct.InstitutionID)
	if err != nil {
		return nil, nil, err
	}
	return acct, inst, nil
}
