package app

import (
	"context"
	"encoding/base64"

	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Webhook endpoint health: an endpoint that has failed every delivery for
// DisableAfter is disabled (deliveries wait, events stay in the feed) until
// the partner re-enables it.
const DisableAfter = 3 * 24 * time.Hour

// feedLag keeps the event feed from handing out an event seq before every
// lower seq has committed: Postgres assigns sequence numbers at insert, not
// at commit, so a slow transaction can commit a lower seq after a higher
// one. Transactions in kobo last milliseconds; a second is ample.
const feedLag = time.Second

// EventTypes are the events kobo sends, for validating filters.
var EventTypes = []string{
	kobo.EventAccountConnected, kobo.EventAccountUpdated, kobo.EventReauthRequired, kobo.EventAccountReauthorized,
	kobo.EventSyncFailed, kobo.EventAccountUnlinked, kobo.EventJobUpdate, kobo.EventWebhookTest,
	kobo.EventStatementJobCompleted, kobo.EventAccountIncome,
	kobo.EventStatementInsights, kobo.EventTxnCategorisation, kobo.EventTxnMetadata, kobo.EventAccountCreditWorthy,
	kobo.EventAccountIncomeFailed, kobo.EventProviderHealth,
}

// DeliveryPage is a page of the delivery log.
type DeliveryPage struct {
	Deliveries []*kobo.Delivery
	Next       string // cursor of the next (older) page, "" at the end
}

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "." + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if us, id, ok := strings.Cut(string(b), "."); ok {
			if n, err := strconv.ParseInt(us, 10, 64); err == nil && id != "" {
				return time.UnixMicro(n).UTC(), id, nil
			}
		}
	}
	return time.Time{}, "", &kobo.Error{Code: kobo.EINVALID, Message: "cursor is not one kobo issued", Fields: map[string]string{"cursor": "is invalid"}}
}

// DeliveryQuery filters the delivery log.
type DeliveryQuery struct {
	Status    string
	EventType string
	AccountID string
	Cursor    string
	Limit     int
}

// ListDeliveries is the delivery log of one of the partner's apps.
func (s *Service) ListDeliveries(ctx context.Context, partnerID, appID string, q DeliveryQuery) (*DeliveryPage, error) {
	v := kobo.Invalid{}
	f := kobo.DeliveryFilter{AppID: appID, EventType: q.EventType, AccountID: q.AccountID, Limit: q.Limit}
	switch q.Status {
	case "", "pending", "delivering", "succeeded", "failed":
		f.Status = kobo.DeliveryStatus(q.Status)
	default:
		v.Add("status", "must be pending, delivering, succeeded or failed")
	}
	if q.EventType != "" && !slices.Contains(EventTypes, q.EventType) {
		v.Add("event", "is not a kobo event type")
	}
	switch {
	case f.Limit == 0:
		f.Limit = 50
	case f.Limit < 0 || f.Limit > 500:
		v.Add("limit", "must be between 1 and 500")
	}
	if q.Cursor != "" {
		t, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		f.BeforeCreated, f.BeforeID = &t, id
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var page DeliveryPage
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		f.Limit++ // one more tells whether there is a next page
		list, err := tx.Deliveries(ctx, f)
		if err != nil {
			return err
		}
		if len(list) == f.Limit {
			list = list[:f.Limit-1]
			last := list[len(list)-1]
			page.Next = encodeCursor(last.CreatedAt, last.ID)
		}
		page.Deliveries = list
		return nil
	})
	return &page, err
}

// GetDelivery returns a delivery with its attempts.
func (s *Service) GetDelivery(ctx context.Context, partnerID, appID, id string) (*kobo.Delivery, []*kobo.DeliveryAttempt, error) {
	var d *kobo.Delivery
	var atts []*kobo.DeliveryAttempt
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		var err error
		if d, err = tx.Delivery(ctx, id); err != nil || d.AppID != appID {
			return kobo.Errorf(kobo.ENOTFOUND, "delivery not found")
		}
		atts, err = tx.DeliveryAttempts(ctx, id)
		return err
	})
	return d, atts, err
}

// Redeliver sends a delivery again (same event id) now.
func (s *Service) Redeliver(ctx context.Context, partnerID, appID, id string) (*kobo.Delivery, error) {
	var d *kobo.Delivery
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		var err error
		if d, err = tx.Delivery(ctx, id); err != nil || d.AppID != appID {
			return kobo.Errorf(kobo.ENOTFOUND, "delivery not found")
		}
		if d.Status == kobo.DeliveryDelivering {
			return kobo.Errorf(kobo.ECONFLICT, "this delivery is being attempted right now")
		}
		if err := tx.RequeueDelivery(ctx, id, s.now()); err != nil {
			return err
		}
		d, err = tx.Delivery(ctx, id)
		return err
	})
	if err == nil {
		s.notify()
	}
	return d, err
}

// SendTestEvent records a mono.events.webhook_test event for the app.
func (s *Service) SendTestEvent(ctx context.Context, partnerID, appID string, live bool) (*kobo.Event, error) {
	var ev *kobo.Event
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		app, err := ownedApp(ctx, tx, partnerID, appID)
		if err != nil {
			return err
		}
		if app.WebhookURL == "" {
			return &kobo.Error{Code: kobo.EINVALID, Message: "the app has no webhook_url; set one first", Fields: map[string]string{"webhook_url": "is not set"}}
		}
		ev, err = s.recordEventE(ctx, tx, app, nil, kobo.EventFacts{Type: kobo.EventWebhookTest, Live: live})
		return err
	})
	if err == nil {
		s.notify()
	}
	return ev, err
}

// ReplayInput selects events to deliver again.
type ReplayInput struct {
	From, To time.Time
	Types    []string
	Live     bool
}

// MaxReplay bounds one replay request: a partner catching up after an
// outage replays in steps of at most this many events.
const MaxReplay = 1_000

// Replay creates new deliveries (with the events' original ids) for an
// app's events in a time range, so a partner can catch up after an outage.
// An app has one replay in flight at a time: the next is refused
// (ECONFLICT) until every delivery the last one queued has been tried once,
// so replays cannot queue work at an endpoint faster than kobo delivers.
func (s *Service) Replay(ctx context.Context, partnerID, appID string, in ReplayInput) (int, error) {
	v := kobo.Invalid{}
	if in.From.IsZero() {
		v.Add("from", "is required (RFC 3339 time)")
	}
	if in.To.IsZero() {
		in.To = s.clock.Now()
	}
	if !in.From.IsZero() && !in.To.After(in.From) {
		v.Add("to", "must be after from")
	}
	for _, t := range in.Types {
		if !slices.Contains(EventTypes, t) {
			v.Add("event_types", fmt.Sprintf("%q is not a kobo event type", t))
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		app, err := ownedApp(ctx, tx, partnerID, appID)
		if err != nil {
			return err
		}
		if app.WebhookURL == "" {
			return &kobo.Error{Code: kobo.EINVALID, Message: "the app has no webhook_url; set one first", Fields: map[string]string{"webhook_url": "is not set"}}
		}
		evs, err := tx.Events(ctx, kobo.EventFilter{AppID: app.ID, Live: in.Live, From: &in.From, To: &in.To, Types: in.Types, Limit: MaxReplay + 1})
		if err != nil {
			return err
		}
		if len(evs) > MaxReplay {
			return kobo.Errorf(kobo.EINVALID, "the range holds more than %d events; replay a shorter range", MaxReplay)
		}
		now := s.now()
		started, err := tx.StartReplay(ctx, app.ID, now)
		if err != nil {
			return err
		}
		if !started {
			return kobo.Errorf(kobo.ECONFLICT, "this app's last replay is still in flight: replay again once each event it queued has been attempted")
		}
		// account by account: stores that lock an account's queue take the
		// locks in one order everywhere (see postgres.lockAccountQueue)
		slices.SortStableFunc(evs, func(a, b *kobo.Event) int { return strings.Compare(a.AccountID, b.AccountID) })
		for _, e := range evs {
			if err := tx.CreateDelivery(ctx, &kobo.Delivery{ID: kobo.NewID(now) + kobo.RandomToken(4), EventID: e.ID, EventSeq: e.Seq, EventType: e.Type,
				AppID: app.ID, Live: e.Live, AccountID: e.AccountID, Status: kobo.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		n = len(evs)
		return nil
	})
	if err == nil && n > 0 {
		s.notify()
	}
	return n, err
}

// EventPage is a page of the pull feed.
type EventPage struct {
	Events []*kobo.Event
	Cursor string // pass back to get what came after; stable across restarts
	More   bool
}

// Feed is the pull feed of an app's events after cursor, oldest first.
func (s *Service) Feed(ctx context.Context, partnerID, appID, cursor string, limit int, live bool) (*EventPage, error) {
	var after int64
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		n, perr := strconv.ParseInt(strings.TrimPrefix(string(b), "seq:"), 10, 64)
		if err != nil || perr != nil || !strings.HasPrefix(string(b), "seq:") || n < 0 {
			return nil, &kobo.Error{Code: kobo.EINVALID, Message: "cursor is not one kobo issued", Fields: map[string]string{"cursor": "is invalid"}}
		}
		after = n
	}
	switch {
	case limit == 0:
		limit = 100
	case limit < 0 || limit > 1000:
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "limit must be between 1 and 1000", Fields: map[string]string{"limit": "is out of range"}}
	}
	page := &EventPage{}
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		before := s.clock.Now().Add(-feedLag)
		evs, err := tx.Events(ctx, kobo.EventFilter{AppID: appID, Live: live, AfterSeq: after, Before: &before, Limit: limit + 1})
		if err != nil {
			return err
		}
		if len(evs) > limit {
			evs, page.More = evs[:limit], true
		}
		page.Events = evs
		return nil
	})
	if err != nil {
		return nil, err
	}
	last := after
	if n := len(page.Events); n > 0 {
		last = page.Events[n-1].Seq
	}
	page.Cursor = base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(last, 10)))
	return page, nil
}

// EnableWebhooks re-enables an endpoint kobo disabled after it failed for
// days; waiting deliveries go out again.
func (s *Service) EnableWebhooks(ctx context.Context, partnerID, appID string) error {
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, partnerID, appID, AuditWebhooksReenabled, "webhook endpoint", "", nil); err != nil {
			return err
		}
		return tx.SetWebhookHealth(ctx, appID, nil, nil)
	})
	if err == nil {
		s.notify()
	}
	return err
}

// RecordWebhookHealth is called by the dispatcher after a batch: ok says
// whether the endpoint answered 2xx this time. It returns true when the
// endpoint has just been disabled.
func (s *Service) RecordWebhookHealth(ctx context.Context, appID string, ok bool) (bool, error) {
	// Nearly every batch is a healthy endpoint answering 2xx again, which
	// changes nothing: find that out with a read, so the dispatcher does
	// not take the (single, on SQLite) writer once per batch for nothing.
	unchanged := false
	if ok {
		err := s.store.View(ctx, func(tx kobo.Tx) error {
			app, err := tx.App(ctx, appID)
			if err != nil {
				return err
			}
			unchanged = app.WebhookFailingSince == nil && app.WebhookDisabledAt == nil
			return nil
		})
		if err != nil || unchanged {
			return false, err
		}
	}
	disabled := false
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		app, err := tx.App(ctx, appID)
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case ok && (app.WebhookFailingSince != nil || app.WebhookDisabledAt != nil):
			return tx.SetWebhookHealth(ctx, appID, nil, nil)
		case ok:
			return nil
		case app.WebhookFailingSince == nil:
			return tx.SetWebhookHealth(ctx, appID, &now, nil)
		case app.WebhookDisabledAt == nil && now.Sub(*app.WebhookFailingSince) >= DisableAfter:
			disabled = true
			s.log.WarnContext(ctx, "webhook endpoint disabled after failing for days", "app_id", appID, "since", app.WebhookFailingSince)
			return tx.SetWebhookHealth(ctx, appID, app.WebhookFailingSince, &now)
		}
		return nil
	})
	return disabled, err
}

// parseTime accepts RFC 3339 or a date.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time like 2026-01-31T00:00:00Z", s)
}

// FireEvent records an event of any type for a sandbox account, so
// partners can test their handlers (POST /v2/sandbox/accounts/{id}/webhooks/fire).
func (s *Service) FireEvent(ctx context.Context, c *kobo.Caller, accountID, eventType string) (*kobo.Event, error) {
	// whose account comes first: a stranger learns nothing, not even
	// which event names are valid
	acct, err := s.ownedAccount(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	if c.Mode.IsLive() {
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "sandbox controls need a test key")
	}
	if !slices.Contains(EventTypes, eventType) {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "event must be one of " + strings.Join(EventTypes, ", "), Fields: map[string]string{"event": "is not a kobo event type"}}
	}
	var extra map[string]any
	if eventType == kobo.EventAccountIncome {
		// a fired income event carries a real report of the account, so a
		// receiver's parser meets the shape it will get in earnest
		report, err := s.incomeOf(ctx, acct, 12)
		if err != nil {
			return nil, err
		}
		extra = NewMonoIncome(acct.ID, 12, report).Fields()
		extra["account_name"], extra["account_number"] = acct.Name, string(acct.AccountNumber)
	}
	var ev *kobo.Event
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		app, err := tx.App(ctx, acct.AppID)
		if err != nil {
			return err
		}
		hasNew := true
		f := kobo.EventFacts{Type: eventType, DataStatus: acct.DataStatus, RetrievedData: acct.RetrievedData, Live: acct.Live, Extra: extra}
		switch eventType {
		case kobo.EventAccountUpdated:
			f.SyncStatus, f.HasNewData = "SUCCESSFUL", &hasNew
		case kobo.EventSyncFailed:
			f.SyncStatus = "FAILED"
		case kobo.EventJobUpdate:
			f.JobID, f.JobName, f.JobStatus = kobo.NewID(s.now()), JobSyncStatement, "finished"
		}
		ev, err = s.recordEventE(ctx, tx, app, acct, f)
		return err
	})
	if err == nil {
		s.notify()
	}
	return ev, err
}

// ResetLogin makes the sandbox bank demand MFA at the account's next sync,
// which drives re-authorisation (POST /v2/sandbox/accounts/{id}/reset_login).
func (s *Service) ResetLogin(ctx context.Context, c *kobo.Caller, accountID string) error {
	acct, err := s.ownedAccount(ctx, c, accountID)
	if err != nil {
		return err
	}
	if c.Mode.IsLive() {
		return kobo.Errorf(kobo.EFORBIDDEN, "sandbox controls need a test key")
	}
	if s.sandbox == nil {
		return kobo.Errorf(kobo.EUNAVAILABLE, "no sandbox bank is configured")
	}
	var bs sealedBankSession
	if err := s.unseal(acct.Credentials, "account:"+acct.ID, &bs); err != nil {
		return fmt.Errorf("open credentials: %w", err)
	}
	if err := s.sandbox.RequireMFA(ctx, kobo.BankSession{Token: kobo.Secret(bs.Token), ExpiresAt: bs.ExpiresAt, Persist: kobo.Secret(bs.Persist), Tenant: bs.Tenant}); err != nil {
		return err
	}
	// End the stored bank session too: while it lasted, the next sync used
	// it and succeeded, which is not what "the next sync will need
	// re-authorisation" promises. A session that has expired makes the
	// next sync log in again, and that login is the one the bank refuses.
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		cur, err := tx.Account(ctx, acct.ID)
		if err != nil {
			return err
		}
		var bs sealedBankSession
		if err := s.unseal(cur.Credentials, "account:"+cur.ID, &bs); err != nil {
			return err
		}
		bs.Token, bs.ExpiresAt = "", s.clock.Now().Add(-time.Minute).UTC()
		if cur.Credentials, err = s.seal(bs, "account:"+cur.ID); err != nil {
			return err
		}
		return tx.UpdateAccount(ctx, cur)
	})
}

// AdvanceClock moves the sandbox bank's clock for the caller's app, so a
// month of salaries and spending happens at once.
func (s *Service) AdvanceClock(ctx context.Context, c *kobo.Caller, d time.Duration) (time.Time, error) {
	if c.Mode.IsLive() {
		return time.Time{}, kobo.Errorf(kobo.EFORBIDDEN, "sandbox controls need a test key")
	}
	if d <= 0 || d > 400*24*time.Hour {
		return time.Time{}, &kobo.Error{Code: kobo.EINVALID, Message: "days must be between 1 and 400 (or hours between 1 and 9600)", Fields: map[string]string{"days": "is out of range"}}
	}
	if s.sandbox == nil {
		return time.Time{}, kobo.Errorf(kobo.EUNAVAILABLE, "no sandbox bank is configured")
	}
	return s.sandbox.AdvanceClock(ctx, c.App.ID, d)
}

// SandboxNow is the sandbox bank's time for the caller's app.
func (s *Service) SandboxNow(ctx context.Context, c *kobo.Caller) (time.Time, error) {
	if s.sandbox == nil {
		return time.Time{}, kobo.Errorf(kobo.EUNAVAILABLE, "no sandbox bank is configured")
	}
	return s.sandbox.Now(ctx, c.App.ID)
}
