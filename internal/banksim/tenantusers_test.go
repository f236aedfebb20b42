package banksim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// get calls a data endpoint with a bearer token.
func get(t *testing.T, srv *httptest.Server, path, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// TestTenantUsers: a tenant's user logs in for that tenant only, with its
// password; a generated account follows its generator; a user defined
// again gets a new history, not the one cached for the old definition.
func TestTenantUsers(t *testing.T) {
	t.Parallel()
	clock := kobo.ClockFunc(func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) })
	srv := httptest.NewServer(New(Config{Seed: 7, Clock: clock}).Handler())
	t.Cleanup(srv.Close)
	var gt kobo.Institution
	for _, in := range Catalog() {
		if in.Name == "GTBank" {
			gt = in
		}
	}
	m := gt.AuthMethods[0]
	login := func(tenant, pass string) (int, map[string]any) {
		fields := map[string]string{}
		for _, f := range m.UI.Form {
			fields[f.Name] = "tola"
			if isSecret(f) {
				fields[f.Name] = pass
			}
		}
		return call(t, srv, "POST", "/v1/login", map[string]any{"institution": gt.ID, "auth_method": m.Type, "fields": fields, "interactive": true, "tenant": tenant})
	}
	spec := map[string]any{"username": "tola", "password": "pass-1", "faults": map[string]any{"latency_ms": 1},
		"accounts": []map[string]any{{"opening_balance": 100, "history_days": 90, "generator": map[string]any{"employer": "ACME LTD", "salary": 30000000, "per_day": 1}}}}
	if st, body := call(t, srv, "POST", "/admin/tenants/app1/users", spec); st != 201 {
		t.Fatalf("create: %d %v", st, body)
	}
	if st, _ := call(t, srv, "POST", "/admin/tenants/app1/users", spec); st != 409 {
		t.Fatalf("create again: %d, want 409", st)
	}
	if st, _ := login("app2", "pass-1"); st != 401 {
		t.Fatalf("another tenant logs in as tola: %d", st)
	}
	if st, _ := login("app1", "123456"); st != 401 {
		t.Fatalf("the default password works for a user with its own: %d", st)
	}
	st, body := login("app1", "pass-1")
	if st != 200 || body["access_token"] == nil {
		t.Fatalf("login: %d %v", st, body)
	}
	tok := body["access_token"].(string)
	_, accts := get(t, srv, "/v1/accounts", tok)
	acct := accts["data"].([]any)[0].(map[string]any)["account_id"].(string)
	_, txns := get(t, srv, "/v1/accounts/"+acct+"/transactions?limit=5000", tok)
	salaries := 0
	for _, x := range txns["data"].([]any) {
		if n := x.(map[string]any)["description"].(string); len(n) > 6 && (n[:6] == "SALARY" || n[:7] == "NIP FRM") && x.(map[string]any)["amount"] == float64(30000000) {
			salaries++
		}
	}
	if salaries < 2 {
		t.Fatalf("a salaried generator over 90 days paid %d salaries", salaries)
	}

	// defined again with an exact history: the account serves that, not
	// the generated months cached for the first definition
	if st, _ := call(t, srv, "DELETE", "/admin/tenants/app1/users/tola", nil); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := call(t, srv, "DELETE", "/admin/tenants/app1/users/tola", nil); st != 404 {
		t.Fatalf("delete again: %d", st)
	}
	spec["accounts"] = []map[string]any{{"opening_balance": 100, "transactions": []map[string]any{{"date": "2026-11-01", "narration": "ONE", "amount": 5, "type": "credit"}}}}
	if st, body := call(t, srv, "POST", "/admin/tenants/app1/users", spec); st != 201 {
		t.Fatalf("create again: %d %v", st, body)
	}
	_, body = login("app1", "pass-1")
	tok = body["access_token"].(string)
	_, accts = get(t, srv, "/v1/accounts", tok)
	a := accts["data"].([]any)[0].(map[string]any)
	_, txns = get(t, srv, "/v1/accounts/"+a["account_id"].(string)+"/transactions", tok)
	if rows := txns["data"].([]any); len(rows) != 1 || rows[0].(map[string]any)["balance"] != float64(105) || a["balance"] != float64(105) {
		t.Fatalf("exact history: %v, account %v", rows, a)
	}
}
