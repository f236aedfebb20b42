package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
)

// shapeOf reduces a JSON value to its shape: every object keeps its keys,
// arrays keep their first element, and leaves become their JSON type. The
// data endpoints' values move with the sandbox bank's clock; their shape
// must match Mono's exactly, which is what these goldens pin.
func shapeOf(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shapeOf(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shapeOf(x[0])}
	case string:
		return "<string>"
	case float64:
		return "<number>"
	case bool:
		return "<bool>"
	case nil:
		return nil
	}
	return v
}

func shapeGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: not JSON: %s", name, body)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(shapeOf(v))
	path := filepath.Join("testdata", "shape_"+name+".golden.json")
	if *update {
		os.WriteFile(path, buf.Bytes(), 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test -update)", name, err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from %s:\n%s", name, path, buf.Bytes())
	}
}

func TestFinancialData(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); financialData(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); financialData(t, e2eOpts{postgres: true, dsn: postgresDSN(t)}) })
}

func financialData(t *testing.T, o e2eOpts) {
	hooks := newHookReceiver(t)
	e := startE2E(t, o)
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	gt := e.institution("GTBank")
	id := linkUser(t, e, gt, "user_good", nil)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })

	// v1 transactions: walk every page by following next, as SDKs do.
	first := e.must(200, "GET", "/accounts/"+id+"/transactions?limit=50", nil, e.key()...)
	shapeGolden(t, "v1_transactions", first.body)
	var page struct {
		Paging struct {
			Total          int
			Page           int
			Previous, Next *string
		}
		Data []map[string]any
	}
	json.Unmarshal(first.body, &page)
	total := page.Paging.Total
	if total < 200 || page.Paging.Previous != nil || page.Paging.Next == nil || len(page.Data) != 50 {
		t.Fatalf("first page: total %d, prev %v, next %v, %d rows", total, page.Paging.Previous, page.Paging.Next, len(page.Data))
	}
	seen := map[string]bool{}
	var last time.Time
	for n := 1; ; n++ {
		if page.Paging.Page != n {
			t.Fatalf("page %d says page %d", n, page.Paging.Page)
		}
		for _, r := range page.Data {
			if seen[r["_id"].(string)] {
				t.Fatalf("row %v seen twice", r["_id"])
			}
			seen[r["_id"].(string)] = true
			d, _ := time.Parse(time.RFC3339, r["date"].(string))
			if !last.IsZero() && d.After(last) {
				t.Fatalf("not newest first at page %d", n)
			}
			last = d
			if r["category"] == "" || r["category"] == nil {
				t.Fatalf("uncategorised: %v", r)
			}
		}
		if page.Paging.Next == nil {
			break
		}
		u, err := url.Parse(*page.Paging.Next)
		if err != nil || !strings.HasPrefix(*page.Paging.Next, e.url+"/accounts/"+id+"/transactions?") {
			t.Fatalf("next is not an absolute URL of this endpoint: %v", *page.Paging.Next)
		}
		r := e.must(200, "GET", u.RequestURI(), nil, e.key()...)
		page.Paging.Next, page.Paging.Previous = nil, nil
		json.Unmarshal(r.body, &page)
		if page.Paging.Previous == nil {
			t.Fatalf("page %d has no previous", n+1)
		}
	}
	if len(seen) != total {
		t.Fatalf("walked %d rows, total says %d", len(seen), total)
	}
	// A client that keeps only page= (as Mono's sample app does) gets the same page.
	byPage := e.must(200, "GET", "/accounts/"+id+"/transactions?limit=50&page=3", nil, e.key()...)
	var p3 struct{ Data []map[string]any }
	json.Unmarshal(byPage.body, &p3)
	if len(p3.Data) == 0 || !seen[p3.Data[0]["_id"].(string)] {
		t.Fatal("page=3 without a cursor")
	}

	// paginate=false streams the lot, in both generations.
	var all struct {
		Data   []map[string]any
		Paging struct{ Total int }
	}
	json.Unmarshal(e.must(200, "GET", "/accounts/"+id+"/transactions?paginate=false", nil, e.key()...).body, &all)
	if len(all.Data) != total || all.Paging.Total != total {
		t.Fatalf("paginate=false: %d rows, total %d, want %d", len(all.Data), all.Paging.Total, total)
	}
	v2all := e.must(200, "GET", "/v2/accounts/"+id+"/transactions?paginate=false&type=credit", nil, e.key()...)
	var v2a struct {
		Status string
		Data   []map[string]any
		Meta   struct{ Total int }
	}
	if err := json.Unmarshal(v2all.body, &v2a); err != nil || v2a.Status != "successful" || v2a.Meta.Total != len(v2a.Data) {
		t.Fatalf("v2 paginate=false: %v %s", err, v2all.body[:min(300, len(v2all.body))])
	}
	for _, r := range v2a.Data {
		if r["type"] != "credit" {
			t.Fatalf("type=credit returned %v", r["type"])
		}
	}

	// Filters: narration (case-insensitive), type, dates.
	v2 := e.must(200, "GET", "/v2/accounts/"+id+"/transactions?narration=sal&type=credit&limit=5", nil, e.key()...)
	shapeGolden(t, "v2_transactions", v2.body)
	var sal struct {
		Data []map[string]any
		Meta struct{ Total int }
	}
	json.Unmarshal(v2.body, &sal)
	if sal.Meta.Total < 10 {
		t.Fatalf("a salaried user has %d SAL credits in a year", sal.Meta.Total)
	}
	for _, r := range sal.Data {
		if !strings.Contains(strings.ToLower(r["narration"].(string)), "sal") {
			t.Fatalf("narration filter: %v", r)
		}
	}
	salaries := 0
	for _, r := range v2a.Data {
		if strings.Contains(r["narration"].(string), "ANDELA") {
			if r["category"] != "income" {
				t.Fatalf("salary categorised as %v", r["category"])
			}
			salaries++
		}
	}
	if salaries < 11 {
		t.Fatalf("%d credits categorised as salary in a year", salaries)
	}
	now := time.Now().In(time.FixedZone("WAT", 3600))
	start, end := now.AddDate(0, -2, 0), now.AddDate(0, -1, 0)
	q := "?paginate=false&start=" + start.Format("02-01-2006") + "&end=" + end.Format("02-01-2006")
	json.Unmarshal(e.must(200, "GET", "/accounts/"+id+"/transactions"+q, nil, e.key()...).body, &all)
	if len(all.Data) == 0 {
		t.Fatal("a month of history is empty")
	}
	lo := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, start.Location())
	hi := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, end.Location()).AddDate(0, 0, 1)
	for _, r := range all.Data {
		d, _ := time.Parse(time.RFC3339, r["date"].(string))
		if d.Before(lo) || !d.Before(hi) {
			t.Fatalf("%v outside %v..%v", d, lo, hi)
		}
	}

	// Bad input: 400 with the field named, never a 500.
	for _, bad := range []string{"start=2024-01-01", "type=both", "limit=0", "limit=abc", "page=-1", "paginate=maybe", "start=02-02-2026&end=01-01-2026", "cursor=garbage"} {
		r := e.must(400, "GET", "/accounts/"+id+"/transactions?"+bad, nil, e.key()...)
		if !strings.Contains(string(r.body), "message") {
			t.Fatalf("%s: %s", bad, r.body)
		}
	}
	golden(t, "v1_transactions_bad_type", e.must(400, "GET", "/accounts/"+id+"/transactions?type=both", nil, e.key()...).body)
	golden(t, "v2_transactions_bad_date", e.must(400, "GET", "/v2/accounts/"+id+"/transactions?start=2024-01-01", nil, e.key()...).body)

	// Balance, identity, credits and debits.
	bal := e.must(200, "GET", "/v2/accounts/"+id+"/balance", nil, e.key()...)
	golden(t, "v2_balance", bal.body)
	acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
	idv1 := e.must(200, "GET", "/accounts/"+id+"/identity", nil, e.key()...)
	shapeGolden(t, "v1_identity", idv1.body)
	bvn := idv1.m(t)["bvn"].(string)
	if len(bvn) != 11 || acct["bvn"] != bvn[7:] {
		t.Fatalf("identity BVN %q, account shows %v", bvn, acct["bvn"])
	}
	shapeGolden(t, "v2_identity", e.must(200, "GET", "/v2/accounts/"+id+"/identity", nil, e.key()...).body)
	cr := e.must(200, "GET", "/accounts/"+id+"/credits", nil, e.key()...)
	shapeGolden(t, "v1_credits", cr.body)
	var credits struct {
		Total   int64
		History []struct {
			Amount int64
			Period string
		}
	}
	json.Unmarshal(cr.body, &credits)
	var sum int64
	for _, h := range credits.History {
		sum += h.Amount
		if len(h.Period) != 7 || h.Period[2] != '-' {
			t.Fatalf("period %q is not MM-YYYY", h.Period)
		}
	}
	if sum != credits.Total || len(credits.History) < 11 {
		t.Fatalf("credits: total %d, history sums to %d over %d months", credits.Total, sum, len(credits.History))
	}
	e.must(200, "GET", "/accounts/"+id+"/debits", nil, e.key()...)

	// Income v1 recovers the simulated salary within 5%.
	inc := e.must(200, "GET", "/accounts/"+id+"/income", nil, e.key()...)
	shapeGolden(t, "v1_income", inc.body)
	employer, salary, _ := banksim.ExpectedIncome("user_good")
	im := inc.m(t)
	if im["type"] != "INCOME" || im["employer"] != employer || math.Abs(im["amount"].(float64)-float64(salary)) > 0.05*float64(salary) {
		t.Fatalf("income %v, want %s ≈ %d", im, employer, salary)
	}

	// Income v2: asynchronous, by webhook and records.
	r := e.must(200, "GET", "/v2/accounts/"+id+"/income?period=6", nil, e.key()...)
	golden(t, "v2_income_started", r.body)
	waitUntil(t, "income webhook", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(id), ","), "account_income") })
	recs := e.must(200, "GET", "/v2/accounts/"+id+"/income-records", nil, e.key()...)
	shapeGolden(t, "v2_income_records", recs.body)
	if !strings.Contains(string(recs.body), `"employer":"`+employer+`"`) {
		t.Fatalf("records: %s", recs.body)
	}

	// Statements: JSON in both generations, then a PDF job.
	st := e.must(200, "GET", "/accounts/"+id+"/statement?period=last3months&output=json", nil, e.key()...)
	shapeGolden(t, "v1_statement", st.body)
	var stj struct {
		Meta struct{ Count int }
		Data []any
	}
	json.Unmarshal(st.body, &stj)
	if stj.Meta.Count == 0 || stj.Meta.Count != len(stj.Data) {
		t.Fatalf("statement count %d, rows %d", stj.Meta.Count, len(stj.Data))
	}
	shapeGolden(t, "v2_statement", e.must(200, "GET", "/v2/accounts/"+id+"/statement?period=last1months", nil, e.key()...).body)
	golden(t, "v1_statement_bad_period", e.must(400, "GET", "/accounts/"+id+"/statement?period=last13months", nil, e.key()...).body)
	job := e.must(200, "GET", "/accounts/"+id+"/statement?period=last12months&output=pdf", nil, e.key()...).m(t)
	if job["status"] != "BUILDING" {
		t.Fatalf("pdf job: %v", job)
	}
	var path string
	waitUntil(t, "statement built", 30*time.Second, func() bool {
		j := e.must(200, "GET", "/accounts/"+id+"/statement/jobs/"+job["id"].(string), nil, e.key()...).m(t)
		path, _ = j["path"].(string)
		return j["status"] == "BUILT"
	})
	u, _ := url.Parse(path)
	pdf := e.must(200, "GET", u.RequestURI(), nil) // no key: the link is signed
	if pdf.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.body, []byte("%PDF-")) || len(pdf.body) < 5000 {
		t.Fatalf("pdf: %s, %d bytes", pdf.header.Get("Content-Type"), len(pdf.body))
	}
	tampered := strings.Replace(u.RequestURI(), "signature=", "signature=0", 1)
	e.must(403, "GET", tampered, nil)
	v2job := e.must(200, "GET", "/v2/accounts/"+id+"/statement/jobs/"+job["id"].(string), nil, e.key()...)
	golden(t, "v2_statement_job", v2job.body)
	waitUntil(t, "statement webhook", 20*time.Second, func() bool { return strings.Contains(strings.Join(hooks.types(id), ","), "statement_job_completed") })

	// The sync cursor: a first full read, then nothing new.
	sync1 := e.must(200, "GET", "/v2/accounts/"+id+"/transactions/sync?count=500", nil, e.key()...)
	shapeGolden(t, "v2_transactions_sync", sync1.body)
	var sp struct {
		Data struct {
			Added      []map[string]any
			NextCursor string `json:"next_cursor"`
			HasMore    bool   `json:"has_more"`
		}
	}
	got := 0
	cursor := ""
	for {
		json.Unmarshal(e.must(200, "GET", "/v2/accounts/"+id+"/transactions/sync?count=500&cursor="+cursor, nil, e.key()...).body, &sp)
		got += len(sp.Data.Added)
		cursor = sp.Data.NextCursor
		if !sp.Data.HasMore {
			break
		}
	}
	if got != total {
		t.Fatalf("sync cursor added %d, total %d", got, total)
	}
	json.Unmarshal(e.must(200, "GET", "/v2/accounts/"+id+"/transactions/sync?cursor="+cursor, nil, e.key()...).body, &sp)
	if len(sp.Data.Added) != 0 {
		t.Fatalf("nothing changed but sync added %d", len(sp.Data.Added))
	}

	// The operator's metrics count the background work.
	mfs, err := e.stk.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"kobo_jobs_total", "kobo_job_duration_seconds", "kobo_webhook_attempts_total", "kobo_http_requests_total",
		"kobo_webhook_lag_seconds", "kobo_account_fetches_total", "kobo_queue_depth", "kobo_queue_oldest_seconds"} {
		if !names[want] {
			t.Errorf("metric %s is missing", want)
		}
	}

	// Another app's key sees none of it.
	e2 := &e2e{t: t, url: e.url}
	e2.signupApp("")
	for _, p := range []string{"/accounts/" + id + "/transactions", "/v2/accounts/" + id + "/balance", "/accounts/" + id + "/identity", "/accounts/" + id + "/income", "/v2/accounts/" + id + "/statement?period=last1months"} {
		r := e2.do("GET", p, nil, e2.key()...)
		if r.status != 404 {
			t.Fatalf("%s with another app's key: %d %s", p, r.status, r.body)
		}
	}
}
