package sqlite

import (
	"context"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// likeEscape makes s a literal inside a LIKE pattern (ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

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
	if s := strings.TrimSpace(f.Text); s != "" {
		pat := "%" + likeEscape(strings.ToLower(s)) + "%"
		// LIKE is case-insensitive for ASCII in SQLite
		where += ` AND (name LIKE ? ESCAPE '\' OR reference LIKE ? ESCAPE '\' OR id = ?
			OR customer_id IN (SELECT id FROM customers WHERE app_id = ? AND live = ? AND (name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')))`
		args = append(args, pat, pat, s, f.AppID, boolInt(f.Live), pat, pat)
	}
	var total int
	if err := t.q.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, classify(err)
	}
	list, err := many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT (? + 0) OFFSET ?`,
		append(args, max(f.Limit, 1), max(f.Offset, 0))...)
	return list, total, err
}
