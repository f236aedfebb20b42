package sqlite

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) ClaimDueAccounts(ctx context.Context, now time.Time, limit int) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `UPDATE accounts SET next_sync_at = NULL
		WHERE id IN (SELECT id FROM accounts WHERE next_sync_at IS NOT NULL AND next_sync_at <= ? AND reauth_required = 0
			ORDER BY next_sync_at LIMIT (? + 0))
		RETURNING `+accountReadCols, ts(now), limit)
}

func (t *tx) DeleteAccount(ctx context.Context, id string) error {
	// transactions, identity and re-auth tokens go by ON DELETE CASCADE
	return t.execOne(ctx, "account", `DELETE FROM accounts WHERE id = ?`, id)
}

func (t *tx) SetJobResult(ctx context.Context, id string, result []byte) error {
	return t.execOne(ctx, "job", `UPDATE jobs SET result = ? WHERE id = ?`, string(result), id)
}

const latestJobSQL = `SELECT ` + jobCols + ` FROM jobs WHERE account_id = ?1 AND (?2 = '' OR kind = ?2) AND created_at >= ?3
		ORDER BY created_at DESC, id DESC LIMIT 1`

func (t *tx) LatestJob(ctx context.Context, accountID, kind string, since time.Time) (*kobo.Job, error) {
	return one(ctx, t, "job", scanJob, latestJobSQL, accountID, kind, ts(since))
}

func (t *tx) CreateReauthToken(ctx context.Context, rt *kobo.ReauthToken) error {
	_, err := t.exec(ctx, `INSERT INTO reauth_tokens (hash, account_id, app_id, live, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		rt.Hash, rt.AccountID, rt.AppID, boolInt(rt.Live), ts(rt.ExpiresAt), ts(rt.CreatedAt))
	return err
}

func (t *tx) ReauthToken(ctx context.Context, hash string) (*kobo.ReauthToken, error) {
	return one(ctx, t, "re-authorisation token", func(s scanner) (*kobo.ReauthToken, error) {
		var rt kobo.ReauthToken
		var live int
		var exp, created int64
		if err := s.Scan(&rt.Hash, &rt.AccountID, &rt.AppID, &live, &exp, &created); err != nil {
			return nil, err
		}
		rt.Live, rt.ExpiresAt, rt.CreatedAt = live != 0, fromTS(exp), fromTS(created)
		return &rt, nil
	}, `SELECT hash, account_id, app_id, live, expires_at, created_at FROM reauth_tokens WHERE hash = ?`, hash)
}

func (t *tx) DeleteReauthToken(ctx context.Context, hash string) error {
	_, err := t.exec(ctx, `DELETE FROM reauth_tokens WHERE hash = ?`, hash)
	return err
}
