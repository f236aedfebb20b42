package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres"
	"github.com/kobo-oss/kobo/internal/postgres/pgtest"
	"github.com/kobo-oss/kobo/internal/storetest"
)

func explain(t *testing.T, s *postgres.Store, q string, args ...any) string {
	t.Helper()
	return explainOn(t, s.Pool(), q, args...)
}

// explainOn is explain on one connection (where a statement it prepared
// lives) or a pool.
func explainOn(t *testing.T, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, q string, args ...any) string {
	t.Helper()
	rows, err := db.Query(context.Background(), `EXPLAIN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, strings.TrimSpace(line))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// TestPagePlansSeek pins the Postgres plans of a transaction page, as the
// SQLite test of the same name does: after a large first fetch into a
// table analysed only while empty (as at install), a page must walk
// transactions_date from its bound and stop at the limit, not bitmap-scan
// the whole account and sort it (which halved uncached page throughput).
// What keeps it so is RefreshStats, which the first fetch calls.
func TestPagePlansSeek(t *testing.T) {
	t.Parallel()
	s := pgtest.Open(t)
	ctx := context.Background()
	a := storetest.NewApp(t, s, storetest.NewPartner(t, s, "plans@b.ng").ID)
	if _, err := s.Pool().Exec(ctx, `INSERT INTO accounts (id, app_id, live, institution_id, auth_method, provider_ref, name, account_number,
			fingerprint, type, currency, balance, data_status, created_at, updated_at)
		SELECT 'a' || g, $1, false, 'inst', 'internet_banking', 'ref' || g, 'Ada', '0123456789', 'fp' || g, 'savings', 'NGN', 0, 'AVAILABLE', now(), now()
		FROM generate_series(0, 3) g`, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO transactions (account_id, id, provider_ref, seq, type, amount, narration, date, balance, currency,
			created_at, updated_at, created_seq)
		SELECT 'a' || (g % 4), 'tx' || g, 'r' || g, g, 'debit', 100, 'POS purchase ' || g, $1::timestamptz - g * interval '1 minute', 0, 'NGN', now(), now(), g
		FROM generate_series(1, 40000) g`, storetest.T0); err != nil {
		t.Fatal(err)
	}
	ran, err := s.RefreshStats(ctx)
	if err != nil || !ran {
		t.Fatalf("RefreshStats after a 40,000-row fetch = %v, %v; want it to analyse", ran, err)
	}
	key := &kobo.TxnKey{Date: storetest.T0.Add(-24 * time.Hour), ID: "tx"}
	for name, f := range map[string]kobo.TxnFilter{
		"first page":    {AccountID: "a1", Limit: 100},
		"next page":     {AccountID: "a1", After: key, Limit: 100},
		"previous page": {AccountID: "a1", Before: key, Limit: 100},
		"oldest first":  {AccountID: "a1", After: key, Ascending: true, Limit: 100},
	} {
		q, args := postgres.TxnPage(f)
		got := explain(t, s, q, args...)
		if !strings.Contains(got, "Index Scan") || !strings.Contains(got, "using transactions_date") || strings.Contains(got, "Sort") || strings.Contains(got, "Bitmap") {
			t.Errorf("%s: plan %q, want an index scan of transactions_date and no sort", name, got)
		}
	}
	if ran, err := s.RefreshStats(ctx); err != nil || ran {
		t.Errorf("RefreshStats with nothing new = %v, %v; want no work", ran, err)
	}
}

// TestJobPlansSeek: the job lookups made on every manual sync and every
// runner wake-up seek an index on Postgres too, with a table of mostly
// finished jobs analysed (as RefreshStats leaves it).
func TestJobPlansSeek(t *testing.T) {
	t.Parallel()
	s := pgtest.Open(t)
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, `INSERT INTO jobs (id, kind, args, status, max_attempts, run_at, created_at, updated_at, finished_at)
		SELECT 'j' || g, 'account.sync', '{}', CASE WHEN g % 100 = 0 THEN 'available' ELSE 'completed' END, 5,
			$1::timestamptz + g * interval '1 second', $1::timestamptz + g * interval '1 second', now(),
			CASE WHEN g % 100 = 0 THEN NULL ELSE now() END
		FROM generate_series(1, 30000) g`, storetest.T0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE jobs SET account_id = 'a' || (substr(id, 2)::int % 500)`); err != nil {
		t.Fatal(err)
	}
	if ran, err := s.RefreshStats(ctx); err != nil || !ran {
		t.Fatalf("RefreshStats = %v, %v", ran, err)
	}
	now := storetest.T0.Add(time.Hour)
	for name, c := range map[string]struct {
		q    string
		args []any
		want []string
	}{
		"latest job of an account": {postgres.LatestJobSQL, []any{"acct", "account.sync", now}, []string{"jobs_account"}},
		"next job due":             {postgres.NextJobAtSQL, nil, []string{"jobs_available_at", "jobs_running"}},
		"claim":                    {postgres.ClaimJobsSQL, []any{"w", now, now, 8}, []string{"jobs_available", "jobs_running"}},
	} {
		got := explain(t, s, c.q, c.args...)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan %q, want %q", name, got, w)
			}
		}
		if strings.Contains(got, "Seq Scan on jobs") {
			t.Errorf("%s: plan %q reads the whole table", name, got)
		}
	}
}

// TestAPIRequestPlans: looking one request up by the X-Request-Id a partner
// quotes seeks the request-id index, not every retained row of the app.
func TestAPIRequestPlans(t *testing.T) {
	t.Parallel()
	s := pgtest.Open(t)
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, `INSERT INTO api_requests (id, app_id, live, method, path, route, status, latency_us, request_id, created_at)
		SELECT 'r' || g, 'app', false, 'GET', '/v2/accounts', '/v2/accounts', 200, 100, 'req_' || g, $1::timestamptz + g * interval '1 second'
		FROM generate_series(1, 20000) g`, storetest.T0); err != nil {
		t.Fatal(err)
	}
	if ran, err := s.RefreshStats(ctx); err != nil || !ran {
		t.Fatalf("RefreshStats = %v, %v", ran, err)
	}
	q, args := postgres.APIRequestsSQL(kobo.APIRequestFilter{AppID: "app", RequestID: "req_77", Limit: 50})
	if got := explain(t, s, q, args...); !strings.Contains(got, "api_requests_request_id") || strings.Contains(got, "Seq Scan") {
		t.Errorf("by request id: plan %q, want the request-id index", got)
	}
}
