package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// likeEscape makes s a literal inside a LIKE pattern (backslash escapes).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (t *tx) SearchAccounts(ctx context.Context, f kobo.AccountSearch) ([]*kobo.Account, int, error) {
	args := []any{f.AppID, f.Live}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := `app_id = $1 AND live = $2`
	if f.Status != "" {
		where += ` AND data_status = ` + arg(string(f.Status))
	}
	if f.InstitutionID != "" {
		where += ` AND institution_id = ` + arg(f.InstitutionID)
	}
	if f.CustomerID != "" {
		where += ` AND customer_id = ` + arg(f.CustomerID)
	}
	if s := strings.TrimSpace(f.Text); s != "" {
		pat := arg("%" + likeEscape(s) + "%")
		where += ` AND (name ILIKE ` + pat + ` OR reference ILIKE ` + pat + ` OR id = ` + arg(s) +
			` OR customer_id IN (SELECT id FROM customers WHERE app_id = $1 AND live = $2 AND (name ILIKE ` + pat + ` OR email ILIKE ` + pat + `)))`
	}
	var total int
	if err := t.q.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, classify(err)
	}
	lim, off := arg(max(f.Limit, 1)), arg(max(f.Offset, 0))
	list, err := many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT `+lim+` OFFSET `+off, args...)
	return list, total, err
}
