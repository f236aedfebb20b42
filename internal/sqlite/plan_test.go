package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestPagePlansSeek pins the query plans of the history's hot reads: a
// keyset page must seek the primary key to its bound, never walk from the
// account's newest row (which made streaming a long history quadratic).
func TestPagePlansSeek(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	key := &kobo.TxnKey{Date: time.Now(), ID: "x"}
	for name, c := range map[string]struct {
		f    kobo.TxnFilter
		want string
	}{
		"first page":    {kobo.TxnFilter{AccountID: "a"}, "SEARCH transactions USING PRIMARY KEY (account_id=?)"},
		"next page":     {kobo.TxnFilter{AccountID: "a", After: key}, "SEARCH transactions USING PRIMARY KEY (account_id=? AND (date,id)<(?,?))"},
		"previous page": {kobo.TxnFilter{AccountID: "a", Before: key}, "SEARCH transactions USING PRIMARY KEY (account_id=? AND (date,id)>(?,?))"},
		"oldest first":  {kobo.TxnFilter{AccountID: "a", After: key, Ascending: true}, "SEARCH transactions USING PRIMARY KEY (account_id=? AND (date,id)>(?,?))"},
	} {
		where, args := txnWhere(c.f)
		rows, err := s.read.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT `+txnCols+` FROM transactions WHERE `+where+` ORDER BY date DESC, id DESC LIMIT 100`, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, c.want) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %q and no sort", name, got, c.want)
		}
	}
}
