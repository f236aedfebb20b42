package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ClaimDueAccounts uses FOR UPDATE SKIP LOCKED so schedulers on several
// replicas never take the same account.
func (t *tx) ClaimDueAccounts(ctx context.Context, now time.Time, limit int) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `UPDATE accounts SET next_sync_at = NULL
		WHERE id IN (SELECT id FROM accounts WHERE next_sync_at IS NOT NULL AND next_sync_at <= $1 AND NOT reauth_required
			ORDER BY next_sync_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+accountReadCols, utc(now), limit)
}

func (t *tx) DeleteAccount(ctx context.Context, id string) error {
	return t.execOne(ctx, "account", `DELETE FROM accounts WHERE id = $1`, id)
}

func (t *tx) SetJobResult(ctx context.Context, id string, result []byte) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET result = $1 WHERE id = $2`, string(result), id)
}

// latestJobSQL is pinned to jobs_account by TestJobPlansSeek.
var latestJobSQL = `SELECT ` + jobCols + ` FROM jobs WHERE account_id = $1 AND ($2 = '' OR kind = $2) AND created_at >= $3
		ORDER BY created_at DESC, id DESC LIMIT 1`

func (t *tx) LatestJob(ctx context.Context, accountID, kind string, since time.Time) (*kobo.Job, error) {
	return one(ctx, t, "job", scanJob, latestJobSQL, accountID, kind, utc(since))
}

func (t *tx) CreateReauthToken(ctx context.Context, rt *kobo.ReauthToken) error {
	_, err := t.exec(ctx, `INSERT INTO reauth_tokens (hash, account_id, app_id, live, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		rt.Hash, rt.AccountID, rt.AppID, rt.Live, utc(rt.ExpiresAt), utc(rt.CreatedAt))
	return err
}

func (t *tx) ReauthToken(ctx context.Context, hash string) (*kobo.ReauthToken, error) {
	return one(ctx, t, "re-authorisation token", func(s scanner) (*kobo.ReauthToken, error) {
		var rt kobo.ReauthToken
		if err := s.Scan(&rt.Hash, &rt.AccountID, &rt.AppID, &rt.Live, &rt.ExpiresAt, &rt.CreatedAt); err != nil {
			return nil, err
		}
		rt.ExpiresAt, rt.CreatedAt = rt.ExpiresAt.UTC(), rt.CreatedAt.UTC()
		return &rt, nil
	}, `SELECT hash, account_id, app_id, live, expires_at, created_at FROM reauth_tokens WHERE hash = $1`, hash)
}

func (t *tx) DeleteReauthToken(ctx context.Context, hash string) error {
	_, err := t.exec(ctx, `DELETE FROM reauth_tokens WHERE hash = $1`, hash)
	return err
}
