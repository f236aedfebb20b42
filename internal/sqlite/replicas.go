package sqlite

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// KeyChecks needs no lock: Update runs on the single writer, so two
// starts cannot interleave.
func (t *tx) KeyChecks(ctx context.Context) ([]kobo.KeyCheck, error) {
	return many(ctx, t, func(s scanner) (kobo.KeyCheck, error) {
		var kc kobo.KeyCheck
		var at int64
		err := s.Scan(&kc.KeyID, &kc.Check, &at)
		kc.CreatedAt = fromTS(at)
		return kc, err
	}, `SELECT key_id, check_value, created_at FROM vault_key_checks ORDER BY created_at, key_id`)
}

func (t *tx) AddKeyCheck(ctx context.Context, kc *kobo.KeyCheck) error {
	_, err := t.exec(ctx, `INSERT INTO vault_key_checks (key_id, check_value, created_at) VALUES (?, ?, ?)`, kc.KeyID, kc.Check, ts(kc.CreatedAt))
	return err
}

func scanSandboxEntry(s scanner) (kobo.SandboxEntry, error) {
	var e kobo.SandboxEntry
	var at int64
	err := s.Scan(&e.Kind, &e.Key, &e.Value, &e.N, &at)
	e.UpdatedAt = fromTS(at)
	return e, err
}

func (t *tx) SandboxEntry(ctx context.Context, kind, key string) (*kobo.SandboxEntry, error) {
	e, err := one(ctx, t, "sandbox entry", scanSandboxEntry, `SELECT kind, key, value, n, updated_at FROM sandbox_state WHERE kind = ? AND key = ?`, kind, key)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func (t *tx) SandboxEntries(ctx context.Context, kind string) ([]kobo.SandboxEntry, error) {
	return many(ctx, t, scanSandboxEntry, `SELECT kind, key, value, n, updated_at FROM sandbox_state WHERE kind = ? ORDER BY key`, kind)
}

func (t *tx) PutSandboxEntry(ctx context.Context, e *kobo.SandboxEntry) error {
	v := e.Value
	if v == nil {
		v = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO sandbox_state (kind, key, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, e.Kind, e.Key, v, ts(e.UpdatedAt))
	return err
}

func (t *tx) AddSandboxCounter(ctx context.Context, kind, key string, delta int64, now time.Time) (int64, error) {
	var n int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO sandbox_state (kind, key, n, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, key) DO UPDATE SET n = n + excluded.n, updated_at = excluded.updated_at RETURNING n`,
		kind, key, delta, ts(now)).Scan(&n)
	if err != nil {
		return 0, classify(err)
	}
	return n, nil
}

func (t *tx) DeleteSandboxEntry(ctx context.Context, kind, key string) error {
	_, err := t.exec(ctx, `DELETE FROM sandbox_state WHERE kind = ? AND key = ?`, kind, key)
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
