package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/webhook"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestSignInteropWithStandardWebhooks(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatal(secret)
	}
	body := []byte(`{"event":"mono.events.account_updated","data":{}}`)
	ts := time.Now().Truncate(time.Second)
	sig := webhook.Sign(secret, "evt_1", ts, body)
	// the official library verifies ours...
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("standardwebhooks rejects kobo's signature: %v", err)
	}
	// ...and we verify theirs
	theirs, err := wh.Sign("evt_1", ts, body)
	if err != nil || theirs != sig {
		t.Fatalf("signatures differ: ours %s, theirs %s (%v)", sig, theirs, err)
	}
	if err := webhook.Verify(secret, h, body, ts, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	h.Set("webhook-signature", "v1,bogus "+sig)
	if err := webhook.Verify(secret, h, body, ts, 5*time.Minute); err != nil {
		t.Fatalf("one of several signatures should match: %v", err)
	}
	if err := webhook.Verify(secret, h, append(body, ' '), ts, 5*time.Minute); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := webhook.Verify(secret, h, body, ts.Add(time.Hour), 5*time.Minute); !errors.Is(err, webhook.ErrStale) {
		t.Fatalf("stale timestamp: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id", "1700000000", "v1,abc", []byte("{}"))
	f.Fuzz(func(t *testing.T, secret, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		_ = webhook.Verify(secret, h, body, time.Unix(1700000000, 0), time.Minute)
	})
}

func TestBlocked(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		ip      string
		blocked bool
	}{
		{"127.0.0.1", true}, {"10.1.2.3", true}, {"172.20.0.1", true}, {"192.168.1.1", true}, {"169.254.169.254", true},
		{"100.64.0.1", true}, {"0.0.0.0", true}, {"224.0.0.1", true}, {"::1", true}, {"fe80::1", true}, {"fc00::1", true},
		{"fd00:ec2::254", true}, {"::ffff:127.0.0.1", true}, {"64:ff9b::a00:1", true}, {"2002:7f00:1::", true}, {"::", true},
		{"::127.0.0.1", true}, {"::a00:1", true}, {"::ffff:0:7f00:1", true}, {"64:ff9b:1::a00:1", true},
		{"64:ff9b:1:7f00:0:100::", true}, {"2002:a00:1::1", true}, {"2002:c0a8:101::", true}, {"2001:0:4136:e378:8000:63bf:3fff:fdd2", true},
		{"fe80::1%eth0", true}, {"::ffff:169.254.169.254", true}, {"64:ff9b::169.254.169.254", true}, {"fec0::1", true},
		{"8.8.8.8", false}, {"::8.8.8.8", false}, {"2002:808:808::1", false}, {"102.89.1.1", false}, {"2a00:1450:4001::1", false}, {"64:ff9b::808:808", false},
	} {
		if got := webhook.Blocked(netip.MustParseAddr(c.ip)); got != c.blocked {
			t.Errorf("Blocked(%s) = %v, want %v", c.ip, got, c.blocked)
		}
	}
}

func TestClientSendsSignedAndRefusesPrivateForLive(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(202)
		w.Write(bytes.Repeat([]byte("x"), 4000))
	}))
	defer srv.Close()
	c := webhook.NewClient(2 * time.Second)
	msg := webhook.Message{URL: srv.URL, Secret: kobo.Secret(secret), ID: "evt_9", Timestamp: time.Now(), Body: []byte(`{"a":1}`), AllowPrivate: true}
	r := c.Send(context.Background(), msg)
	if !r.OK() || r.StatusCode != 202 || len(r.Body) != 1024 {
		t.Fatalf("sandbox send = %+v", r)
	}
	if got.Get("mono-webhook-secret") != secret || got.Get("webhook-id") != "evt_9" || got.Get("Content-Type") != "application/json" {
		t.Fatalf("headers = %v", got)
	}
	if err := webhook.Verify(secret, got, body, time.Now(), time.Minute); err != nil {
		t.Fatalf("receiver cannot verify: %v", err)
	}
	// a live app may not reach 127.0.0.1, even through a name that resolves there
	msg.AllowPrivate = false
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		msg.URL = u
		r = c.Send(context.Background(), msg)
		if !errors.Is(r.Err, webhook.ErrBlockedAddress) {
			t.Fatalf("live send to %s = %+v, want blocked", u, r)
		}
	}
	// redirects are failures, not followed
	redir := httptest.NewServer(http.RedirectHandler("https://example.com/", http.StatusFound))
	defer redir.Close()
	r = c.Send(context.Background(), webhook.Message{URL: redir.URL, Secret: "s", ID: "e", Timestamp: time.Now(), Body: []byte("{}"), AllowPrivate: true})
	if r.OK() || r.Err == nil || r.StatusCode != 302 {
		t.Fatalf("redirect = %+v", r)
	}
	// timeouts are classified
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) }))
	defer hang.Close()
	r = webhook.NewClient(200*time.Millisecond).Send(context.Background(), webhook.Message{URL: hang.URL, Secret: "s", ID: "e", Timestamp: time.Now(), Body: []byte("{}"), AllowPrivate: true})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "timed out") {
		t.Fatalf("timeout = %+v", r)
	}
}

func TestBackoffSchedule(t *testing.T) {
	t.Parallel()
	var total time.Duration
	for n := 1; n < webhook.MaxAttempts; n++ {
		d := webhook.Backoff(n)
		if d <= 0 {
			t.Fatalf("Backoff(%d) = %v", n, d)
		}
		total += d
	}
	if total < 36*time.Hour || total > 60*time.Hour {
		t.Fatalf("retries span %v, want about two days", total)
	}
}

func TestPayloadGoldens(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 27, 21, 0, 38, 856000000, time.UTC)
	app := &kobo.App{ID: "66e2d530c293212b39d3aaaa", PartnerID: "66e2d530c293212b39d3bbbb"}
	acct := &kobo.Account{ID: "66e2d530c293212b39d34aa8", Name: "SAMUEL OLAMIDE NOMO", AccountNumber: "0100000062", Currency: "NGN", Balance: 17542,
		Type: "SAVINGS ACCOUNT - INDIVIDUAL", BVNLast4: "0003", AuthMethod: "mobile_banking", CustomerID: "682dd53a74682beb490a0ed4", Reference: "1804008877TEST",
		Institution: kobo.Institution{Name: "Union Bank of Nigeria", BankCode: "032", Type: kobo.PersonalBanking},
		DataStatus:  kobo.DataAvailable, CreatedAt: at.Add(-time.Hour), UpdatedAt: at}
	yes := true
	for name, f := range map[string]kobo.EventFacts{
		"account_connected":        {Type: kobo.EventAccountConnected, DataStatus: kobo.DataProcessing},
		"account_updated":          {Type: kobo.EventAccountUpdated, DataStatus: kobo.DataAvailable, RetrievedData: []string{"identity", "balance", "transactions"}},
		"account_updated_sync":     {Type: kobo.EventAccountUpdated, DataStatus: kobo.DataAvailable, SyncStatus: "SUCCESSFUL", HasNewData: &yes, JobID: "68c9928e2f51b0693d5fffeb", RetrievedData: []string{"balance", "transactions"}},
		"reauthorisation_required": {Type: kobo.EventReauthRequired},
		"account_reauthorized":     {Type: kobo.EventAccountReauthorized},
		"account_unlinked":         {Type: kobo.EventAccountUnlinked},
		"sync_failed":              {Type: kobo.EventSyncFailed, DataStatus: kobo.DataAvailable, SyncStatus: "FAILED"},
		"jobs_update":              {Type: kobo.EventJobUpdate, JobID: "job1", JobName: "jobs.accounts.sync_statement", JobStatus: "finished"},
		"webhook_test":             {Type: kobo.EventWebhookTest},
		"statement_job_completed":  {Type: kobo.EventStatementJobCompleted, Extra: map[string]any{"id": "QEP34KCSynTZgYXQr4e1", "status": "BUILT", "path": "https://kobo.test/statements/x.pdf"}},
	} {
		f.App = app
		if name != "webhook_test" {
			f.Account = acct
		}
		data, err := webhook.Renderer{}.Render(f)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := webhook.Body(&kobo.Event{ID: "tDZCfxKBS5", Type: f.Type, Payload: data, CreatedAt: at})
		var pretty bytes.Buffer
		json.Indent(&pretty, body, "", "  ")
		pretty.WriteByte('\n')
		path := filepath.Join("testdata", name+".golden.json")
		if *update {
			os.MkdirAll("testdata", 0o755)
			os.WriteFile(path, pretty.Bytes(), 0o644)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run with -update)", name, err)
		}
		if !bytes.Equal(pretty.Bytes(), want) {
			t.Errorf("%s differs from %s:\n%s", name, path, pretty.Bytes())
		}
	}
}
