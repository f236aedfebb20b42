package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// setWebhookURL writes an app's webhook URL past the save-time check, as a
// name that resolved to a public address when it was saved and to a
// private one since (DNS rebinding) would be.
func (e *e2e) setWebhookURL(appID, u string) {
	e.t.Helper()
	ctx := context.Background()
	err := e.stk.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := tx.App(ctx, appID)
		if err != nil {
			return err
		}
		a.WebhookURL = u
		return tx.UpdateApp(ctx, a)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// firstAttempt waits for the first attempt of the app's newest delivery
// and returns the delivery with its attempt log.
func (e *e2e) firstAttempt(appID string) map[string]any {
	e.t.Helper()
	var d map[string]any
	waitUntil(e.t, "a delivery attempt", 20*time.Second, func() bool {
		var page struct{ Data []map[string]any }
		json.Unmarshal(e.must(200, "GET", "/v1/apps/"+appID+"/webhooks/deliveries", nil, "Authorization", e.auth).body, &page)
		if len(page.Data) == 0 || page.Data[0]["attempts"].(float64) < 1 || page.Data[0]["status"] == "delivering" {
			return false
		}
		d = e.must(200, "GET", "/v1/apps/"+appID+"/webhooks/deliveries/"+page.Data[0]["id"].(string), nil, "Authorization", e.auth).m(e.t)
		return len(d["attempt_log"].([]any)) > 0
	})
	return d
}

// internalService stands for what lives on an operator's private network,
// kobo's own admin port among them: it answers 405 with something secret.
func internalService(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "internal: do not show this", http.StatusMethodNotAllowed)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestSandboxWebhooksOnAPublicKoboCannotReachInternalHosts is finding 1 of
// the security audit: on a kobo that listens beyond loopback, anyone who
// signs up could point a sandbox webhook at loopback, fire a test event and
// read the reply in the delivery log, or tell open ports from closed ones by
// the error. Now the URL is refused when saved, and one that slips past
// (DNS rebinding) is blocked when dialled, keeping no status and no body,
// with the same error for an open port, a closed one and a private host.
func TestSandboxWebhooksOnAPublicKoboCannotReachInternalHosts(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{addr: "0.0.0.0:8080"})
	admin, hits := internalService(t)
	e.signupApp("")
	id := e.app["id"].(string)

	r := e.do("PATCH", "/v1/apps/"+id, map[string]any{"webhook_url": admin.URL + "/metrics"}, "Authorization", e.auth)
	if r.status != 400 || !strings.Contains(string(r.body), "webhook_url") {
		t.Fatalf("a sandbox app on a public kobo saved a loopback webhook: %d %s", r.status, r.body)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/"
	l.Close()
	var errs []string
	for _, target := range []string{admin.URL + "/metrics", closed, "http://10.255.255.1:81/"} {
		e.setWebhookURL(id, target)
		e.must(202, "POST", "/v1/apps/"+id+"/webhooks/test", nil, "Authorization", e.auth)
		d := e.firstAttempt(id)
		a := d["attempt_log"].([]any)[0].(map[string]any)
		if a["status_code"].(float64) != 0 || a["response_body"] != "" {
			t.Fatalf("%s: the attempt kept status %v and body %q", target, a["status_code"], a["response_body"])
		}
		errs = append(errs, a["error"].(string))
	}
	for _, s := range errs {
		if s != errs[0] || s == "" {
			t.Fatalf("the errors tell targets apart: %q", errs)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the internal service was called %d times", hits.Load())
	}
}

// TestLiveAppsTestModeEventsAreGuarded is finding 2: a live app's test-mode
// events (webhooks/test?mode=test, a replay with mode test) were dialled as
// if the app were a sandbox one. The guard follows the app that owns the URL.
func TestLiveAppsTestModeEventsAreGuarded(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{}) // a developer's kobo: sandbox apps may reach loopback
	admin, hits := internalService(t)
	e.signupApp("")
	id := e.app["id"].(string)
	e.must(200, "PATCH", "/v1/apps/"+id, map[string]any{"live": true, "webhook_url": "https://102.89.1.1/kobo"}, "Authorization", e.auth)
	e.setWebhookURL(id, admin.URL+"/rebound")

	e.must(202, "POST", "/v1/apps/"+id+"/webhooks/test?mode=test", nil, "Authorization", e.auth)
	a := e.firstAttempt(id)["attempt_log"].([]any)[0].(map[string]any)
	if a["status_code"].(float64) != 0 || a["response_body"] != "" || hits.Load() != 0 {
		t.Fatalf("a live app's test event reached loopback: %v (%d hits)", a, hits.Load())
	}
	e.must(202, "POST", "/v1/apps/"+id+"/webhooks/replay", map[string]any{"from": "2000-01-01T00:00:00Z", "mode": "test"}, "Authorization", e.auth)
	var page struct{ Data []map[string]any }
	waitUntil(t, "the replayed delivery's attempt", 20*time.Second, func() bool {
		json.Unmarshal(e.must(200, "GET", "/v1/apps/"+id+"/webhooks/deliveries", nil, "Authorization", e.auth).body, &page)
		return len(page.Data) == 2 && page.Data[0]["attempts"].(float64) >= 1 && page.Data[0]["status"] != "delivering"
	})
	if hits.Load() != 0 || page.Data[0]["last_status_code"] != nil {
		t.Fatalf("a live app's replayed test event reached loopback: %v (%d hits)", page.Data[0], hits.Load())
	}

	// a sandbox account of the live app, and a sandbox fire for it
	r := e.flowV1(t, e.institution("GTBank"), "user_good", "")
	code := r.m(t)["data"].(map[string]any)["code"].(string)
	acct := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
	e.must(200, "POST", "/v2/sandbox/accounts/"+acct+"/webhooks/fire", map[string]string{"event": "mono.events.account_updated"}, e.key()...)
	waitUntil(t, "every delivery's first attempt", 20*time.Second, func() bool {
		json.Unmarshal(e.must(200, "GET", "/v1/apps/"+id+"/webhooks/deliveries?event=mono.events.account_updated", nil, "Authorization", e.auth).body, &page)
		for _, d := range page.Data {
			if d["attempts"].(float64) < 1 || d["status"] == "delivering" {
				return false
			}
		}
		return len(page.Data) > 0
	})
	if hits.Load() != 0 {
		t.Fatalf("a live app's sandbox events reached loopback (%d hits)", hits.Load())
	}
}

// TestServeLogsTheWebhookGuardChoice: the start log says whether sandbox
// webhooks may reach private addresses, and why.
func TestServeLogsTheWebhookGuardChoice(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		publicURL string
		want      string
	}{
		{"", "sandbox webhooks may reach loopback and private addresses"},
		{"https://kobo.acme.ng", "sandbox webhooks are guarded like live ones"},
	} {
		cfg := config.Default()
		cfg.Addr, cfg.AdminAddr, cfg.DataDir, cfg.PublicURL = "127.0.0.1:0", "", t.TempDir(), c.publicURL
		cfg = cfg.WithDerived()
		var logs syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, cfg, io.Discard, slog.New(slog.NewTextHandler(&logs, nil)), func(listening) { cancel() })
		}()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), c.want) {
			t.Errorf("public URL %q: the start log does not say %q:\n%s", c.publicURL, c.want, logs.String())
		}
	}
}
