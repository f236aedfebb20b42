package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const enrichmentCols = `id, account_id, app_id, kind, status, args, result, created_at, done_at`

func scanEnrichment(s scanner) (*kobo.Enrichment, error) {
	var e kobo.Enrichment
	var args, result string
	if err := s.Scan(&e.ID, &e.AccountID, &e.AppID, &e.Kind, &e.Status, &args, &result, &e.CreatedAt, &e.DoneAt); err != nil {
		return nil, err
	}
	if args != "" {
		e.Args = []byte(args)
	}
	if result != "" {
		e.Result = []byte(result)
	}
	e.CreatedAt, e.DoneAt = e.CreatedAt.UTC(), fromPtr(e.DoneAt)
	return &e, nil
}

func (t *tx) CreateEnrichment(ctx context.Context, e *kobo.Enrichment) error {
	_, err := t.exec(ctx, `INSERT INTO enrichments (`+enrichmentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.AccountID, e.AppID, e.Kind, e.Status, string(e.Args), string(e.Result), utc(e.CreatedAt), utcPtr(e.DoneAt))
	return err
}

func (t *tx) Enrichment(ctx context.Context, id string) (*kobo.Enrichment, error) {
	return one(ctx, t, "enrichment", scanEnrichment, `SELECT `+enrichmentCols+` FROM enrichments WHERE id = $1`, id)
}

func (t *tx) UpdateEnrichment(ctx context.Context, e *kobo.Enrichment) error {
	return t.execOne(ctx, "enrichment", `UPDATE enrichments SET status = $1, result = $2, done_at = $3 WHERE id = $4`,
		e.Status, string(e.Result), utcPtr(e.DoneAt), e.ID)
}

func (t *tx) Enrichments(ctx context.Context, accountID, kind string) ([]*kobo.Enrichment, error) {
	return many(ctx, t, scanEnrichment, `SELECT `+enrichmentCols+` FROM enrichments WHERE account_id = $1 AND kind = $2 ORDER BY created_at DESC, id DESC`, accountID, kind)
}

// SetTransactionCategories gives each changed row a new change number,
// like any other change to the history, so cached pages and sync cursors
// see it.
func (t *tx) SetTransactionCategories(ctx context.Context, accountID string, categories map[string]string) (int, error) {
	if len(categories) == 0 {
		return 0, nil
	}
	ids, cats := make([]string, 0, len(categories)), make([]string, 0, len(categories))
	for id, c := range categories {
		ids, cats = append(ids, id), append(cats, c)
	}
	var seq int64
	if err := t.q.QueryRow(ctx, `SELECT txn_seq FROM accounts WHERE id = $1 FOR UPDATE`, accountID).Scan(&seq); err != nil {
		return 0, classify(err)
	}
	tag, err := t.exec(ctx, `UPDATE transactions t SET category = c.cat, seq = $1 + c.n
		FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS c(id, cat, n)
		WHERE t.account_id = $4 AND t.id = c.id AND t.category <> c.cat AND t.removed_at IS NULL`, seq, ids, cats, accountID)
	if err != nil {
		return 0, err
	}
	n := int(tag.RowsAffected())
	if n == 0 {
		return 0, nil
	}
	_, err = t.exec(ctx, `UPDATE accounts SET txn_seq = $1 WHERE id = $2`, seq+int64(len(ids)), accountID)
	return n, err
}

func (t *tx) UpdateCustomer(ctx context.Context, c *kobo.Customer) error {
	return t.execOne(ctx, "customer", `UPDATE customers SET name = $1, email = $2, phone = $3, id_type = $4, id_number = $5, address = $6, kind = $7, updated_at = $8 WHERE id = $9`,
		c.Name, strings.ToLower(c.Email), c.Phone, c.IDType, c.IDNumber, c.Address, customerKind(c), utc(c.UpdatedAt), c.ID)
}

func (t *tx) DeleteCustomer(ctx context.Context, id string) error {
	if _, err := t.exec(ctx, `UPDATE accounts SET customer_id = '' WHERE customer_id = $1`, id); err != nil {
		return err
	}
	return t.execOne(ctx, "customer", `DELETE FROM customers WHERE id = $1`, id)
}

func (t *tx) ListCustomers(ctx context.Context, f kobo.CustomerFilter) ([]*kobo.Customer, int, error) {
	where, args := `app_id = $1 AND live = $2`, []any{f.AppID, f.Live}
	if f.Email != "" {
		where, args = where+` AND email = $3`, append(args, strings.ToLower(f.Email))
	}
	var total int
	if err := t.q.QueryRow(ctx, `SELECT count(*) FROM customers WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, classify(err)
	}
	n := len(args)
	list, err := many(ctx, t, scanCustomer, `SELECT `+customerCols+` FROM customers WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT $`+itoa(n+1)+` OFFSET $`+itoa(n+2),
		append(args, max(f.Limit, 1), max(f.Offset, 0))...)
	return list, total, err
}

func (t *tx) AccountsByCustomer(ctx context.Context, customerID string) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE customer_id = $1 ORDER BY created_at DESC, id DESC`, customerID)
}

func itoa(n int) string { return strconv.Itoa(n) }
