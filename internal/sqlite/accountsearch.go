package sqlite

import (
	"context"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) SearchAccounts(ctx context.Context, f kobo.AccountSearch) ([]*kobo.Account, int, error) {
	where := `app_id = ? AND live = ?`
	args := []any{f.AppID, boolInt(f.Live)}
	if f.Status != "" {
		where += ` AND data_status = ?`
		args = append(args, string(f.Status))
	}
	if f.InstitutionID != "" {
		where += ` AND institution_id = ?`
		args = append(args, f.InstitutionID)
	}
	if f.CustomerID != "" {
		where += ` AND customer_id = ?`
		args = append(args, f.CustomerID)
	}
	if s := strings.TrimSpace(f.Text); s != "" {
		// instr, not LIKE: SQLite plans a LIKE by its bound pattern, so a
		// prepared LIKE is compiled again for every search (texts.go);
		// and a literal needs no escaping
		sub := strings.ToLower(s)
		where += ` AND (instr(lower(name), ?) > 0 OR instr(lower(reference), ?) > 0 OR id = ?
			OR customer_id IN (SELECT id FROM customers WHERE app_id = ? AND live = ? AND (instr(lower(name), ?) > 0 OR instr(lower(email), ?) > 0)))`
		args = append(args, sub, sub, s, f.AppID, boolInt(f.Live), sub, sub)
	}
	var total int
	if err := t.q.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, classify(err)
	}
	list, err := many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT (? + 0) OFFSET ?`,
		append(args, max(f.Limit, 1), max(f.Offset, 0))...)
	return list, total, err
}
