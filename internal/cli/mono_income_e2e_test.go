package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// incomeRecords is an account's /v2/accounts/{id}/income-records, each
// record's income{…}.
func incomeRecords(t *testing.T, e *e2e, id string) []map[string]any {
	t.Helper()
	var body struct {
		Data []struct {
			Income map[string]any `json:"income"`
		} `json:"data"`
	}
	if err := json.Unmarshal(e.must(200, "GET", "/v2/accounts/"+id+"/income-records", nil, e.key()...).body, &body); err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, 0, len(body.Data))
	for _, d := range body.Data {
		out = append(out, d.Income)
	}
	return out
}

// sameIncome fails unless the downstream's report is the upstream's, each
// naming its own account.
func sameIncome(t *testing.T, down, up map[string]any, downID, upID string) {
	t.Helper()
	if down["account"] != downID || up["account"] != upID {
		t.Fatalf("the reports name accounts %v (downstream) and %v (upstream)", down["account"], up["account"])
	}
	d, u := map[string]any{}, map[string]any{}
	for k, v := range down {
		d[k] = v
	}
	for k, v := range up {
		u[k] = v
	}
	delete(d, "account")
	delete(u, "account")
	if !reflect.DeepEqual(d, u) {
		t.Fatalf("downstream income\n%s\nupstream income\n%s", mustJSON(d), mustJSON(u))
	}
}

// redirectHooks points e's app's webhooks at to, and waits until a test
// event arrives there: the dispatcher reads an app's URL anew only every
// so often.
func redirectHooks(t *testing.T, e *e2e, to *hookReceiver) {
	t.Helper()
	app := "/v1/apps/" + e.app["id"].(string)
	e.must(200, "PATCH", app, map[string]string{"webhook_url": to.srv.URL}, "Authorization", e.auth)
	var sent time.Time
	waitUntil(t, "a test webhook at the new URL", 30*time.Second, func() bool {
		to.mu.Lock()
		n := len(to.events)
		to.mu.Unlock()
		if n > 0 {
			return true
		}
		if time.Since(sent) > 250*time.Millisecond {
			sent = time.Now()
			e.must(202, "POST", app+"/webhooks/test", nil, "Authorization", e.auth)
		}
		return false
	})
}

func (m *monoPair) incomeRecordsStored(t *testing.T, id string) []*kobo.IncomeRecord {
	t.Helper()
	var recs []*kobo.IncomeRecord
	if err := m.down.stk.sealed.View(context.Background(), func(tx kobo.Tx) error {
		var err error
		recs, err = tx.IncomeRecords(context.Background(), id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestMonoUpstreamIncome: a downstream kobo's income request for a
// Mono-linked account is Mono's income v2 at the upstream (a second kobo
// speaking Mono's API), and the downstream partner gets the upstream's
// report, not kobo's own analysis: by the upstream's
// mono.events.account_income into the provider webhook, and, with that
// webhook lost, by polling the upstream's /income-records. An upstream that
// takes the request but never makes the report ends the analysis FAILED,
// with kobo.events.account_income_failed, once UpstreamIncomeWait passes.
// A sandbox-bank account keeps kobo's own analysis.
func TestMonoUpstreamIncome(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	m := startMonoPairClock(t, 0, clk)
	down, up := m.down, m.up
	id := linkUser(t, down, down.institution("GTBank"), "user_good", nil)
	waitUntil(t, "the downstream's first fetch", 60*time.Second, func() bool { return status(t, down, id) == "AVAILABLE" })
	upID := m.upstreamID(t, id)
	incomes := func() int { return len(m.hooks.all("mono.events.account_income", id)) }

	// 1. the upstream's webhook brings the report
	r := down.must(200, "GET", "/v2/accounts/"+id+"/income?period=12", nil, down.key()...)
	if msg, _ := r.m(t)["message"].(string); !strings.Contains(msg, "currently being processed") {
		t.Fatalf("income request: %s", r.body)
	}
	waitUntil(t, "account_income downstream", 60*time.Second, func() bool { return incomes() == 1 })
	ups := incomeRecords(t, up, upID)
	downs := incomeRecords(t, down, id)
	if len(ups) != 1 || len(downs) != 1 {
		t.Fatalf("%d upstream reports, %d downstream", len(ups), len(downs))
	}
	if streams, _ := ups[0]["income_streams"].([]any); len(streams) == 0 {
		t.Fatalf("the upstream found no income to compare: %v", ups[0])
	}
	sameIncome(t, downs[0], ups[0], id, upID)
	hook := m.hooks.event("mono.events.account_income", id)
	if hook["account"] != id || hook["monthly_income"] != ups[0]["monthly_income"] || hook["account_number"] == "" {
		t.Fatalf("downstream account_income %v, upstream report %v", hook, ups[0])
	}
	if recs := m.incomeRecordsStored(t, id); recs[0].Provider != "mono" || recs[0].UpstreamAt == nil {
		t.Fatalf("the record %+v was not the upstream's", recs[0])
	}

	// 2. the upstream's webhooks go astray: the downstream polls its records
	lost := newHookReceiver(t)
	redirectHooks(t, up, lost)
	down.must(200, "GET", "/v2/accounts/"+id+"/income?period=6", nil, down.key()...)
	waitUntil(t, "the upstream's second report", 60*time.Second, func() bool {
		return len(lost.all("mono.events.account_income", upID)) == 1
	})
	waitUntil(t, "account_income downstream by polling", 60*time.Second, func() bool { return incomes() == 2 })
	ups, downs = incomeRecords(t, up, upID), incomeRecords(t, down, id)
	if len(ups) != 2 || len(downs) != 2 {
		t.Fatalf("%d upstream reports, %d downstream", len(ups), len(downs))
	}
	sameIncome(t, downs[0], ups[0], id, upID)

	// 3. the upstream takes the request and never answers
	asked := make(chan struct{}, 4)
	m.gate.answerWith(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != "GET" || r.URL.Path != "/v2/accounts/"+upID+"/income" {
			return false
		}
		asked <- struct{}{}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"successful","message":"The income of the account is currently being processed","timestamp":"2026-01-01T00:00:00.000Z","data":null}`))
		return true
	})
	// the clock moves past the wait: the partner's receiver takes unsigned
	// deliveries (their timestamps are the moved clock's)
	failed := newHookReceiver(t)
	redirectHooks(t, down, failed)
	down.must(200, "GET", "/v2/accounts/"+id+"/income", nil, down.key()...)
	select {
	case <-asked:
	case <-time.After(waitFloor):
		t.Fatal("the downstream never asked the upstream")
	}
	waitUntil(t, "the downstream's first poll", 60*time.Second, func() bool {
		recs := m.incomeRecordsStored(t, id)
		return len(recs) == 3 && recs[0].Status == "PROCESSING" && recs[0].UpstreamAt != nil
	})
	clk.advance(app.UpstreamIncomeWait + time.Minute)
	waitUntil(t, "kobo.events.account_income_failed", 60*time.Second, func() bool {
		return failed.event("kobo.events.account_income_failed", id) != nil
	})
	ev := failed.event("kobo.events.account_income_failed", id)
	if msg, _ := ev["message"].(string); ev["account"] != id || ev["status"] != "FAILED" || ev["provider"] != "mono" || !strings.Contains(msg, "did not send the income report") {
		t.Fatalf("failed event %v", ev)
	}
	recs := m.incomeRecordsStored(t, id)
	if recs[0].Status != "FAILED" || !strings.Contains(recs[0].Error, "did not send") || recs[0].DoneAt == nil {
		t.Fatalf("record %+v", recs[0])
	}
	if n := len(incomeRecords(t, down, id)); n != 2 {
		t.Fatalf("income-records lists %d reports; a failed analysis is not one", n)
	}
	if len(failed.all("mono.events.account_income", id)) != 0 {
		t.Fatal("an account_income came for the failed analysis")
	}

	// a sandbox-bank account keeps kobo's own analysis
	own := linkUser(t, down, down.institution("Access Bank"), "user_good", nil)
	waitUntil(t, "the sandbox account's first fetch", 60*time.Second, func() bool { return status(t, down, own) == "AVAILABLE" })
	down.must(200, "GET", "/v2/accounts/"+own+"/income", nil, down.key()...)
	waitUntil(t, "kobo's own analysis", 60*time.Second, func() bool { return len(incomeRecords(t, down, own)) == 1 })
	if recs := m.incomeRecordsStored(t, own); recs[0].Provider != "" || recs[0].UpstreamAt != nil {
		t.Fatalf("a sandbox-bank account's analysis went upstream: %+v", recs[0])
	}
	if m.hooks.bad > 0 || failed.bad > 0 {
		t.Fatalf("%d downstream webhooks failed their signature check", m.hooks.bad)
	}
}

// TestMonoProviderHealthWebhook: the downstream partner puts keys Mono
// (the upstream kobo) refuses: one kobo.events.provider_health "down"
// arrives, signed like every webhook; the syncs Mono then refuses send no
// more; the good keys again send one "up".
func TestMonoProviderHealthWebhook(t *testing.T) {
	t.Parallel()
	m := startMonoPair(t, 0)
	down, up := m.down, m.up
	id := linkUser(t, down, down.institution("GTBank"), "user_good", nil)
	waitUntil(t, "the downstream's first fetch", 60*time.Second, func() bool { return status(t, down, id) == "AVAILABLE" })
	appPath := "/v1/apps/" + down.app["id"].(string)
	keys := func(sk string) map[string]string {
		return map[string]string{"secret_key": sk, "public_key": up.pk, "webhook_secret": up.app["webhook_secret"].(string)}
	}
	health := func() []map[string]any { return m.hooks.all("kobo.events.provider_health", "mono") }
	r := down.must(200, "PUT", appPath+"/providers/mono", keys("test_sk_"+strings.Repeat("0", 32)), "Authorization", down.auth)
	if h, _ := r.m(t)["health"].(map[string]any); h == nil || h["ok"] == true {
		t.Fatalf("refused keys checked: %s", r.body)
	}
	waitUntil(t, "provider_health down", 30*time.Second, func() bool { return len(health()) == 1 })
	if h := health()[0]; h["status"] != "down" || h["provider"] != "mono" || h["app"] != down.app["id"] || h["message"] == "" {
		t.Fatalf("provider_health %v", h)
	}
	// Mono says the account has new data; the sync is refused with the keys
	fails := func() int { return len(m.hooks.all("mono.events.sync_failed", id)) }
	before := fails()
	hook := fmt.Sprintf(`{"event":"mono.events.account_updated","data":{"account":{"_id":%q},"meta":{"data_status":"AVAILABLE"}}}`, m.upstreamID(t, id))
	down.must(200, "POST", "/v1/providers/mono/webhooks/"+down.app["id"].(string), json.RawMessage(hook), "mono-webhook-secret", up.app["webhook_secret"].(string))
	waitUntil(t, "sync_failed with the refused keys", 60*time.Second, func() bool { return fails() > before })
	down.must(200, "POST", appPath+"/providers/mono/check", nil, "Authorization", down.auth)
	// the good keys: one "up", sent after the refused sync's events
	down.must(200, "PUT", appPath+"/providers/mono", keys(up.sk), "Authorization", down.auth)
	waitUntil(t, "provider_health up", 30*time.Second, func() bool { return len(health()) >= 2 })
	down.must(200, "POST", appPath+"/providers/mono/check", nil, "Authorization", down.auth)
	down.must(202, "POST", appPath+"/webhooks/test", nil, "Authorization", down.auth)
	waitUntil(t, "the test webhook after the last check", 30*time.Second, func() bool { return len(m.hooks.all("mono.events.webhook_test", "")) == 1 })
	if hs := health(); len(hs) != 2 || hs[1]["status"] != "up" {
		t.Fatalf("provider_health events %v, want one down and one up", hs)
	}
	if m.hooks.bad > 0 {
		t.Fatalf("%d webhooks failed their signature check", m.hooks.bad)
	}
}
