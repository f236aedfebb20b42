package app

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestEventTypes are the events a partner can fire at their endpoint on
// demand, each with a sample account.
var TestEventTypes = []string{kobo.EventWebhookTest, kobo.EventAccountConnected, kobo.EventAccountUpdated, kobo.EventSyncFailed,
	kobo.EventReauthRequired, kobo.EventAccountReauthorized, kobo.EventAccountUnlinked}

// sampleAccountID names no account, so a receiver that acts on a test
// event (deletes what account_unlinked names) touches nothing real.
const sampleAccountID = "000000000000000000000000"

// SendTestEventOfType records a test event of typ with a sample account
// (id 000000000000000000000000, "SAMPLE ACCOUNT") in the shape a real one
// has, so a partner can exercise each handler. The event is in the feed
// and delivered like any other; it never names a real account.
func (s *Service) SendTestEventOfType(ctx context.Context, orgID, appID string, live bool, typ string) (*kobo.Event, error) {
	if typ == "" || typ == kobo.EventWebhookTest {
		return s.SendTestEvent(ctx, orgID, appID, live)
	}
	ok := false
	for _, t := range TestEventTypes {
		ok = ok || t == typ
	}
	if !ok {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "type must be one of the test event types", Fields: map[string]string{"type": "is not a test event type"}}
	}
	var ev *kobo.Event
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		app, err := ownedApp(ctx, tx, orgID, appID)
		if err != nil {
			return err
		}
		if app.WebhookURL == "" {
			return &kobo.Error{Code: kobo.EINVALID, Message: "the app has no webhook_url; set one first", Fields: map[string]string{"webhook_url": "is not set"}}
		}
		now := s.now()
		acct := &kobo.Account{ID: sampleAccountID, AppID: app.ID, Live: live, Name: "SAMPLE ACCOUNT", AccountNumber: "0000000000", Type: "SAVINGS", Currency: "NGN",
			Balance: 100_000_00, AuthMethod: kobo.InternetBanking, DataStatus: kobo.DataAvailable, Reference: "kobo-test-event",
			Institution: kobo.Institution{Name: "Sample Bank", BankCode: "000", Type: "PERSONAL_BANKING"}, CreatedAt: now, UpdatedAt: now}
		facts := kobo.EventFacts{Type: typ, Live: live, Account: acct, DataStatus: kobo.DataAvailable, SyncStatus: "SUCCESSFUL"}
		if typ == kobo.EventSyncFailed {
			facts.SyncStatus, facts.DataStatus = "FAILED", kobo.DataFailed
		}
		// no account row: the event stands alone (account id empty in the
		// feed), the sample lives only in its payload
		ev, err = s.recordEventE(ctx, tx, app, nil, facts)
		return err
	})
	if err == nil {
		s.notify()
	}
	return ev, err
}
