package httpapi_test

import (
	"testing"
)

// goLive creates an app, switches it live and returns its test and live
// secret keys.
func (b *bundle) goLive(t testing.TB, auth string) (id, testSK, liveSK string) {
	t.Helper()
	id, testSK = b.newApp(t, auth)
	m := b.do(t, "PATCH", "/v1/apps/"+id, map[string]any{"live": true}, "Authorization", auth).want(t, 200).json(t)
	liveSK, _ = m["secret_key"].(string)
	if liveSK == "" {
		t.Fatalf("going live returned no live secret key: %v", m)
	}
	return id, testSK, liveSK
}

// TestIdempotencyKeysScopedByMode (audit finding 7): a live request with
// the Idempotency-Key a sandbox request used runs on its own instead of
// getting the sandbox response back (or a 409).
func TestIdempotencyKeysScopedByMode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, testSK, liveSK := b.goLive(t, b.partner(t, "idem@acme.ng"))
	body := map[string]any{"customer": map[string]string{"name": "Ada Obi", "email": "ada@example.ng"}}
	sandbox := b.do(t, "POST", "/v2/accounts/initiate", body, "mono-sec-key", testSK, "Idempotency-Key", "same-key").want(t, 200)
	live := b.do(t, "POST", "/v2/accounts/initiate", body, "mono-sec-key", liveSK, "Idempotency-Key", "same-key").want(t, 200)
	if live.Header.Get("Idempotent-Replayed") != "" || string(live.Body) == string(sandbox.Body) {
		t.Fatalf("the live request replayed the sandbox response: %s", live.Body)
	}
	// Within a mode the key still replays.
	again := b.do(t, "POST", "/v2/accounts/initiate", body, "mono-sec-key", liveSK, "Idempotency-Key", "same-key").want(t, 200)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(live.Body) {
		t.Fatalf("a live retry was not replayed: %s", again.Body)
	}
}
