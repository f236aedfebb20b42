package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Mono fidelity, round 2 (issue 18): each case pins a shape Mono documents,
// with the page it follows, so code written for api.withmono.com runs
// against kobo unchanged. Sources are the docs.mono.co pages named beside
// each golden; /work/shared/reference/mono-api-round2.md says what each one
// confirms.

// event returns the data of the last webhook named name about account.
func (h *hookReceiver) event(name, account string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.events) - 1; i >= 0; i-- {
		e := h.events[i]
		d, _ := e["data"].(map[string]any)
		if e["event"] == name && d != nil && strings.Contains(string(mustJSON(d)), account) {
			return d
		}
	}
	return nil
}

func (h *hookReceiver) all(name, account string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, e := range h.events {
		d, _ := e["data"].(map[string]any)
		if e["event"] == name && d != nil && strings.Contains(string(mustJSON(d)), account) {
			out = append(out, d)
		}
	}
	return out
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestMonoFidelity(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); monoFidelity(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); monoFidelity(t, e2eOpts{postgres: true, dsn: postgresDSN(t)}) })
}

func monoFidelity(t *testing.T, o e2eOpts) {
	hooks := newHookReceiver(t)
	e := startE2E(t, o)
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	gt := e.institution("GTBank")
	id := linkUser(t, e, gt, "user_good", nil)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })

	t.Run("income v2", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/income and
		// https://docs.mono.co/docs/quickstart: GET /v2/accounts/{id}/income
		// answers at once with status "successful" and data null; period is
		// a whole number of months.
		r := e.do("GET", "/v2/accounts/"+id+"/income?period=6", nil, e.key()...)
		if r.status != 200 {
			t.Fatalf("income initiation: %d, want 200: %s", r.status, r.body)
		}
		golden(t, "v2_income_initiated", r.body)
		for _, bad := range []string{"last6months", "6months", "6.5", "-1", "0", "abc", "25"} {
			if r := e.do("GET", "/v2/accounts/"+id+"/income?period="+bad, nil, e.key()...); r.status != 400 {
				t.Errorf("period=%s: %d, want 400: %s", bad, r.status, r.body)
			}
		}
		// https://docs.mono.co/docs/quickstart (account_income webhook sample)
		// and https://docs.mono.co/docs/changelog (2024-12-06 total, annual and
		// monthly income; 2025-10-17 app and business).
		waitUntil(t, "mono.events.account_income", 20*time.Second, func() bool { return hooks.event("mono.events.account_income", id) != nil })
		d := hooks.event("mono.events.account_income", id)
		shapeGolden(t, "webhook_account_income", mustJSON(d))
		if d["account"] != id || d["income_source_type"] != "BANK" || d["period"] != "6 months" {
			t.Fatalf("account_income: %v", d)
		}
		sum, _ := d["income_summary"].(map[string]any)
		if sum["employer"] == "" || num(sum["total_income"]) <= 0 {
			t.Fatalf("income_summary: %v", sum)
		}
		// https://docs.mono.co/api/bank-data/accounts/income-records: the path
		// is income-records; each record wraps the report in income{…}.
		recs := e.do("GET", "/v2/accounts/"+id+"/income-records", nil, e.key()...)
		if recs.status != 200 {
			t.Fatalf("income-records: %d %s", recs.status, recs.body)
		}
		shapeGolden(t, "v2_income_records_mono", recs.body)
		var list struct {
			Data []struct {
				Income map[string]any `json:"income"`
				App    string         `json:"app"`
			}
			Meta map[string]any
		}
		json.Unmarshal(recs.body, &list)
		if len(list.Data) != 1 || list.Data[0].Income["account"] != id || list.Data[0].App != e.app["id"] || list.Meta["pages"] != float64(1) {
			t.Fatalf("income-records: %s", recs.body)
		}
		// the sandbox fires the same shape
		fired := e.must(200, "POST", "/v2/sandbox/accounts/"+id+"/webhooks/fire", map[string]string{"event": "mono.events.account_income"}, e.key()...).m(t)
		if fd := obj(fired, "data", "data"); obj(fd, "income_summary") == nil || fd["period"] != "12 months" {
			t.Fatalf("fired account_income: %v", fired)
		}
		// the old kobo path stays as an alias
		if alias := e.must(200, "GET", "/v2/accounts/"+id+"/income/records", nil, e.key()...); !bytes.Equal(shapeBytes(alias.body), shapeBytes(recs.body)) {
			t.Fatalf("alias differs: %s", alias.body)
		}
	})

	t.Run("credits and debits", func(t *testing.T) {
		// https://docs.mono.co/docs/changelog (2022-07-18: each month gained a
		// transaction count; 2025-07-23: credits and debits on v2).
		for _, p := range []string{"/accounts/" + id + "/credits", "/v2/accounts/" + id + "/credits", "/v2/accounts/" + id + "/debits"} {
			r := e.do("GET", p, nil, e.key()...)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", p, r.status, r.body)
			}
			m := r.m(t)
			if strings.HasPrefix(p, "/v2/") {
				shapeGolden(t, "v2_"+p[strings.LastIndex(p, "/")+1:], r.body)
				m = m["data"].(map[string]any)
			}
			n := 0
			hist, _ := m["history"].([]any)
			for _, h := range hist {
				hm, _ := h.(map[string]any)
				n += int(num(hm["transactions_count"]))
			}
			if n == 0 || float64(n) != m["transactions_count"] {
				t.Fatalf("%s: transactions_count %v, history sums to %d", p, m["transactions_count"], n)
			}
		}
	})

	t.Run("institutions", func(t *testing.T) {
		// https://docs.mono.co/docs/connect-api-integration-guide: list with the
		// scope and country; community code asks scope=payments&country=ng.
		var list []map[string]any
		json.Unmarshal(e.must(200, "GET", "/v1/institutions?scope=payments&country=ng", nil).body, &list)
		if len(list) == 0 {
			t.Fatal("scope=payments&country=ng lists no banks")
		}
		// the README promises gzip and an ETag on the catalogue, /v3 included
		req, _ := http.NewRequest("GET", e.url+"/v3/institutions?scope=financial_data", nil)
		req.Header.Set("mono-sec-key", e.sk)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		etag := resp.Header.Get("ETag")
		if resp.Header.Get("Content-Encoding") != "gzip" || etag == "" {
			t.Fatalf("v3: encoding %q, etag %q", resp.Header.Get("Content-Encoding"), etag)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(zr)
		var env struct {
			Status string
			Data   []any
		}
		if json.Unmarshal(body, &env) != nil || env.Status != "successful" || len(env.Data) == 0 {
			t.Fatalf("v3 gzip body: %.200s", body)
		}
		if r := e.do("GET", "/v3/institutions?scope=financial_data", nil, e.key("If-None-Match", etag)...); r.status != 304 {
			t.Fatalf("v3 If-None-Match: %d", r.status)
		}
	})

	t.Run("commit ignores fields the step does not need", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/partners-api-guide/integration-guide:
		// the commit example body is {accountNumber, otp}.
		r := e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt, "auth_method": "internet_banking"}, e.key()...)
		s := r.m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
		r = e.must(200, "POST", "/v2/connect/login", map[string]string{"username": "user_multi", "password": "123456"}, e.key("x-session-id", s)...)
		number := r.m(t)["data"].(map[string]any)["accounts"].([]any)[1].(map[string]any)["accountNumber"].(string)
		r = e.do("POST", "/v2/connect/commit", map[string]string{"accountNumber": number, "otp": "123456"}, e.key("x-session-id", s)...)
		if r.status != 200 || r.m(t)["responseCode"] != float64(99) {
			t.Fatalf("commit {accountNumber, otp}: %d %s", r.status, r.body)
		}
		// what is wrong is still refused: an account that is not in the list
		r = e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt}, e.key()...)
		s = r.m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
		e.must(200, "POST", "/v2/connect/login", map[string]string{"username": "user_multi", "password": "123456"}, e.key("x-session-id", s)...)
		e.must(400, "POST", "/v2/connect/commit", map[string]string{"accountNumber": "0000000000", "otp": "123456"}, e.key("x-session-id", s)...)
	})

	t.Run("partners re-auth follows the guide", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/partners-api-guide/reauth-guide:
		// POST /v2/connect/reauth/session {account} answers data.responseCode 99;
		// then /v2/connect/reauth/login with {username, password} on the same
		// session; a bank factor comes back as 102 and is committed.
		otp := linkUser(t, e, gt, "user_otp", map[string]string{"otp": "123456"})
		waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, otp) == "AVAILABLE" })
		r := e.do("POST", "/v2/connect/reauth/session", map[string]string{"account": otp}, e.key()...)
		golden(t, "v2_reauth_session_guide", r.body)
		d := obj(r.m(t), "data")
		if r.status != 200 || d["responseCode"] != float64(99) {
			t.Fatalf("reauth session: %d %s", r.status, r.body)
		}
		sid := r.header.Get("x-session-id")
		if sid == "" || d["session_id"] != sid {
			t.Fatalf("reauth session id: header %q, body %v", sid, d["session_id"])
		}
		r = e.do("POST", "/v2/connect/reauth/login", map[string]string{"username": "user_otp", "password": "123456"}, e.key("x-session-id", sid)...)
		golden(t, "v2_reauth_login_guide", r.body)
		if r.status != 200 || obj(r.m(t), "data")["responseCode"] != float64(102) {
			t.Fatalf("reauth login: %d %s", r.status, r.body)
		}
		r = e.do("POST", "/v2/connect/commit", map[string]string{"otp": "123456"}, e.key("x-session-id", sid)...)
		if r.status != 200 || r.m(t)["responseCode"] != float64(99) {
			t.Fatalf("reauth commit: %d %s", r.status, r.body)
		}
		waitUntil(t, "account_reauthorized", 20*time.Second, func() bool { return hooks.event("mono.events.account_reauthorized", otp) != nil })

		// a bank that asks for nothing more: 99 with the code at login
		good := linkUser(t, e, gt, "user_good", nil)
		r = e.must(200, "POST", "/v2/connect/reauth/session", map[string]string{"account": good}, e.key()...)
		sid = r.header.Get("x-session-id")
		r = e.must(200, "POST", "/v2/connect/reauth/login", map[string]string{"username": "user_good", "password": "123456"}, e.key("x-session-id", sid)...)
		if d := obj(r.m(t), "data"); d["responseCode"] != float64(99) || !strings.HasPrefix(fmt.Sprint(d["code"]), "code_") {
			t.Fatalf("reauth login without a factor: %s", r.body)
		}
	})

	t.Run("re-auth link ids", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/reauth-link: customer,
		// account and institution are id strings; auth_method is a field.
		r := e.must(200, "POST", "/v2/accounts/initiate", map[string]any{"scope": "reauth", "account": id, "meta": map[string]string{"ref": "re-1"}}, e.key()...)
		golden(t, "v2_initiate_reauth_ids", r.body)
		d := r.m(t)["data"].(map[string]any)
		if _, ok := d["institution"].(string); !ok {
			t.Fatalf("institution is %T, want an id string", d["institution"])
		}
		if d["auth_method"] != "internet_banking" {
			t.Fatalf("auth_method %v", d["auth_method"])
		}
	})

	t.Run("has_new_data and job names", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/realtime-data: has_new_data is
		// sent only when a job found new data; a real-time balance call is the
		// job jobs.accounts.sync_balance.
		before := len(hooks.all("mono.events.account_updated", id))
		r := e.must(200, "POST", "/accounts/"+id+"/sync", nil, e.key()...)
		if r.m(t)["hasNewData"] != false {
			t.Fatalf("sync right after the first fetch: %s", r.body)
		}
		waitUntil(t, "account_updated after the sync", 20*time.Second, func() bool { return len(hooks.all("mono.events.account_updated", id)) > before })
		up := hooks.all("mono.events.account_updated", id)
		meta := obj(up[len(up)-1], "meta")
		if _, ok := meta["has_new_data"]; ok {
			t.Fatalf("account_updated without new data carries has_new_data: %v", meta)
		}
		rt := e.must(200, "GET", "/v2/accounts/"+id+"/balance", nil, e.key("x-realtime", "true")...)
		job := rt.header.Get("x-job-id")
		if job == "" {
			t.Fatalf("no job: %v", rt.header)
		}
		j := obj(e.must(200, "GET", "/v2/accounts/"+id+"/jobs/"+job, nil, e.key()...).m(t), "data")
		if j["name"] != "jobs.accounts.sync_balance" {
			t.Fatalf("real-time balance job name %v", j["name"])
		}
		// the job tracker, by job id alone (Mono changelog 2025-01; path from a
		// third-party client, mono-api-round2.md §6.1), answers the same job
		if tr := obj(e.must(200, "GET", "/v2/accounts/jobs/"+job, nil, e.key()...).m(t), "data"); tr["id"] != job || tr["account"] != id || tr["name"] != j["name"] {
			t.Fatalf("job tracker %v, account job %v", tr, j)
		}
		// it is not the real-time job path: an account's own routes still answer
		e.must(200, "GET", "/v2/accounts/"+id+"/transactions", nil, e.key()...)
		waitUntil(t, "jobs.update", 20*time.Second, func() bool { return hooks.event("mono.accounts.jobs.update", job) != nil })
		if n := hooks.event("mono.accounts.jobs.update", job)["name"]; n != "jobs.accounts.sync_balance" {
			t.Fatalf("jobs.update name %v", n)
		}
	})

	t.Run("smaller", func(t *testing.T) {
		// https://docs.mono.co/api/bank-data/accounts/transactions: paging past
		// the last page is an empty page, not an error.
		r := e.do("GET", "/accounts/"+id+"/transactions?page=999999", nil, e.key()...)
		if rows, ok := r.m(t)["data"].([]any); r.status != 200 || !ok || len(rows) != 0 {
			t.Fatalf("page past the end: %d %.300s", r.status, r.body)
		}
		r = e.do("GET", "/v2/accounts/"+id+"/transactions?page=999999", nil, e.key()...)
		if rows, ok := r.m(t)["data"].([]any); r.status != 200 || !ok || len(rows) != 0 {
			t.Fatalf("v2 page past the end: %d %.300s", r.status, r.body)
		}
		// Mono's sync demo calls the manual sync with GET
		// (https://docs.mono.co/docs/financial-data/data-sync describes POST).
		if r := e.do("GET", "/accounts/"+id+"/sync", nil, e.key()...); r.status != 200 && r.status != 429 {
			t.Fatalf("GET /accounts/{id}/sync: %d %s", r.status, r.body)
		}
		// a wrong password: Mono's message as the bank gave it, the count apart
		r = e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt}, e.key()...)
		s := r.m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
		r = e.must(400, "POST", "/v2/connect/login", map[string]string{"username": "user_good", "password": "nope"}, e.key("x-session-id", s)...)
		golden(t, "v2_wrong_password", r.body)
		m := r.m(t)
		if strings.Contains(fmt.Sprint(m["message"]), "attempts left") || m["attempts_left"] != float64(2) {
			t.Fatalf("wrong password: %s", r.body)
		}
	})

	t.Run("no data and processing", func(t *testing.T) {
		// https://docs.mono.co/docs/financial-data/connect-link and
		// https://docs.mono.co/api/bank-data/accounts/details: a user whose
		// account has no data is UNAVAILABLE.
		empty := linkUser(t, e, gt, "user_empty", nil)
		waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, empty) != "PROCESSING" })
		if s := status(t, e, empty); s != "UNAVAILABLE" {
			t.Fatalf("user_empty is %s, want UNAVAILABLE", s)
		}
		// https://docs.mono.co/docs/quickstart: data endpoints called while the
		// account is PROCESSING "won't return any data"; every one answers 200
		// with an empty payload, never 400 or 404.
		slow := linkUser(t, e, gt, "user_slow", nil)
		if s := status(t, e, slow); s != "PROCESSING" {
			t.Fatalf("user_slow finished its first fetch before the reads (%s)", s)
		}
		for _, p := range []string{"/accounts/" + slow + "/transactions", "/v2/accounts/" + slow + "/transactions", "/accounts/" + slow + "/identity",
			"/v2/accounts/" + slow + "/identity", "/accounts/" + slow + "/statement?period=last1months", "/v2/accounts/" + slow + "/statement?period=last1months",
			"/accounts/" + slow + "/income", "/accounts/" + slow + "/credits", "/v2/accounts/" + slow + "/credits", "/v2/accounts/" + slow + "/balance"} {
			r := e.do("GET", p, nil, e.key()...)
			if r.status != 200 {
				t.Errorf("%s while PROCESSING: %d %s", p, r.status, r.body)
			}
			if strings.HasPrefix(p, "/v2/") && r.status == 200 {
				golden(t, "v2_processing_"+strings.Split(p[strings.LastIndex(p, "/")+1:], "?")[0], r.body)
			}
		}
	})
}

func num(v any) float64 { f, _ := v.(float64); return f }

// obj reads a nested object without panicking on a wrong shape.
func obj(v any, keys ...string) map[string]any {
	m, _ := v.(map[string]any)
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

func shapeBytes(b []byte) []byte {
	var v any
	json.Unmarshal(b, &v)
	return mustJSON(shapeOf(v))
}
