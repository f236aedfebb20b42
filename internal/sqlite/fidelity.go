package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const enrichmentCols = `id, account_id, app_id, kind, status, args, result, created_at, done_at`

func scanEnrichment(s scanner) (*kobo.Enrichment, error) {
	var e kobo.Enrichment
	var args, result string
	var created int64
	var done sql.NullInt64
	if err := s.Scan(&e.ID, &e.AccountID, &e.AppID, &e.Kind, &e.Status, &args, &result, &created, &done); err != nil {
		return nil, err
	}
	if args != "" {
		e.Args = []byte(args)
	}
	if result != "" {
		e.Result = []byte(result)
	}
	e.CreatedAt, e.DoneAt = fromTS(created), fromNullTS(done)
	return &e, nil
}

func (t *tx) CreateEnrichment(ctx context.Context, e *kobo.Enrichment) error {
	_, err := t.exec(ctx, `INSERT INTO enrichments (`+enrichmentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.AccountID, e.AppID, e.Kind, e.Status, string(e.Args), string(e.Result), ts(e.CreatedAt), tsPtr(e.DoneAt))
	return err
}

func (t *tx) Enrichment(ctx context.Context, id string) (*kobo.Enrichment, error) {
	return one(ctx, t, "enrichment", scanEnrichment, `SELECT `+enrichmentCols+` FROM enrichments WHERE id = ?`, id)
}

func (t *tx) UpdateEnrichment(ctx context.Context, e *kobo.Enrichment) error {
	return t.execOne(ctx, "enrichment", `UPDATE enrichments SET status = ?, result = ?, done_at = ? WHERE id = ?`,
		e.Status, string(e.Result), tsPtr(e.DoneAt), e.ID)
}

func (t *tx) Enrichments(ctx context.Context, accountID, kind string) ([]*kobo.Enrichment, error) {
	return many(ctx, t, scanEnrichment, `SELECT `+enrichmentCols+` FROM enrichments WHERE account_id = ? AND kind = ? ORDER BY created_at DESC, id DESC`, accountID, kind)
}

// SetTransactionCategories gives each changed row a new change number,
// like any other change to the history, so cached pages and sync cursors
// see it.
func (t *tx) SetTransactionCategories(ctx context.Context, accountID string, categories map[string]string) (int, error) {
	if len(categories) == 0 {
		return 0, nil
	}
	var seq int64
	if err := t.q.QueryRowContext(ctx, `SELECT txn_seq FROM accounts WHERE id = ?`, accountID).Scan(&seq); err != nil {
		return 0, classify(err)
	}
	n := 0
	for id, cat := range categories {
		res, err := t.exec(ctx, `UPDATE transactions SET category = ?, seq = ? WHERE account_id = ? AND id = ? AND category <> ? AND removed_at IS NULL`,
			cat, seq+1, accountID, id, cat)
		if err != nil {
			return n, err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			seq++
			n += int(k)
		}
	}
	if n == 0 {
		return 0, nil
	}
	_, err := t.exec(ctx, `UPDATE accounts SET txn_seq = ? WHERE id = ?`, seq, accountID)
	return n, err
}

func (t *tx) UpdateCustomer(ctx context.Context, c *kobo.Customer) error {
	return t.execOne(ctx, "customer", `UPDATE customers SET name = ?, email = ?, phone = ?, id_type = ?, id_number = ?, address = ?, kind = ?, updated_at = ? WHERE id = ?`,
		c.Name, strings.ToLower(c.Email), c.Phone, c.IDType, c.IDNumber, c.Address, customerKind(c), ts(c.UpdatedAt), c.ID)
}

func (t *tx) DeleteCustomer(ctx context.Context, id string) error {
	if _, err := t.exec(ctx, `UPDATE accounts SET customer_id = '' WHERE customer_id = ?`, id); err != nil {
		return err
	}
	return t.execOne(ctx, "customer", `DELETE FROM customers WHERE id = ?`, id)
}

func (t *tx) ListCustomers(ctx context.Context, f kobo.CustomerFilter) ([]*kobo.Customer, int, error) {
	where, args := `app_id = ? AND live = ?`, []any{f.AppID, boolInt(f.Live)}
	if f.Email != "" {
		where, args = where+` AND email = ?`, append(args, strings.ToLower(f.Email))
	}
	var total int
	if err := t.q.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, classify(err)
	}
	list, err := many(ctx, t, scanCustomer, `SELECT `+customerCols+` FROM customers WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT (? + 0) OFFSET ?`,
		append(args, max(f.Limit, 1), max(f.Offset, 0))...)
	return list, total, err
}

func (t *tx) AccountsByCustomer(ctx context.Context, customerID string) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE customer_id = ? ORDER BY created_at DESC, id DESC`, customerID)
}
