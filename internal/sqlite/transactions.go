package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const txnCols = `id, account_id, provider_ref, type, amount, narration, date, balance, currency, category, created_at, updated_at, created_seq, seq, removed_at, pending, provider_id, meta`

func scanTxn(s scanner) (kobo.Transaction, error) {
	var x kobo.Transaction
	var typ string
	var date, created, updated int64
	var bal, removed sql.NullInt64
	var pending, providerID int
	var meta sql.NullString
	if err := s.Scan(&x.ID, &x.AccountID, &x.ProviderRef, &typ, &x.Amount, &x.Narration, &date, &bal, &x.Currency, &x.Category,
		&created, &updated, &x.CreatedSeq, &x.Seq, &removed, &pending, &providerID, &meta); err != nil {
		return x, err
	}
	if meta.Valid {
		if err := json.Unmarshal([]byte(meta.String), &x.Meta); err != nil {
			return x, fmt.Errorf("transaction %s: meta: %w", x.ID, err)
		}
	}
	x.Pending, x.ProviderID = pending != 0, providerID != 0
	x.Type, x.Date, x.CreatedAt, x.UpdatedAt = kobo.TxnType(typ), fromTS(date), fromTS(created), fromTS(updated)
	if bal.Valid {
		b := bal.Int64
		x.Balance = &b
	}
	x.Removed = removed.Valid
	return x, nil
}

// likeEscaper makes a search text literal in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// txnWhere renders a filter's conditions.
func txnWhere(f kobo.TxnFilter) (string, []any) {
	w := []string{"account_id = ?", "removed_at IS NULL"}
	args := []any{f.AccountID}
	if f.From != nil {
		w, args = append(w, "date >= ?"), append(args, ts(*f.From))
	}
	if f.To != nil {
		w, args = append(w, "date <= ?"), append(args, ts(*f.To))
	}
	if f.Type != "" {
		w, args = append(w, "type = ?"), append(args, string(f.Type))
	}
	if f.Narration != "" {
		// LIKE, not instr(lower(narration), lower(?)): both fold ASCII case
		// only (SQLite's lower() knows no other), and LIKE compares in place
		// where lower() copies every row's narration, which made a search of
		// 50,000 rows two to three times slower. The pattern is an expression,
		// not a bare ?, so the planner does not read it (it would try its
		// LIKE prefix optimisation and compile the statement again for every
		// new search, see texts.go)
		w, args = append(w, `narration LIKE (? || '') ESCAPE '\'`), append(args, "%"+likeEscaper.Replace(f.Narration)+"%")
	}
	// Row values, not (date < ? OR (date = ? AND id < ?)): SQLite seeks the
	// primary key to a row-value bound, while the OR form starts each page
	// at the account's newest row and skips forward, so streaming a long
	// history cost time quadratic in its length.
	if f.After != nil {
		if f.Ascending {
			w = append(w, "(date, id) > (?, ?)")
		} else {
			w = append(w, "(date, id) < (?, ?)")
		}
		args = append(args, ts(f.After.Date), f.After.ID)
	}
	if f.Before != nil {
		w = append(w, "(date, id) > (?, ?)")
		args = append(args, ts(f.Before.Date), f.Before.ID)
	}
	return strings.Join(w, " AND "), args
}

func (t *tx) ListTransactions(ctx context.Context, f kobo.TxnFilter) ([]kobo.Transaction, error) {
	where, args := txnWhere(f)
	order := " ORDER BY date DESC, id DESC"
	switch {
	case f.Ascending:
		order = " ORDER BY date, id"
	case f.Before != nil:
		order = " ORDER BY date, id" // walk backwards, flipped below
	}
	q := `SELECT ` + txnCols + ` FROM transactions WHERE ` + where + order
	if f.Limit > 0 {
		q, args = q+" LIMIT (? + 0)", append(args, f.Limit)
		if f.Offset > 0 {
			q, args = q+" OFFSET ?", append(args, f.Offset)
		}
	}
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
		err = t.q.QueryRowContext(ctx, `SELECT txn_count FROM accounts WHERE id = ?`, f.AccountID).Scan(&n)
		if err == sql.ErrNoRows {
			return 0, kobo.Errorf(kobo.ENOTFOUND, "account not found")
		}
	} else {
		f.After, f.Before = nil, nil
		where, args := txnWhere(f)
		err = t.q.QueryRowContext(ctx, `SELECT count(*) FROM transactions WHERE `+where, args...).Scan(&n)
	}
	return n, classify(err)
}

func (t *tx) TransactionRefsBetween(ctx context.Context, accountID string, from, to time.Time) ([]string, error) {
	return many(ctx, t, func(s scanner) (string, error) {
		var r string
		return r, s.Scan(&r)
	}, `SELECT provider_ref FROM transactions WHERE account_id = ? AND date >= ? AND date <= ? AND removed_at IS NULL`, accountID, ts(from), ts(to))
}

func (t *tx) RemoveTransactions(ctx context.Context, accountID string, refs []string, at time.Time) (int, error) {
	if len(refs) == 0 {
		return 0, nil
	}
	var seq int64
	if err := t.q.QueryRowContext(ctx, `SELECT txn_seq FROM accounts WHERE id = ?`, accountID).Scan(&seq); err != nil {
		return 0, classify(err)
	}
	n := 0
	for _, ref := range refs {
		seq++
		res, err := t.exec(ctx, `UPDATE transactions SET removed_at = ?, seq = ?, updated_at = ? WHERE account_id = ? AND provider_ref = ? AND removed_at IS NULL`,
			ts(at), seq, ts(at), accountID, ref)
		if err != nil {
			return n, err
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	_, err := t.exec(ctx, `UPDATE accounts SET txn_seq = ?, txn_count = txn_count - ? WHERE id = ?`, seq, n, accountID)
	return n, err
}

func (t *tx) TransactionChanges(ctx context.Context, accountID string, afterSeq int64, limit int) ([]kobo.Transaction, error) {
	return many(ctx, t, scanTxn, `SELECT `+txnCols+` FROM transactions WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT (? + 0)`, accountID, afterSeq, limit)
}

// MonthlyTotals groups by Lagos month: stored microseconds plus one hour
// (WAT has no daylight saving), formatted by SQLite.
func (t *tx) MonthlyTotals(ctx context.Context, accountID string, from, to time.Time) ([]kobo.MonthTotal, error) {
	return many(ctx, t, func(s scanner) (kobo.MonthTotal, error) {
		var m kobo.MonthTotal
		return m, s.Scan(&m.Month, &m.Credits, &m.Debits, &m.CreditCount, &m.DebitCount)
	}, `SELECT strftime('%Y-%m', date / 1000000 + 3600, 'unixepoch') AS month,
			coalesce(sum(CASE WHEN type = 'credit' THEN amount END), 0), coalesce(sum(CASE WHEN type = 'debit' THEN amount END), 0),
			count(CASE WHEN type = 'credit' THEN 1 END), count(CASE WHEN type = 'debit' THEN 1 END)
		FROM transactions WHERE account_id = ? AND date >= ? AND date <= ? AND removed_at IS NULL
		GROUP BY month ORDER BY month`, accountID, ts(from), ts(to))
}

func (t *tx) ClosingBalances(ctx context.Context, accountID string, from, to time.Time) ([]kobo.DayBalance, error) {
	// one seek of the (account, date DESC, id DESC) key per day for its
	// newest row: reading the range and ranking its rows (a window over a
	// sort) cost 30 ms for 90 days of 50,000 rows; this is 90 short seeks.
	// The day count is cast and capped (ten years, banksim's longest
	// history) so no bound value can make the recursion endless.
	const day = 86_400_000_000 // microseconds, as dates are stored
	if to.Before(from) {
		return nil, nil
	}
	days := int(to.Sub(from)/(24*time.Hour)) + 1
	return many(ctx, t, func(s scanner) (kobo.DayBalance, error) {
		var d kobo.DayBalance
		return d, s.Scan(&d.Day, &d.Balance)
	}, `WITH RECURSIVE d(day) AS (SELECT 0 UNION ALL SELECT day + 1 FROM d WHERE day + 1 < min(CAST(? AS INTEGER), 3660))
		SELECT day, b FROM (SELECT d.day, (SELECT balance FROM transactions
				WHERE account_id = ? AND date >= ? + d.day * ? AND date < ? + (d.day + 1) * ? AND date <= ?
					AND removed_at IS NULL AND balance IS NOT NULL
				ORDER BY date DESC, id DESC LIMIT 1) AS b FROM d)
		WHERE b IS NOT NULL ORDER BY day`, days, accountID, ts(from), day, ts(from), day, ts(to))
}

const statementCols = `id, account_id, app_id, live, status, period, from_at, to_at, error, created_at, built_at`

func scanStatement(s scanner, withPDF bool) (*kobo.Statement, error) {
	var st kobo.Statement
	var live int
	var from, to, created int64
	var built sql.NullInt64
	dest := []any{&st.ID, &st.AccountID, &st.AppID, &live, &st.Status, &st.Period, &from, &to, &st.Error, &created, &built}
	if withPDF {
		dest = append(dest, &st.PDF)
	}
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	st.Live, st.From, st.To, st.CreatedAt, st.BuiltAt = live != 0, fromTS(from), fromTS(to), fromTS(created), fromNullTS(built)
	return &st, nil
}

func (t *tx) CreateStatement(ctx context.Context, st *kobo.Statement) error {
	_, err := t.exec(ctx, `INSERT INTO statements (`+statementCols+`, pdf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.ID, st.AccountID, st.AppID, boolInt(st.Live), st.Status, st.Period, ts(st.From), ts(st.To), st.Error, ts(st.CreatedAt), tsPtr(st.BuiltAt), st.PDF)
	return err
}

func (t *tx) Statement(ctx context.Context, id string, withPDF bool) (*kobo.Statement, error) {
	cols := statementCols
	if withPDF {
		cols += ", pdf"
	}
	return one(ctx, t, "statement", func(s scanner) (*kobo.Statement, error) { return scanStatement(s, withPDF) },
		`SELECT `+cols+` FROM statements WHERE id = ?`, id)
}

func (t *tx) UpdateStatement(ctx context.Context, st *kobo.Statement) error {
	return t.execOne(ctx, "statement", `UPDATE statements SET status = ?, pdf = ?, error = ?, built_at = ? WHERE id = ?`,
		st.Status, st.PDF, st.Error, tsPtr(st.BuiltAt), st.ID)
}

const incomeCols = `id, account_id, app_id, status, months, result, created_at, done_at, provider, upstream_at, upstream_after, error`

func scanIncome(s scanner) (*kobo.IncomeRecord, error) {
	var r kobo.IncomeRecord
	var result string
	var created int64
	var done, upstream, after sql.NullInt64
	if err := s.Scan(&r.ID, &r.AccountID, &r.AppID, &r.Status, &r.Months, &result, &created, &done, &r.Provider, &upstream, &after, &r.Error); err != nil {
		return nil, err
	}
	if result != "" {
		r.Result = []byte(result)
	}
	r.CreatedAt, r.DoneAt, r.UpstreamAt, r.UpstreamAfter = fromTS(created), fromNullTS(done), fromNullTS(upstream), fromNullTS(after)
	return &r, nil
}

func (t *tx) CreateIncomeRecord(ctx context.Context, r *kobo.IncomeRecord) error {
	_, err := t.exec(ctx, `INSERT INTO income_records (`+incomeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.AccountID, r.AppID, r.Status, r.Months, string(r.Result), ts(r.CreatedAt), tsPtr(r.DoneAt), r.Provider, tsPtr(r.UpstreamAt), tsPtr(r.UpstreamAfter), r.Error)
	return err
}

func (t *tx) IncomeRecord(ctx context.Context, id string) (*kobo.IncomeRecord, error) {
	return one(ctx, t, "income record", scanIncome, `SELECT `+incomeCols+` FROM income_records WHERE id = ?`, id)
}

func (t *tx) UpdateIncomeRecord(ctx context.Context, r *kobo.IncomeRecord) error {
	return t.execOne(ctx, "income record", `UPDATE income_records SET status = ?, result = ?, done_at = ?, provider = ?, upstream_at = ?, upstream_after = ?, error = ? WHERE id = ?`,
		r.Status, string(r.Result), tsPtr(r.DoneAt), r.Provider, tsPtr(r.UpstreamAt), tsPtr(r.UpstreamAfter), r.Error, r.ID)
}

func (t *tx) IncomeRecords(ctx context.Context, accountID string) ([]*kobo.IncomeRecord, error) {
	return many(ctx, t, scanIncome, `SELECT `+incomeCols+` FROM income_records WHERE account_id = ? ORDER BY created_at DESC, id DESC`, accountID)
}

func (t *tx) RekeyTransaction(ctx context.Context, accountID, oldRef, newRef string, providerID bool) (bool, error) {
	res, err := t.exec(ctx, `UPDATE transactions SET provider_ref = ?, provider_id = ? WHERE account_id = ? AND provider_ref = ?`, newRef, boolInt(providerID), accountID, oldRef)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// metaJSON is a transaction's meta as stored: a JSON object (its keys
// sorted, so a repeat compares equal), or NULL when there is none.
func metaJSON(m kobo.TxnMeta) any {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil // a map of strings always marshals
	}
	return string(b)
}
