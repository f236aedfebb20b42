package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Retention is how long kobo keeps what outlives its use. Zero fields take
// the defaults (DefaultRetention).
type Retention struct {
	// AppPurgeGrace is how long a deleted app's customers, accounts,
	// credentials and data are kept (not synced, not readable: the keys
	// are revoked) before they are purged: a window in which an operator
	// can still recover a mistaken deletion from the database (kobo has no
	// undelete command). DELETE /v1/apps/{id}?purge=true skips it.
	AppPurgeGrace time.Duration
	// Events is how long events and webhook delivery logs are kept.
	Events time.Duration
	// Sessions is how long connect sessions are kept after they expire,
	// and customers that have no linked account after their last change.
	Sessions time.Duration
	// Statements is how long a built statement PDF is kept.
	Statements time.Duration
}

// DefaultRetention is what kobo keeps without configuration.
var DefaultRetention = Retention{AppPurgeGrace: 7 * 24 * time.Hour, Events: 30 * 24 * time.Hour, Sessions: 7 * 24 * time.Hour, Statements: 24 * time.Hour}

func (r Retention) withDefaults() Retention {
	d := DefaultRetention
	if r.AppPurgeGrace > 0 {
		d.AppPurgeGrace = r.AppPurgeGrace
	}
	if r.Events > 0 {
		d.Events = r.Events
	}
	if r.Sessions > 0 {
		d.Sessions = r.Sessions
	}
	if r.Statements > 0 {
		d.Statements = r.Statements
	}
	return d
}

// purgeBatch is how many accounts one purge transaction deletes (each
// with its whole history), and pruneBatch how many rows one prune
// statement deletes: enough to keep up, small enough that the writer is
// never held long.
const (
	purgeBatch = 20
	pruneBatch = 1000
)

// DeleteApp deletes an app: in one transaction its keys stop working and
// its accounts stop syncing (queued fetches are cancelled). Then each
// account is announced unlinked (mono.events.account_unlinked, delivered to
// the app's webhook as its last word, the way Mono and Plaid tell a partner
// its items are gone) and the account's earlier event payloads are
// redacted, in batches that each commit with the cursor saying how far
// they got, so a large app never holds the writer long and an interrupted
// run resumes (PurgeDeletedApps). The customers, accounts, credentials and
// data are purged after the grace period (Retention.AppPurgeGrace), or now
// with purge.
func (s *Service) DeleteApp(ctx context.Context, partnerID, appID string, purge bool) error {
	now := s.now()
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, partnerID, appID); err != nil {
			return err
		}
		if err := tx.DeleteApp(ctx, appID, now); err != nil {
			return err
		}
		if err := keysChanged(ctx, tx); err != nil {
			return err
		}
		if err := tx.StopAppWork(ctx, appID, now); err != nil {
			return err
		}
		at := now.Add(s.retention.AppPurgeGrace)
		if purge {
			at = now
		}
		if err := tx.ScheduleAppPurge(ctx, appID, at); err != nil {
			return err
		}
		action, detail := AuditAppDeleted, "data purged after the grace period, at "+at.Format(time.RFC3339)
		if purge {
			action, detail = AuditDataPurged, "app deleted and its data purged now"
		}
		if err := s.audit(ctx, tx, partnerID, appID, action, appID, detail, nil); err != nil {
			return err
		}
		start := ""
		return tx.SetUnlinkCursor(ctx, appID, &start)
	})
	if err != nil {
		return err
	}
	s.keys.purgeApp(appID)
	s.log.InfoContext(ctx, "app deleted", "app_id", appID, "purge_now", purge)
	if err := s.announceDeletedApp(ctx, appID); err != nil {
		if !purge {
			// deleted and stopped; the scheduler finishes the announcements
			s.log.WarnContext(ctx, "announcing a deleted app's accounts failed; the scheduler resumes it", "app_id", appID, "err", err)
			return nil
		}
		return err
	}
	if purge {
		return s.purgeApp(ctx, appID)
	}
	return nil
}

// unlinkBatch is how many accounts one announcement transaction takes.
const unlinkBatch = 200

// announceDeletedApp announces a deleted app's accounts unlinked from
// where its cursor stands, a batch per transaction.
func (s *Service) announceDeletedApp(ctx context.Context, appID string) error {
	for {
		done := false
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			cur, err := tx.UnlinkCursor(ctx, appID)
			if err != nil || cur == nil {
				done = true
				return err
			}
			app, err := tx.DeletedApp(ctx, appID)
			if err != nil {
				return err
			}
			list, err := tx.AppAccounts(ctx, appID, *cur, unlinkBatch)
			if err != nil {
				return err
			}
			next := *cur
			for _, acct := range list {
				if err := s.announceUnlinked(ctx, tx, app, acct); err != nil {
					return err
				}
				next = acct.ID
			}
			if len(list) < unlinkBatch {
				done = true
				return tx.SetUnlinkCursor(ctx, appID, nil)
			}
			return tx.SetUnlinkCursor(ctx, appID, &next)
		})
		if err != nil {
			return err
		}
		s.notify()
		if done {
			return nil
		}
	}
}

// announceUnlinked records account_unlinked and redacts what the
// account's earlier events said about it.
func (s *Service) announceUnlinked(ctx context.Context, tx kobo.Tx, app *kobo.App, acct *kobo.Account) error {
	evs, err := tx.EventsByAccount(ctx, acct.ID)
	if err != nil {
		return err
	}
	for _, e := range evs {
		red, changed, err := RedactPayload(e.Payload)
		if err != nil {
			return err
		}
		if changed {
			if err := tx.UpdateEventPayload(ctx, e.ID, red); err != nil {
				return err
			}
		}
	}
	return s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventAccountUnlinked})
}

// PurgeDeletedApps finishes the announcements of deleted apps whose
// delete was interrupted, purges the data of those whose grace period is
// over, and returns how many apps it purged.
func (s *Service) PurgeDeletedApps(ctx context.Context) (int, error) {
	var pending, due []string
	if err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		pending, err = tx.AppsUnlinkPending(ctx, 100)
		return err
	}); err != nil {
		return 0, err
	}
	for _, id := range pending {
		if err := s.announceDeletedApp(ctx, id); err != nil {
			return 0, err
		}
	}
	if err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		due, err = tx.AppsDueForPurge(ctx, s.clock.Now(), 100)
		return err
	}); err != nil {
		return 0, err
	}
	for i, id := range due {
		if err := s.purgeApp(ctx, id); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

func (s *Service) purgeApp(ctx context.Context, appID string) error {
	for {
		var done bool
		if err := s.store.Update(ctx, func(tx kobo.Tx) error {
			var err error
			done, err = tx.PurgeAppBatch(ctx, appID, purgeBatch, s.now())
			return err
		}); err != nil {
			return err
		}
		if done {
			s.log.InfoContext(ctx, "deleted app purged", "app_id", appID)
			return nil
		}
	}
}

// Prune deletes, in batches, what retention no longer keeps: events and
// delivery logs, expired connect sessions, customers that never linked,
// statement PDFs and expired tokens. It returns how many rows of each
// kind went.
func (s *Service) Prune(ctx context.Context) (map[kobo.PruneKind]int, error) {
	now := s.clock.Now()
	cutoff := map[kobo.PruneKind]time.Time{
		kobo.PruneEvents:     now.Add(-s.retention.Events),
		kobo.PruneSessions:   now.Add(-s.retention.Sessions),
		kobo.PruneCustomers:  now.Add(-s.retention.Sessions),
		kobo.PruneStatements: now.Add(-s.retention.Statements),
		kobo.PruneTokens:     now,
	}
	out := map[kobo.PruneKind]int{}
	for _, k := range kobo.PruneKinds {
		for {
			var n int
			if err := s.store.Update(ctx, func(tx kobo.Tx) error {
				var err error
				n, err = tx.Prune(ctx, k, cutoff[k], pruneBatch)
				return err
			}); err != nil {
				return out, err
			}
			out[k] += n
			if n < pruneBatch {
				break
			}
		}
	}
	return out, nil
}

// keptKeys are the payload fields an unlinked account's events keep:
// identifiers and states, nothing about the customer or their money.
var keptKeys = map[string]bool{
	"_id": true, "id": true, "app": true, "business": true, "account": true, "meta": true,
	"data_status": true, "auth_method": true, "sync_status": true, "job_id": true, "has_new_data": true,
	"retrieved_data": true, "status": true, "institution": true, "bankCode": true, "type": true,
	"liveMode": true, "authMethod": true, "scope": true, "accessType": true, "created_at": true, "updated_at": true,
}

// RedactPayload keeps only identifiers and states of an event payload
// (keptKeys, at any depth; an institution's name is kept, a person's is
// not) and reports whether anything went.
func RedactPayload(p json.RawMessage) (json.RawMessage, bool, error) {
	var v any
	if err := json.Unmarshal(p, &v); err != nil {
		return nil, false, err
	}
	changed := false
	var walk func(v any, parent string) any
	walk = func(v any, parent string) any {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				keep := keptKeys[k] || (parent == "institution" && k == "name")
				if !keep {
					delete(x, k)
					changed = true
					continue
				}
				x[k] = walk(c, k)
			}
			return x
		case []any:
			for i, c := range x {
				x[i] = walk(c, parent)
			}
			return x
		}
		return v
	}
	v = walk(v, "")
	if !changed {
		return p, false, nil
	}
	out, err := json.Marshal(v)
	return out, true, err
}
