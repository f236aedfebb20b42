package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

const txnCols = `id, account_id, provider_ref, type, amount, narration, date, balance, currency, category, created_at, updated_at, created_seq, seq, removed_at, pending, provider_id, meta`

func scanTxn(s scanner) (kobo.Transaction, error) {
	var x kobo.Transaction
	var typ string
	var removed *time.Time
	var meta *string
	if err := s.Scan(&x.ID, &x.AccountID, &x.ProviderRef, &typ, &x.Amount, &x.Narration, &x.Date, &x.Balance, &x.Currency, &x.Category,
		&x.CreatedAt, &x.UpdatedAt, &x.CreatedSeq, &x.Seq, &removed, &x.Pending, &x.ProviderID, &meta); err != nil {
		return x, err
	}
	if meta != nil {
		if err := json.Unmarshal([]byte(*meta), &x.Meta); err != nil {
			return x, fmt.Errorf("transaction %s: meta: %w", x.ID, err)
		}
	}
	x.Type, x.Date, x.CreatedAt, x.UpdatedAt, x.Removed = kobo.TxnType(typ), x.Date.UTC(), x.CreatedAt.UTC(), x.UpdatedAt.UTC(), removed != nil
	return x, nil
}

func txnWhere(f kobo.TxnFilter) (string, []any) {
	args := []any{f.AccountID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	w := []string{"account_id = $1", "removed_at IS NULL"}
	if f.From != nil {
		w = append(w, "date >= "+arg(utc(*f.From)))
	}
	if f.To != nil {
		w = append(w, "date <= "+arg(utc(*f.To)))
	}
	if f.Type != "" {
		w = append(w, "type = "+arg(string(f.Type)))
	}
	if f.Narration != "" {
		w = append(w, "strpos(lower(narration), lower("+arg(f.Narration)+")) > 0")
	}
	if f.After != nil {
		op := "<"
		if f.Ascending {
			op = ">"
		}
		w = append(w, "(date, id) "+op+" ("+arg(utc(f.After.Date))+", "+arg(f.After.ID)+")")
	}
	if f.Before != nil {
		w = append(w, "(date, id) > ("+arg(utc(f.Before.Date))+", "+arg(f.Before.ID)+")")
	}
	return strings.Join(w, " AND "), args
}

// txnPage is the statement ListTransactions sends for f.
func txnPage(f kobo.TxnFilter) (string, []any) {
	where, args := txnWhere(f)
	order := " ORDER BY date DESC, id DESC"
	if f.Ascending || f.Before != nil {
		order = " ORDER BY date, id"
	}
	q := `SELECT ` + txnCols + ` FROM transactions WHERE ` + where + order
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
		if f.Offset > 0 {
			q += fmt.Sprintf(" OFFSET %d", f.Offset)
		}
	}
	return q, args
}

func (t *tx) ListTransactions(ctx context.Context, f kobo.TxnFilter) ([]kobo.Transaction, error) {
	q, args := txnPage(f)
	out, err := many(ctx, t, scanTxn, q, args...)
	if err != nil {
		return nil, err
	}
	if f.Before != nil && !f.Ascending {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

func (t *tx) CountFiltered(ctx context.Context, f kobo.TxnFilter) (int, error) {
	var n int
	var err error
	if f.Unfiltered() {
		err = t.q.QueryRow(ctx, `SELECT txn_count FROM accounts WHERE id = $1`, f.AccountID).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, kobo.Errorf(kobo.ENOTFOUND, "account not found")
		}
	} else {
		f.After, f.Before = nil, nil
		where, args := txnWhere(f)
		err = t.q.QueryRow(ctx, `SELECT count(*) FROM transactions WHERE `+where, args...).Scan(&n)
	}
	return n, classify(err)
}

func (t *tx) TransactionRefsBetween(ctx context.Context, accountID string, from, to time.Time) ([]string, error) {
	return many(ctx, t, func(s scanner) (string, error) {
		var r string
		return r, s.Scan(&r)
	}, `SELECT provider_ref FROM transactions WHERE account_id = $1 AND date >= $2 AND date <= $3 AND removed_at IS NULL`, accountID, utc(from), utc(to))
}

func (t *tx) RemoveTransactions(ctx context.Context, accountID string, refs []string, at time.Time) (int, error) {
	if len(refs) == 0 {
		return 0, nil
	}
	var seq int64
	if err := t.q.QueryRow(ctx, `SELECT txn_seq FROM accounts WHERE id = $1 FOR UPDATE`, accountID).Scan(&seq); err != nil {
		return 0, classify(err)
	}
	tag, err := t.exec(ctx, `UPDATE transactions t SET removed_at = $1, updated_at = $1, seq = $2 + r.n
		FROM unnest($3::text[]) WITH ORDINALITY AS r(ref, n)
		WHERE t.account_id = $4 AND t.provider_ref = r.ref AND t.removed_at IS NULL`, utc(at), seq, refs, accountID)
	if err != nil {
		return 0, err
	}
	n := int(tag.RowsAffected())
	_, err = t.exec(ctx, `UPDATE accounts SET txn_seq = $1, txn_count = txn_count - $2 WHERE id = $3`, seq+int64(len(refs)), n, accountID)
	return n, err
}

func (t *tx) TransactionChanges(ctx context.Context, accountID string, afterSeq int64, limit int) ([]kobo.Transaction, error) {
	return many(ctx, t, scanTxn, `SELECT `+txnCols+` FROM transactions WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, accountID, afterSeq, limit)
}

func (t *tx) MonthlyTotals(ctx context.Context, accountID string, from, to time.Time) ([]kobo.MonthTotal, error) {
	return many(ctx, t, func(s scanner) (kobo.MonthTotal, error) {
		var m kobo.MonthTotal
		return m, s.Scan(&m.Month, &m.Credits, &m.Debits, &m.CreditCount, &m.DebitCount)
	}, `SELECT to_char(date AT TIME ZONE 'Africa/Lagos', 'YYYY-MM') AS month,
			coalesce(sum(amount) FILTER (WHERE type = 'credit'), 0), coalesce(sum(amount) FILTER (WHERE type = 'debit'), 0),
			count(*) FILTER (WHERE type = 'credit'), count(*) FILTER (WHERE type = 'debit')
		FROM transactions WHERE account_id = $1 AND date >= $2 AND date <= $3 AND removed_at IS NULL
		GROUP BY month ORDER BY month`, accountID, utc(from), utc(to))
}

func (t *tx) ClosingBalances(ctx context.Context, accountID string, from, to time.Time) ([]kobo.DayBalance, error) {
	// one seek of the (account, date, id) index per day for its newest
	// row, not the whole range read and ranked
	if to.Before(from) {
		return nil, nil
	}
	days := int(to.Sub(from)/(24*time.Hour)) + 1
	return many(ctx, t, func(s scanner) (kobo.DayBalance, error) {
		var d kobo.DayBalance
		return d, s.Scan(&d.Day, &d.Balance)
	}, `SELECT d.day, b.balance FROM generate_series(0, $4::int - 1) AS d(day)
		CROSS JOIN LATERAL (SELECT balance FROM transactions
			WHERE account_id = $1 AND date >= $2::timestamptz + d.day * interval '24 hours' AND date < $2::timestamptz + (d.day + 1) * interval '24 hours'
				AND date <= $3 AND removed_at IS NULL AND balance IS NOT NULL
			ORDER BY date DESC, id DESC LIMIT 1) b
		ORDER BY d.day`, accountID, utc(from), utc(to), days)
}

const statementCols = `id, account_id, app_id, live, status, period, from_at, to_at, error, created_at, built_at`

func (t *tx) CreateStatement(ctx context.Context, st *kobo.Statement) error {
	_, err := t.exec(ctx, `INSERT INTO statements (`+statementCols+`, pdf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		st.ID, st.AccountID, st.AppID, st.Live, st.Status, st.Period, utc(st.From), utc(st.To), st.Error, utc(st.CreatedAt), utcPtr(st.BuiltAt), st.PDF)
	return err
}

func (t *tx) Statement(ctx context.Context, id string, withPDF bool) (*kobo.Statement, error) {
	cols := statementCols
	if withPDF {
		cols += ", pdf"
	}
	return one(ctx, t, "statement", func(s scanner) (*kobo.Statement, error) {
		var st kobo.Statement
		dest := []any{&st.ID, &st.AccountID, &st.AppID, &st.Live, &st.Status, &st.Period, &st.From, &st.To, &st.Error, &st.CreatedAt, &st.BuiltAt}
		if withPDF {
			dest = append(dest, &st.PDF)
		}
		if err := s.Scan(dest...); err != nil {
			return nil, err
		}
		st.From, st.To, st.CreatedAt, st.BuiltAt = st.From.UTC(), st.To.UTC(), st.CreatedAt.UTC(), fromPtr(st.BuiltAt)
		return &st, nil
	}, `SELECT `+cols+` FROM statements WHERE id = $1`, id)
}

func (t *tx) UpdateStatement(ctx context.Context, st *kobo.Statement) error {
	return t.execOne(ctx, "statement", `UPDATE statements SET status = $1, pdf = $2, error = $3, built_at = $4 WHERE id = $5`,
		st.Status, st.PDF, st.Error, utcPtr(st.BuiltAt), st.ID)
}

const incomeCols = `id, account_id, app_id, status, months, result, created_at, done_at, provider, upstream_at, upstream_after, error`

func scanIncome(s scanner) (*kobo.IncomeRecord, error) {
	var r kobo.IncomeRecord
	var result string
	if err := s.Scan(&r.ID, &r.AccountID, &r.AppID, &r.Status, &r.Months, &result, &r.CreatedAt, &r.DoneAt, &r.Provider, &r.UpstreamAt, &r.UpstreamAfter, &r.Error); err != nil {
		return nil, err
	}
	if result != "" {
		r.Result = []byte(result)
	}
	r.CreatedAt, r.DoneAt, r.UpstreamAt, r.UpstreamAfter = r.CreatedAt.UTC(), fromPtr(r.DoneAt), fromPtr(r.UpstreamAt), fromPtr(r.UpstreamAfter)
	return &r, nil
}

func (t *tx) CreateIncomeRecord(ctx context.Context, r *kobo.IncomeRecord) error {
	_, err := t.exec(ctx, `INSERT INTO income_records (`+incomeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, r.AccountID, r.AppID, r.Status, r.Months, string(r.Result), utc(r.CreatedAt), utcPtr(r.DoneAt), r.Provider, utcPtr(r.UpstreamAt), utcPtr(r.UpstreamAfter), r.Error)
	return err
}

func (t *tx) IncomeRecord(ctx context.Context, id string) (*kobo.IncomeRecord, error) {
	return one(ctx, t, "income record", scanIncome, `SELECT `+incomeCols+` FROM income_records WHERE id = $1`, id)
}

func (t *tx) UpdateIncomeRecord(ctx context.Context, r *kobo.IncomeRecord) error {
	return t.execOne(ctx, "income record", `UPDATE income_records SET status = $1, result = $2, done_at = $3, provider = $4, upstream_at = $5, upstream_after = $6, error = $7 WHERE id = $8`,
		r.Status, string(r.Result), utcPtr(r.DoneAt), r.Provider, utcPtr(r.UpstreamAt), utcPtr(r.UpstreamAfter), r.Error, r.ID)
}

func (t *tx) IncomeRecords(ctx context.Context, accountID string) ([]*kobo.IncomeRecord, error) {
	return many(ctx, t, scanIncome, `SELECT `+incomeCols+` FROM income_records WHERE account_id = $1 ORDER BY created_at DESC, id DESC`, accountID)
}

func (t *tx) RekeyTransaction(ctx context.Context, accountID, oldRef, newRef string, providerID bool) (bool, error) {
	tag, err := t.exec(ctx, `UPDATE transactions SET provider_ref = $1, provider_id = $2 WHERE account_id = $3 AND provider_ref = $4`, newRef, providerID, accountID, oldRef)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// metaJSON is a transaction's meta as stored: a JSON object (its keys
// sorted, so a repeat compares equal), or NULL when there is none.
func metaJSON(m kobo.TxnMeta) *string {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil // a map of strings always marshals
	}
	s := string(b)
	return &s
}
