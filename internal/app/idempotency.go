package app

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// IdempotencyTTL is how long responses are kept for retries (Stripe: 24 h).
const IdempotencyTTL = 24 * time.Hour

// abandonedAfter is when an in-flight record is presumed dead (its process
// crashed before finishing) and a retry may run the request again.
const abandonedAfter = 2 * time.Minute

// BeginIdempotent registers a request under key, in the caller's app and
// mode (a sandbox request and a live one never share a key). It returns
// nil when the caller should do the work, or the record of an earlier
// request with the same key (finished, or still in flight).
func (s *Service) BeginIdempotent(ctx context.Context, c *kobo.Caller, key, hash string) (*kobo.IdempotencyRecord, error) {
	appID, live := c.App.ID, c.Mode.IsLive()
	now := s.now()
	var ex *kobo.IdempotencyRecord
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		var err error
		ex, err = tx.InsertIdempotency(ctx, &kobo.IdempotencyRecord{AppID: appID, Live: live, Key: key, RequestHash: hash, CreatedAt: now})
		if err != nil || ex == nil {
			return err
		}
		if now.Sub(ex.CreatedAt) > IdempotencyTTL || (ex.Status == 0 && now.Sub(ex.CreatedAt) > abandonedAfter) {
			if err := tx.DeleteIdempotency(ctx, appID, live, key); err != nil {
				return err
			}
			ex, err = tx.InsertIdempotency(ctx, &kobo.IdempotencyRecord{AppID: appID, Live: live, Key: key, RequestHash: hash, CreatedAt: now})
		}
		return err
	})
	return ex, err
}

// FinishIdempotent stores the first response to key. A failure to store
// only means a retry would run again, so it is logged, not returned.
func (s *Service) FinishIdempotent(ctx context.Context, c *kobo.Caller, key string, status int, body []byte, contentType string) {
	err := s.store.Update(context.WithoutCancel(ctx), func(tx kobo.Tx) error {
		return tx.CompleteIdempotency(ctx, c.App.ID, c.Mode.IsLive(), key, status, body, contentType)
	})
	if err != nil {
		s.log.WarnContext(ctx, "storing idempotent response failed", "err", err)
	}
}

// AbortIdempotent forgets key, so a retry runs the request again.
func (s *Service) AbortIdempotent(ctx context.Context, c *kobo.Caller, key string) {
	err := s.store.Update(context.WithoutCancel(ctx), func(tx kobo.Tx) error { return tx.DeleteIdempotency(ctx, c.App.ID, c.Mode.IsLive(), key) })
	if err != nil {
		s.log.WarnContext(ctx, "releasing idempotency key failed", "err", err)
	}
}
