package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) DeletedApp(ctx context.Context, id string) (*kobo.App, error) {
	return one(ctx, t, "app", scanApp, `SELECT `+appCols+` FROM apps WHERE id = ?`, id)
}

func (t *tx) StopAppWork(ctx context.Context, appID string, now time.Time) error {
	if _, err := t.exec(ctx, `UPDATE accounts SET next_sync_at = NULL WHERE app_id = ? AND next_sync_at IS NOT NULL`, appID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE jobs SET status = 'cancelled', finished_at = ?1, updated_at = ?1, last_error = 'the app was deleted'
		WHERE status = 'available' AND account_id IN (SELECT id FROM accounts WHERE app_id = ?2)`, ts(now), appID)
	return err
}

func (t *tx) ScheduleAppPurge(ctx context.Context, appID string, at time.Time) error {
	return t.execOne(ctx, "app", `UPDATE apps SET purge_at = ? WHERE id = ? AND deleted_at IS NOT NULL`, ts(at), appID)
}

func (t *tx) AppAccounts(ctx context.Context, appID, afterID string, limit int) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE app_id = ? AND id > ? ORDER BY id LIMIT (? + 0)`,
		appID, afterID, max(limit, 1))
}

func (t *tx) AppsDueForPurge(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return many(ctx, t, scanString, `SELECT id FROM apps WHERE purge_at IS NOT NULL AND purged_at IS NULL AND purge_at <= ?
		AND unlink_after IS NULL ORDER BY purge_at LIMIT (? + 0)`, ts(now), max(limit, 1))
}

func scanString(s scanner) (string, error) {
	var v string
	return v, s.Scan(&v)
}

func (t *tx) PurgeAppBatch(ctx context.Context, appID string, limit int, at time.Time) (bool, error) {
	// transactions, identities, statements, income records and re-auth
	// tokens go with their account (ON DELETE CASCADE)
	res, err := t.exec(ctx, `DELETE FROM accounts WHERE id IN (SELECT id FROM accounts WHERE app_id = ? LIMIT (? + 0))`, appID, max(limit, 1))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n >= int64(max(limit, 1)) {
		return false, nil
	}
	for _, q := range []string{
		`DELETE FROM customers WHERE app_id = ?`,
		`DELETE FROM connect_sessions WHERE app_id = ?`,
		`DELETE FROM connect_funnel WHERE app_id = ?`,
		`DELETE FROM idempotency_keys WHERE app_id = ?`,
		`DELETE FROM api_requests WHERE app_id = ?`,
		`DELETE FROM usage_daily WHERE app_id = ?`,
		`DELETE FROM app_providers WHERE app_id = ?`, // the app's keys at its providers
		`DELETE FROM app_institution_providers WHERE app_id = ?`,
		// in flight ones stay for their dispatcher to record (they go with
		// the retention of delivery logs)
		`DELETE FROM webhook_deliveries WHERE app_id = ? AND event_type <> '` + kobo.EventAccountUnlinked + `' AND status <> 'delivering'`,
		`DELETE FROM events WHERE app_id = ? AND type <> '` + kobo.EventAccountUnlinked + `'`,
		// an account_unlinked that waited behind a delivery just deleted
		// goes now: nothing else would make it ready
		`UPDATE webhook_deliveries AS d SET ready = 1 WHERE d.app_id = ?1 AND d.status = 'pending' AND d.ready = 0 AND NOT EXISTS (` + blocker + `)`,
	} {
		if _, err := t.exec(ctx, q, appID); err != nil {
			return false, err
		}
	}
	return true, t.execOne(ctx, "app", `UPDATE apps SET purged_at = ? WHERE id = ?`, ts(at), appID)
}

func (t *tx) UpdateEventPayload(ctx context.Context, id string, payload json.RawMessage) error {
	return t.execOne(ctx, "event", `UPDATE events SET payload = ? WHERE id = ?`, string(payload), id)
}

func (t *tx) Prune(ctx context.Context, kind kobo.PruneKind, before time.Time, limit int) (int, error) {
	var qs []string
	switch kind {
	case kobo.PruneEvents:
		qs = []string{
			`DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE created_at < ?1
				AND status NOT IN ('pending', 'delivering') LIMIT (?2 + 0))`,
			`DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE created_at < ?1 LIMIT (?2 + 0))`,
		}
	case kobo.PruneSessions:
		qs = []string{`DELETE FROM connect_sessions WHERE id IN (SELECT id FROM connect_sessions WHERE expires_at < ?1 LIMIT (?2 + 0))`}
	case kobo.PruneCustomers:
		qs = []string{`DELETE FROM customers WHERE id IN (SELECT id FROM customers c WHERE updated_at < ?1
			AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.customer_id = c.id)
			AND NOT EXISTS (SELECT 1 FROM connect_sessions s WHERE s.customer_id = c.id) LIMIT (?2 + 0))`}
	case kobo.PruneStatements:
		qs = []string{`DELETE FROM statements WHERE id IN (SELECT id FROM statements WHERE created_at < ?1 LIMIT (?2 + 0))`}
	case kobo.PruneTokens:
		qs = []string{
			`DELETE FROM partner_tokens WHERE hash IN (SELECT hash FROM partner_tokens WHERE expires_at < ?1 LIMIT (?2 + 0))`,
			`DELETE FROM reauth_tokens WHERE hash IN (SELECT hash FROM reauth_tokens WHERE expires_at < ?1 LIMIT (?2 + 0))`,
			`DELETE FROM password_resets WHERE token_hash IN (SELECT token_hash FROM password_resets WHERE expires_at < ?1 LIMIT (?2 + 0))`,
		}
	default:
		return 0, fmt.Errorf("prune: unknown kind %q", kind)
	}
	total := 0
	for _, q := range qs {
		res, err := t.exec(ctx, q, ts(before), max(limit, 1))
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// sealedSpec is where a sealed field lives.
type sealedSpec struct {
	table, key, col string
	blob            bool
}

var sealedSpecs = map[kobo.SealedField]sealedSpec{
	kobo.FieldAccountNumber:    {"accounts", "id", "account_number", false},
	kobo.FieldCredentials:      {"accounts", "id", "credentials", false},
	kobo.FieldBVN:              {"identities", "account_id", "bvn", false},
	kobo.FieldWebhookSecret:    {"apps", "id", "webhook_secret", false},
	kobo.FieldCustomerID:       {"customers", "id", "id_number", false},
	kobo.FieldEventPayload:     {"events", "id", "payload", false},
	kobo.FieldIdempotency:      {"idempotency_keys", "app_id || ' ' || key", "body", true},
	kobo.FieldStatementPDF:     {"statements", "id", "pdf", true},
	kobo.FieldSessionBank:      {"connect_sessions", "id", "bank_session", false},
	kobo.FieldSessionAccts:     {"connect_sessions", "id", "accounts", false},
	kobo.FieldSessionChallen:   {"connect_sessions", "id", "challenge", false},
	kobo.FieldDerivedKey:       {"derived_keys", "purpose", "value", false},
	kobo.FieldIdentityName:     {"identities", "account_id", "full_name", false},
	kobo.FieldIdentityEmail:    {"identities", "account_id", "email", false},
	kobo.FieldIdentityPhone:    {"identities", "account_id", "phone", false},
	kobo.FieldIdentityDOB:      {"identities", "account_id", "dob", false},
	kobo.FieldIdentityAddress1: {"identities", "account_id", "address_line1", false},
	kobo.FieldIdentityAddress2: {"identities", "account_id", "address_line2", false},
	kobo.FieldCustomerName:     {"customers", "id", "name", false},
	kobo.FieldCustomerPhone:    {"customers", "id", "phone", false},
	kobo.FieldCustomerAddress:  {"customers", "id", "address", false},
	kobo.FieldAccountIdent:     {"account_identifiers", "account_id || ' ' || scheme", "value", false},
	kobo.FieldAppProvider:      {"app_providers", "app_id || ' ' || provider", "credentials", false},
	kobo.FieldTPPKey:           {"tpp_keys", "name", "material", false},
	kobo.FieldSessionIP:        {"partner_tokens", "hash", "ip", false},
	kobo.FieldSessionUA:        {"partner_tokens", "hash", "user_agent", false},
}

func specOf(f kobo.SealedField) (sealedSpec, error) {
	sp, ok := sealedSpecs[f]
	if !ok {
		return sp, fmt.Errorf("unknown sealed field %q", f)
	}
	return sp, nil
}

func (t *tx) SealedValues(ctx context.Context, f kobo.SealedField, after string, limit int) ([]kobo.SealedValue, error) {
	sp, err := specOf(f)
	if err != nil {
		return nil, err
	}
	return many(ctx, t, func(s scanner) (kobo.SealedValue, error) {
		var v kobo.SealedValue
		var b []byte
		err := s.Scan(&v.Row, &b)
		v.Value = string(b)
		return v, err
	}, fmt.Sprintf(`SELECT %[1]s, %[2]s FROM %[3]s WHERE %[1]s > ? AND coalesce(length(%[2]s), 0) > 0 ORDER BY %[1]s LIMIT (? + 0)`,
		sp.key, sp.col, sp.table), after, max(limit, 1))
}

func (t *tx) ReplaceSealedValue(ctx context.Context, f kobo.SealedField, row, from, to string) (bool, error) {
	sp, err := specOf(f)
	if err != nil {
		return false, err
	}
	var fromV, toV any = from, to
	if sp.blob {
		fromV, toV = []byte(from), []byte(to)
	}
	res, err := t.exec(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ? AND %s = ?`, sp.table, sp.col, sp.key, sp.col), toV, row, fromV)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *tx) SealBacklog(ctx context.Context) ([]kobo.SealedField, error) {
	return many(ctx, t, func(s scanner) (kobo.SealedField, error) {
		var f string
		err := s.Scan(&f)
		return kobo.SealedField(f), err
	}, `SELECT field FROM seal_backlog ORDER BY field`)
}

func (t *tx) SealDone(ctx context.Context, f kobo.SealedField) error {
	_, err := t.exec(ctx, `DELETE FROM seal_backlog WHERE field = ?`, string(f))
	return err
}

func (t *tx) DerivedKey(ctx context.Context, purpose string, ifAbsent kobo.Sealed) (kobo.Sealed, error) {
	if _, err := t.exec(ctx, `INSERT INTO derived_keys (purpose, value) VALUES (?, ?) ON CONFLICT (purpose) DO NOTHING`, purpose, string(ifAbsent)); err != nil {
		return "", err
	}
	v, err := one(ctx, t, "derived key", scanString, `SELECT value FROM derived_keys WHERE purpose = ?`, purpose)
	return kobo.Sealed(v), err
}

// Checkpoint copies the whole WAL into the database file and truncates
// the WAL to nothing, waiting (up to about ten seconds) for readers of old
// frames. After a pass that overwrote values (sealing an older database's
// plaintext), the WAL's earlier frames would otherwise keep what was
// overwritten until new writes happened to cover them; secure_delete
// clears the database file, this clears the log.
func (s *Store) Checkpoint(ctx context.Context) error {
	for i := 0; ; i++ {
		var busy, frames, copied int
		if err := s.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if i == 1000 {
			return fmt.Errorf("checkpoint: readers kept the WAL busy")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (t *tx) SetUnlinkCursor(ctx context.Context, appID string, cursor *string) error {
	return t.execOne(ctx, "app", `UPDATE apps SET unlink_after = ? WHERE id = ?`, cursor, appID)
}

func (t *tx) UnlinkCursor(ctx context.Context, appID string) (*string, error) {
	return one(ctx, t, "app", func(s scanner) (*string, error) {
		var v sql.NullString
		if err := s.Scan(&v); err != nil || !v.Valid {
			return nil, err
		}
		return &v.String, nil
	}, `SELECT unlink_after FROM apps WHERE id = ?`, appID)
}

func (t *tx) AppsUnlinkPending(ctx context.Context, limit int) ([]string, error) {
	return many(ctx, t, scanString, `SELECT id FROM apps WHERE unlink_after IS NOT NULL ORDER BY id LIMIT (? + 0)`, max(limit, 1))
}
