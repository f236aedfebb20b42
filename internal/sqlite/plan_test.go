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
	s := migrated(t, filepath.Join(t.TempDir(), "kobo.db"))
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
		got := queryPlan(t, s, `SELECT `+txnCols+` FROM transactions WHERE `+where+` ORDER BY date DESC, id DESC LIMIT 100`, args...)
		if !strings.Contains(got, c.want) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %q and no sort", name, got, c.want)
		}
	}
}

// migrated opens a migrated store at path, closed when the test ends.
func migrated(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.read.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// TestJobPlansSeek: the job lookups made on every manual sync and every
// runner wake-up seek an index, whatever the size of the table.
func TestJobPlansSeek(t *testing.T) {
	s := migrated(t, filepath.Join(t.TempDir(), "kobo.db"))
	now := time.Now().UnixMicro()
	for name, c := range map[string]struct {
		q    string
		args []any
		want []string
	}{
		"latest job of an account": {latestJobSQL, []any{"acct", "account.sync", now}, []string{"SEARCH jobs USING INDEX jobs_account (account_id=?"}},
		"next job due":             {nextJobAtSQL, nil, []string{"jobs_available_at", "jobs_running"}},
		"claim":                    {claimJobsSQL, []any{"w", now, now, 8}, []string{"jobs_available", "SEARCH jobs USING INDEX jobs_running (locked_until<?)"}},
	} {
		got := queryPlan(t, s, c.q, c.args...)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan %q, want %q", name, got, w)
			}
		}
		if strings.Contains(got, "SCAN jobs;") || strings.HasSuffix(got, "SCAN jobs") || (name != "claim" && strings.Contains(got, "TEMP B-TREE")) {
			t.Errorf("%s: plan %q reads the whole table or sorts it", name, got)
		}
	}
}

// TestAPIRequestPlans: looking one request up by the X-Request-Id a partner
// quotes seeks the request-id index instead of reading every retained row
// of the app; the log of one mode still walks its newest rows first.
func TestAPIRequestPlans(t *testing.T) {
	s := migrated(t, filepath.Join(t.TempDir(), "kobo.db"))
	for name, c := range map[string]struct {
		f    kobo.APIRequestFilter
		want string
	}{
		"by request id": {kobo.APIRequestFilter{AppID: "app", RequestID: "req_1", Limit: 50}, "USING INDEX api_requests_request_id (app_id=? AND request_id=?)"},
		"newest first":  {kobo.APIRequestFilter{AppID: "app", Live: new(bool), Limit: 50}, "USING PRIMARY KEY (app_id=? AND live=?)"},
	} {
		q, args := apiRequestsSQL(c.f)
		if got := queryPlan(t, s, q, args...); !strings.Contains(got, c.want) || (c.f.RequestID == "" && strings.Contains(got, "TEMP B-TREE")) {
			// the few rows of one request id may be sorted; a mode's log may not
			t.Errorf("%s: plan %q, want %q and no sort of the log", name, got, c.want)
		}
	}
}
