package cli

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Mono fidelity, round 2, item 10 (issue 18): the documented bank-data
// endpoints kobo lacked — the accounts list, customers, statement
// insights, enrichment and credit-worthiness — each checked against the
// docs.mono.co page named beside it, and each asynchronous result checked
// against the account's own data, so no answer can be canned.
func TestMonoFidelityEndpoints(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); monoEndpoints(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); monoEndpoints(t, e2eOpts{postgres: true, dsn: postgresDSN(t)}) })
}

func monoEndpoints(t *testing.T, o e2eOpts) {
	hooks := newHookReceiver(t)
	e := startE2E(t, o)
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	gt := e.institution("GTBank")

	t.Run("customers", func(t *testing.T) {
		// https://docs.mono.co/docs/payments/direct-debit/integration-guide-create-customers:
		// the body, its required fields, and "Created customer successfully".
		body := map[string]any{"identity": map[string]string{"type": "bvn", "number": "22212345678"}, "email": "ada@example.com",
			"first_name": "Ada", "last_name": "Obi", "address": "12 Allen Ave, Ikeja", "phone": "08030000000"}
		r := e.must(200, "POST", "/v2/customers", body, e.key()...)
		golden(t, "v2_customer_created", r.body)
		c := obj(r.m(t), "data")
		cid := c["id"].(string)
		if c["first_name"] != "Ada" || c["last_name"] != "Obi" || c["bvn"] != "22212345678" || c["identification_type"] != "bvn" {
			t.Fatalf("created: %s", r.body)
		}
		// the field table's camelCase spelling works too
		e.must(200, "POST", "/v2/customers", map[string]any{"identity": map[string]string{"type": "bvn", "number": "22212345679"}, "email": "bola@example.com",
			"firstName": "Bola", "lastName": "Ade", "address": "1 Marina", "phone": "08030000001"}, e.key()...)
		// changelog 2024-07-09: business customers
		b := obj(e.must(200, "POST", "/v2/customers", map[string]any{"identity": map[string]string{"type": "bvn", "number": "22212345670"}, "email": "ops@kobo.example",
			"type": "business", "business_name": "Kobo Ventures Ltd", "address": "3 Broad St", "phone": "08030000002"}, e.key()...).m(t), "data")
		if b["business_name"] != "Kobo Ventures Ltd" || b["type"] != "business" {
			t.Fatalf("business: %v", b)
		}
		// every missing field named; a taken email refused
		r = e.must(400, "POST", "/v2/customers", map[string]any{"email": "x@example.com"}, e.key()...)
		for _, f := range []string{"first_name", "last_name", "address", "phone", "identity"} {
			if !strings.Contains(string(r.body), f) {
				t.Errorf("the 400 does not name %s: %s", f, r.body)
			}
		}
		e.must(409, "POST", "/v2/customers", body, e.key()...)
		// list, newest first, with Mono's meta
		l := e.must(200, "GET", "/v2/customers?limit=2", nil, e.key()...).m(t)
		if m := obj(l, "meta"); m["total"] != float64(3) || m["pages"] != float64(2) || m["next"] == nil || m["previous"] != nil {
			t.Fatalf("list meta: %v", m)
		}
		if one := e.must(200, "GET", "/v2/customers?email=ADA@example.com", nil, e.key()...).m(t)["data"].([]any); len(one) != 1 {
			t.Fatalf("by email: %v", one)
		}
		// update (fabiconcept and adelowo/go-mono send phone, address, identity)
		r = e.must(200, "PATCH", "/v2/customers/"+cid, map[string]any{"phone": "08039999999", "address": "5 Awolowo Rd"}, e.key()...)
		if m := r.m(t); m["message"] != "Customer updated successfully" || m["data"] != nil {
			t.Fatalf("update: %s", r.body)
		}
		if got := obj(e.must(200, "GET", "/v2/customers/"+cid, nil, e.key()...).m(t), "data"); got["phone"] != "08039999999" || got["address"] != "5 Awolowo Rd" || got["first_name"] != "Ada" {
			t.Fatalf("after update: %v", got)
		}
		// a customer's linked accounts: link one naming the customer
		s := obj(e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt, "customer": map[string]string{"id": cid}}, e.key()...).m(t), "data", "session")["id"].(string)
		code := obj(e.must(200, "POST", "/v2/connect/login", map[string]string{"username": "user_good", "password": "123456"}, e.key("x-session-id", s)...).m(t), "data")["code"].(string)
		acct := obj(e.must(200, "POST", "/v2/accounts/auth", map[string]string{"code": code}, e.key()...).m(t), "data")["id"].(string)
		accts := e.must(200, "GET", "/v2/customers/"+cid+"/accounts", nil, e.key()...).m(t)["data"].([]any)
		if len(accts) != 1 || accts[0].(map[string]any)["id"] != acct {
			t.Fatalf("customer's accounts: %v", accts)
		}
		// fabiconcept's customer transactions: one entry per account,
		// each with that account's transactions answer inside
		waitUntil(t, "the customer's account", 30*time.Second, func() bool { return status(t, e, acct) == "AVAILABLE" })
		ct := e.must(200, "GET", "/v2/customers/"+cid+"/transactions?period=last6months&page=1", nil, e.key()...)
		shapeGolden(t, "v2_customer_transactions", ct.body)
		entry := ct.m(t)["data"].([]any)[0].(map[string]any)
		inner := obj(entry, "account_transaction_data", "data", "data")
		if entry["account"] != acct || len(inner["transactions"].([]any)) == 0 || num(obj(inner, "meta")["total"]) < 1 {
			t.Fatalf("customer transactions: %.500s", ct.body)
		}
		// another app never sees the customer
		other := startE2E(t, o)
		other.signupApp("")
		other.must(404, "GET", "/v2/customers/"+cid, nil, other.key()...)
		// deleted for good; the account stays and loses its customer
		if m := e.must(200, "DELETE", "/v2/customers/"+cid, nil, e.key()...).m(t); m["message"] != "Deleted customer successfully" {
			t.Fatalf("delete: %v", m)
		}
		e.must(404, "GET", "/v2/customers/"+cid, nil, e.key()...)
		if c := obj(e.must(200, "GET", "/v2/accounts/"+acct, nil, e.key()...).m(t), "data")["customer"]; c != nil {
			t.Fatalf("account's customer after delete: %v", c)
		}
	})

	id := linkUser(t, e, gt, "user_good", nil)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	total := int(obj(e.must(200, "GET", "/v2/accounts/"+id+"/transactions?limit=1", nil, e.key()...).m(t), "meta")["total"].(float64))
	credits := e.must(200, "GET", "/v2/accounts/"+id+"/credits", nil, e.key()...).m(t)

	t.Run("accounts list", func(t *testing.T) {
		// https://docs.mono.co/docs/quickstart ("Get all accounts"): the items'
		// fields, status the data status; meta {total, pages, previous, next}.
		r := e.must(200, "GET", "/v2/accounts?limit=1", nil, e.key()...)
		shapeGolden(t, "v2_accounts_list", r.body)
		m := r.m(t)
		first := m["data"].([]any)[0].(map[string]any)
		if first["id"] != id || first["status"] != "AVAILABLE" || obj(m, "meta")["total"] != float64(2) || obj(m, "meta")["next"] == nil {
			t.Fatalf("accounts list: %s", r.body)
		}
		if rows := e.must(200, "GET", "/v2/accounts?page=9", nil, e.key()...).m(t)["data"].([]any); len(rows) != 0 {
			t.Fatalf("page past the end: %v", rows)
		}
		if r := e.must(400, "GET", "/v2/accounts?limit=abc", nil, e.key()...); !strings.Contains(string(r.body), "limit") {
			t.Fatalf("bad limit: %s", r.body)
		}
		// kobo's own filters (Mono documents none): each narrows the list
		// and its count, the page links keep them, bad values are a 400
		// naming the parameter
		total := func(q string) float64 {
			return obj(e.must(200, "GET", "/v2/accounts?"+q, nil, e.key()...).m(t), "meta")["total"].(float64)
		}
		for q, want := range map[string]float64{"status=available": 2, "status=FAILED": 0, "institution=" + gt: 2,
			"institution=000000000000000000000000": 0, "customer=nope": 0, "search=" + id: 1, "search=" + id + "&status=FAILED": 0} {
			if got := total(q); got != want {
				t.Errorf("GET /v2/accounts?%s: total %v, want %v", q, got, want)
			}
		}
		if next := obj(e.must(200, "GET", "/v2/accounts?limit=1&status=AVAILABLE", nil, e.key()...).m(t), "meta")["next"]; next == nil || !strings.Contains(next.(string), "status=AVAILABLE") {
			t.Errorf("next link drops the filter: %v", next)
		}
		for _, q := range []string{"status=nope", "status=a&status=b", "search=" + strings.Repeat("x", 201)} {
			if r := e.must(400, "GET", "/v2/accounts?"+q, nil, e.key()...); !strings.Contains(string(r.body), strings.SplitN(q, "=", 2)[0]) {
				t.Errorf("GET /v2/accounts?%.30s: %s", q, r.body)
			}
		}
	})

	t.Run("statement insights v2", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/enrichment/statement-insights
		// (2025-01-31): status "processing", data {jobId, jobStatus}; the
		// webhook names the account; the report is a record.
		r := e.must(200, "GET", "/v2/accounts/"+id+"/statement/insights", nil, e.key()...)
		golden(t, "v2_statement_insights_initiated", r.body)
		job := obj(r.m(t), "data")["jobId"].(string)
		waitUntil(t, "mono.events.statement_insights", 20*time.Second, func() bool { return hooks.event("mono.events.statement_insights", job) != nil })
		rec := e.must(200, "GET", "/v2/enrichments/record/"+job, nil, e.key()...)
		shapeGolden(t, "v2_statement_insights_record", monthKeys(rec.body))
		in := obj(rec.m(t), "data", "insights")
		sum := obj(in, "account_summary")
		// the report is of this account's history: as many transactions as
		// the transactions endpoint has, the credits the credits endpoint sums
		if in["transaction_count"] != float64(total) || sum["overall_credits"] != credits["data"].(map[string]any)["total"] {
			t.Fatalf("insights: %d transactions (want %d), credits %v (want %v)", int(num(in["transaction_count"])), total, sum["overall_credits"], obj(credits, "data")["total"])
		}
		if num(in["balance_after_expense"]) != num(sum["overall_credits"])-num(sum["overall_debits"]) || len(obj(rec.m(t), "data")["recurring_transactions"].([]any)) == 0 {
			t.Fatalf("insights arithmetic: %v", in)
		}
		// a salaried user's salary recurs
		e.must(404, "GET", "/v2/enrichments/record/nope", nil, e.key()...)

		// the job tracker (https://docs.mono.co/docs/changelog 2025-01: status until finished;
		// path GET /v2/accounts/jobs/{jobId} from a third-party client,
		// mono-api-round2.md §6.1) knows the enrichment job too
		tr := obj(e.must(200, "GET", "/v2/accounts/jobs/"+job, nil, e.key()...).m(t), "data")
		if tr["id"] != job || tr["status"] != "finished" || tr["account"] != id || tr["name"] != "statement_insights" {
			t.Fatalf("job tracker for an enrichment job: %v", tr)
		}
		e.must(404, "GET", "/v2/accounts/jobs/nope", nil, e.key()...)
	})

	t.Run("v1 enrichment", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/enrichment/statement-insights
		// (2024-06-07) and .../transaction-metadata: v1 answers "successful"
		// with data null; v1's insights webhook carries the report.
		r := e.must(200, "GET", "/v1/enrichments/"+id+"/statement-insights", nil, e.key()...)
		golden(t, "v1_statement_insights_initiated", r.body)
		waitUntil(t, "v1 statement_insights", 20*time.Second, func() bool {
			for _, d := range hooks.all("mono.events.statement_insights", id) {
				if d["insights"] != nil {
					return true
				}
			}
			return false
		})
		recs := e.must(200, "GET", "/v1/enrichments/"+id+"/statement-insights/records", nil, e.key()...).m(t)
		if n := len(recs["data"].([]any)); n != 2 {
			t.Fatalf("insights records: %d, want 2 (v2 and v1)", n)
		}
		golden(t, "v1_transaction_metadata_initiated", e.must(200, "GET", "/v1/enrichments/"+id+"/transaction-metadata", nil, e.key()...).body)
		e.must(200, "GET", "/v1/enrichments/"+id+"/transaction-categorisation", nil, e.key()...)
		waitUntil(t, "metadata and categorisation", 20*time.Second, func() bool {
			return hooks.event("mono.events.transaction_metadata", id) != nil && hooks.event("mono.events.transaction_categorisation", id) != nil
		})
		md := hooks.event("mono.events.transaction_metadata", id)
		if md["status"] != "available" || md["account"] != id {
			t.Fatalf("transaction_metadata webhook: %v", md)
		}
		mrec := e.must(200, "GET", "/v1/enrichments/"+id+"/transaction-metadata/records", nil, e.key()...).m(t)["data"].([]any)
		rows := mrec[0].(map[string]any)["data"].([]any)
		if len(rows) != total {
			t.Fatalf("metadata for %d transactions, want %d", len(rows), total)
		}
		for _, x := range rows {
			m := obj(x, "metadata")
			if m["category"] == "" || m["channel"] == nil {
				t.Fatalf("metadata: %v", x)
			}
			if strings.HasPrefix(x.(map[string]any)["narration"].(string), "SMS ALERT") && m["reason"] != "SMS alert fee" {
				t.Fatalf("SMS charge's reason: %v", m)
			}
		}
		// v2's categorise starts the same job with Mono's v2 answer
		// (https://docs.mono.co/api/bank-data/enrichment/transaction-categorisation)
		if r := e.must(200, "POST", "/v2/accounts/"+id+"/transactions/categorise", nil, e.key()...).m(t); r["status"] != "processing" || obj(r, "data")["jobStatus"] != "processing" {
			t.Fatalf("v2 categorise: %v", r)
		}
	})

	t.Run("creditworthiness", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/credit-worthiness: the
		// request, the immediate answer, the webhook; affordability by DSCR
		// with the instalment P·i / (1 − (1+i)^−n).
		r := e.must(400, "POST", "/v2/accounts/"+id+"/creditworthiness", map[string]any{"principal": 0, "term": 0}, e.key()...)
		for _, f := range []string{"bvn", "principal", "term", "run_credit_check"} {
			if !strings.Contains(string(r.body), f) {
				t.Errorf("the 400 does not name %s: %s", f, r.body)
			}
		}
		req := map[string]any{"bvn": "22212345678", "principal": 20000000, "interest_rate": 4, "term": 6, "run_credit_check": false,
			"existing_loans": []map[string]any{{"tenor": 6, "date_opened": "2026-01-10", "closed_date": "2099-07-10", "institution": "Example MFB", "currency": "NGN",
				"repayment_amount": 3000000, "opening_balance": 15000000, "repayment_schedule": []map[string]string{{"02-2026": "paid"}, {"03-2026": "failed"}}}}}
		r = e.must(200, "POST", "/v2/accounts/"+id+"/creditworthiness", req, e.key()...)
		golden(t, "v2_creditworthiness_initiated", r.body)
		waitUntil(t, "account_credit_worthiness", 20*time.Second, func() bool { return hooks.event("mono.events.account_credit_worthiness", id) != nil })
		d := hooks.event("mono.events.account_credit_worthiness", id)
		shapeGolden(t, "webhook_account_credit_worthiness", mustJSON(hooks.whole("mono.events.account_credit_worthiness", id)))
		want := int64(math.Round(20000000 * 0.04 / (1 - math.Pow(1.04, -6))))
		if got := int64(num(obj(d, "summary")["monthly_payment"])); got != want {
			t.Fatalf("monthly_payment %d, want %d", got, want)
		}
		debt := obj(d, "debt")
		if debt["total_debt"] != float64(3000000*5) || len(debt["debt_by_institution"].([]any)) != 1 || d["app"] != e.app["id"] {
			t.Fatalf("debt: %v", d)
		}
		// ten times the loan is not affordable on the same account
		req["principal"] = 2000000000
		e.must(200, "POST", "/v2/accounts/"+id+"/creditworthiness", req, e.key()...)
		waitUntil(t, "second assessment", 20*time.Second, func() bool { return len(hooks.all("mono.events.account_credit_worthiness", id)) == 2 })
		if all := hooks.all("mono.events.account_credit_worthiness", id); obj(all[1], "summary")["can_afford"] != false {
			t.Fatalf("a ₦20m loan is affordable on a ₦450k salary: %v", all[1])
		}
	})
}

var monthKey = regexp.MustCompile(`^\d{4}-\d\d$`)

// monthKeys renames the "YYYY-MM" keys of monthly sums, whose values move
// with the calendar, so a shape golden holds the shape only.
func monthKeys(b []byte) []byte {
	var v any
	json.Unmarshal(b, &v)
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				if monthKey.MatchString(k) {
					k = "YYYY-MM"
				}
				out[k] = walk(e)
			}
			return out
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return mustJSON(walk(v))
}

// whole is the last webhook named name about account, envelope and all.
func (h *hookReceiver) whole(name, account string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.events) - 1; i >= 0; i-- {
		e := h.events[i]
		d, _ := e["data"].(map[string]any)
		if e["event"] == name && d != nil && strings.Contains(string(mustJSON(d)), account) {
			return e
		}
	}
	return nil
}
