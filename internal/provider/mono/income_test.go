package mono

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestIncome asks Mono's income v2 for a report
// (docs.mono.co/docs/financial-data/income: GET /v2/accounts/{id}/income
// with ?period=N answers data null) and reads every page of
// /income-records (docs.mono.co/api/bank-data/accounts/income-records:
// {income{…}, created_at} with meta.next), newest first, in kobo's form:
// the aggregated_* names (the older monthly_average* read as them),
// amounts whole, the account left for kobo to name.
func TestIncome(t *testing.T) {
	f := newFake(t)
	const id = "64f0a1b2c3d4e5f601234567"
	f.on("GET /v2/accounts/"+id+"/income", ok("income_start.json"), reply{status: 500, file: `{"message":"down"}`})
	f.on("GET /v2/accounts/"+id+"/income-records", ok("income_records_p1.json"), ok("income_records_p2.json"))
	p := newProvider(f, Config{Retries: -1})
	ctx := context.Background()
	sess := *linked(id)
	sess.Credentials = creds
	if err := p.StartIncome(ctx, sess, id, 6); err != nil {
		t.Fatal(err)
	}
	if reqs := f.requests("GET /v2/accounts/" + id + "/income"); len(reqs) != 1 || reqs[0].query != "period=6" || reqs[0].header.Get("mono-sec-key") != "test_sk_abc" {
		t.Fatalf("income requests = %+v", reqs)
	}
	kindOf(t, p.StartIncome(ctx, sess, id, 0), kobo.BankUnavailable)
	if reqs := f.requests("GET /v2/accounts/" + id + "/income"); len(reqs) != 2 || reqs[1].query != "" {
		t.Fatalf("without a period: %+v", reqs)
	}
	kindOf(t, p.StartIncome(ctx, sess, "another-account", 6), kobo.BankNotFound)

	reps, err := p.IncomeReports(ctx, sess, id)
	if err != nil {
		t.Fatal(err)
	}
	if reqs := f.requests("GET /v2/accounts/" + id + "/income-records"); len(reqs) != 2 || reqs[0].query != "page=1" || reqs[1].query != "page=2" {
		t.Fatalf("record requests = %+v", reqs)
	}
	if len(reps) != 2 || !reps[0].At.Equal(time.Date(2025, 6, 1, 9, 4, 10, 0, time.UTC)) || !reps[1].At.Equal(time.Date(2025, 5, 1, 9, 4, 10, 0, time.UTC)) {
		t.Fatalf("reports = %+v", reps)
	}
	var newest, older map[string]any
	json.Unmarshal(reps[0].Report, &newest)
	json.Unmarshal(reps[1].Report, &older)
	if newest["aggregated_monthly_average"] != float64(210000) || newest["aggregated_monthly_average_irregular"] != float64(210000) ||
		newest["monthly_average"] != nil || newest["account"] != nil || newest["period"] != "5 months" {
		t.Fatalf("the older names are not read as the new: %s", reps[0].Report)
	}
	st := newest["income_streams"].([]any)[0].(map[string]any)
	if st["monthly_average"] != float64(210000) || st["stability"] != 0.16 || st["income_type"] != "WAGES" || st["number_of_incomes"] != float64(10) {
		t.Fatalf("stream = %v", st)
	}
	ost := older["income_streams"].([]any)[0].(map[string]any)
	if ost["average_income_amount"] != 4450666.67 || older["income_summary"].(map[string]any)["employer"] != "Acme Ltd" || older["total_regular_income_amount"] != float64(12000000) {
		t.Fatalf("older report = %s", reps[1].Report)
	}
}

// TestIncomeWebhook: mono.events.account_income names the account by a
// bare id and carries the report itself (docs.mono.co/docs/quickstart).
func TestIncomeWebhook(t *testing.T) {
	p := New(Config{})
	h := http.Header{}
	h.Set("mono-webhook-secret", "sec_webhook_key")
	body, _ := os.ReadFile("testdata/webhook_account_income.json")
	evs, err := p.ReceiveWebhook(context.Background(), creds, h, body)
	if err != nil || len(evs) != 1 || evs[0].Kind != kobo.ProviderIncomeReady || evs[0].AccountRef != "64f0a1b2c3d4e5f601234567" || evs[0].Income == nil {
		t.Fatalf("%+v, %v", evs, err)
	}
	var rep map[string]any
	json.Unmarshal(evs[0].Income.Report, &rep)
	if rep["monthly_income"] != float64(1500000) || rep["annual_income"] != float64(18000000) || rep["account_name"] != nil || rep["app"] != nil ||
		len(rep["income_streams"].([]any)) != 1 || rep["income_summary"].(map[string]any)["total_income"] != float64(1500000) {
		t.Fatalf("report = %s", evs[0].Income.Report)
	}
	for _, bad := range []string{
		`{"event":"mono.events.account_income","data":{"account":"a1"}}`,
		`{"event":"mono.events.account_income","data":{"account":"a1","income_summary":{"total_income":"lots"}}}`,
		`{"event":"mono.events.account_income","data":{"income_streams":[]}}`,
	} {
		if _, err := p.ReceiveWebhook(context.Background(), creds, h, []byte(bad)); kobo.ErrorCode(err) != kobo.EINVALID {
			t.Fatalf("%s: %v", bad, err)
		}
	}
	// too little history: the summary still comes, with total 0
	thin := `{"event":"mono.events.account_income","data":{"account":"a1","income_summary":{"total_income":0,"employer":""}}}`
	if evs, err := p.ReceiveWebhook(context.Background(), creds, h, []byte(thin)); err != nil || len(evs) != 1 || evs[0].Income == nil {
		t.Fatalf("a thin report: %+v %v", evs, err)
	}
}
