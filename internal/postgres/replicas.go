package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// KeyChecks takes the table's lock in Update (SHARE ROW EXCLUSIVE
// conflicts with itself), so replicas starting at once on an empty
// database record one key, not one each. View reads outside a
// transaction, where there is nothing to hold the lock for.
func (t *tx) KeyChecks(ctx context.Context) ([]kobo.KeyCheck, error) {
	if _, inTx := t.q.(pgx.Tx); inTx {
		if _, err := t.exec(ctx, `LOCK TABLE vault_key_checks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return nil, err
		}
	}
	return many(ctx, t, func(s scanner) (kobo.KeyCheck, error) {
		var kc kobo.KeyCheck
		err := s.Scan(&kc.KeyID, &kc.Check, &kc.CreatedAt)
		kc.CreatedAt = kc.CreatedAt.UTC()
		return kc, err
	}, `SELECT key_id, check_value, created_at FROM vault_key_checks ORDER BY created_at, key_id`)
}

func (t *tx) AddKeyCheck(ctx context.Context, kc *kobo.KeyCheck) error {
	_, err := t.exec(ctx, `INSERT INTO vault_key_checks (key_id, check_value, created_at) VALUES ($1, $2, $3)`, kc.KeyID, kc.Check, utc(kc.CreatedAt))
	return err
}

func scanSandboxEntry(s scanner) (kobo.SandboxEntry, error) {
	var e kobo.SandboxEntry
	err := s.Scan(&e.Kind, &e.Key, &e.Value, &e.N, &e.UpdatedAt)
	e.UpdatedAt = e.UpdatedAt.UTC()
	return e, err
}

func (t *tx) SandboxEntry(ctx context.Context, kind, key string) (*kobo.SandboxEntry, error) {
	e, err := one(ctx, t, "sandbox entry", scanSandboxEntry, `SELECT kind, key, value, n, updated_at FROM sandbox_state WHERE kind = $1 AND key = $2`, kind, key)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func (t *tx) SandboxEntries(ctx context.Context, kind string) ([]kobo.SandboxEntry, error) {
	return many(ctx, t, scanSandboxEntry, `SELECT kind, key, value, n, updated_at FROM sandbox_state WHERE kind = $1 ORDER BY key`, kind)
}

func (t *tx) PutSandboxEntry(ctx context.Context, e *kobo.SandboxEntry) error {
	if e.Value == nil {
		e.Value = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO sandbox_state (kind, key, value, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, e.Kind, e.Key, e.Value, utc(e.UpdatedAt))
	return err
}

func (t *tx) AddSandboxCounter(ctx context.Context, kind, key string, delta int64, now time.Time) (int64, error) {
	var n int64
	err := t.q.QueryRow(ctx, `INSERT INTO sandbox_state (kind, key, n, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, key) DO UPDATE SET n = sandbox_state.n + excluded.n, updated_at = excluded.updated_at RETURNING n`,
		kind, key, delta, utc(now)).Scan(&n)
	return n, classify(err)
}

func (t *tx) DeleteSandboxEntry(ctx context.Context, kind, key string) error {
	_, err := t.exec(ctx, `DELETE FROM sandbox_state WHERE kind = $1 AND key = $2`, kind, key)
	return err
}

func (t *tx) AnyCredentials(ctx context.Context) (string, kobo.Sealed, error) {
	type row struct {
		id     string
		sealed string
	}
	r, err := one(ctx, t, "account with credentials", func(s scanner) (row, error) {
		var r row
		err := s.Scan(&r.id, &r.sealed)
		return r, err
	}, `SELECT id, credentials FROM accounts WHERE credentials <> '' LIMIT 1`)
	return r.id, kobo.Sealed(r.sealed), err
}
