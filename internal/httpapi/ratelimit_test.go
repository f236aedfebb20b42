package httpapi_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestRateLimits: a key past its burst gets 429 with Retry-After and a
// Mono-shaped body in its API generation; another key is unaffected; an
// address past its burst is limited before any key is checked.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	// Time stands still for the limiters: a token bucket on the real
	// clock refills while a loaded machine runs the requests, so whether
	// a burst hits the limit would depend on the machine's speed.
	t0 := time.Now().UTC()
	frozen := kobo.ClockFunc(func() time.Time { return t0 })
	b := setupWith(t, app.Config{KeyRateLimit: 5, IPRateLimit: 1000, Clock: frozen})
	_, sk := b.newApp(t, b.partner(t, "rl@acme.ng"))
	_, other := b.newApp(t, b.partner(t, "rl2@acme.ng"))
	var last resp
	n := 0
	for ; n < 50; n++ {
		last = b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", sk)
		if last.Status == 429 {
			break
		}
	}
	if last.Status != 429 || n < 10 {
		t.Fatalf("after %d requests: %d", n, last.Status)
	}
	if s, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}
	m := last.json(t)
	if m["status"] != "failed" || m["message"] == "" {
		t.Fatalf("v2 429 body: %s", last.Body)
	}
	v1 := b.do(t, "GET", "/accounts/0123456789abcdef01234567", nil, "mono-sec-key", sk)
	if v1.Status != 429 || v1.json(t)["message"] == nil || v1.json(t)["status"] != nil {
		t.Fatalf("v1 429: %d %s", v1.Status, v1.Body)
	}
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", other).want(t, 200)

	ip := setupWith(t, app.Config{IPRateLimit: 0.5, Clock: frozen})
	for i := 0; i < 3; i++ {
		ip.do(t, "GET", "/v1/institutions", nil)
	}
	r := ip.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", "test_sk_guess")
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("per-address limit: %d %s", r.Status, r.Body)
	}
	ip.do(t, "GET", "/healthz", nil).want(t, 200)
}
