package httpapi_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
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

// TestSignupThrottledPerAddress (audit finding 4): one address cannot sign
// up without end (each signup is an argon2id hash and a row); past the
// limit the answer is 429 with Retry-After and nothing is written.
func TestSignupThrottledPerAddress(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var last resp
	n := 0
	for ; n < 30; n++ {
		last = b.do(t, "POST", "/v1/auth/signup", map[string]string{"name": "Spam", "email": fmt.Sprintf("s%d@spam.ng", n), "password": "a long passphrase"})
		if last.Status != 201 {
			break
		}
	}
	if last.Status != 429 {
		t.Fatalf("after %d signups from one address: %d %s", n, last.Status, last.Body)
	}
	if s, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}
	// the refused signup left no partner behind
	if r := b.do(t, "POST", "/v1/auth/login", map[string]string{"email": fmt.Sprintf("s%d@spam.ng", n), "password": "a long passphrase"}); r.Status != 401 {
		t.Fatalf("login as the refused signup: %d %s", r.Status, r.Body)
	}
}

// TestChangePasswordThrottled (audit finding 4): wrong current passwords
// are limited per token: 40 guesses must meet a 429 with Retry-After, and
// the right password is refused too until the window passes.
func TestChangePasswordThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	auth := b.partner(t, "guess@acme.ng")
	var last resp
	n := 0
	for ; n < 40; n++ {
		last = b.do(t, "POST", "/v1/auth/password", map[string]string{"current_password": fmt.Sprintf("guess number %d", n), "new_password": "a brand new passphrase"}, "Authorization", auth)
		if last.Status != 400 {
			break
		}
	}
	if last.Status != 429 || n > 10 {
		t.Fatalf("after %d wrong current passwords: %d %s", n, last.Status, last.Body)
	}
	if s, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}
	if r := b.do(t, "POST", "/v1/auth/password", map[string]string{"current_password": "a long passphrase", "new_password": "a brand new passphrase"}, "Authorization", auth); r.Status != 429 {
		t.Fatalf("the right password while throttled: %d %s", r.Status, r.Body)
	}
}

// TestSuccessfulLoginsNotThrottled (audit finding 9): logging in again and
// again with the right password (scripts, several devices) is never
// refused; only failures count.
func TestSuccessfulLoginsNotThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.partner(t, "often@acme.ng")
	for i := 0; i < 25; i++ {
		b.do(t, "POST", "/v1/auth/login", map[string]string{"email": "often@acme.ng", "password": "a long passphrase"}).want(t, 200)
	}
}

// TestControlCharactersRefused (audit finding 9): control and bidi
// characters in names and emails are a 400 naming the field, and nothing
// is created.
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct{ field, name, email string }{
		{"name", "Acme\u202egnp.exe", "bidi@acme.ng"},
		{"name", "Acme\nLevel=admin", "newline@acme.ng"},
		{"name", "Acme\u200b", "zwsp@acme.ng"},
		{"email", "Acme", "ev\u202eil@acme.ng"},
	} {
		r := b.do(t, "POST", "/v1/auth/signup", map[string]string{"name": c.name, "email": c.email, "password": "a long passphrase"})
		if r.Status != 400 || !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
			t.Errorf("signup %q / %q: %d %s, want 400 naming %s", c.name, c.email, r.Status, r.Body, c.field)
		}
	}
	auth := b.partner(t, "clean@acme.ng")
	id, sk := b.newApp(t, auth)
	r := b.do(t, "POST", "/v1/apps", map[string]any{"name": "loans\u2066x"}, "Authorization", auth)
	if r.Status != 400 || !strings.Contains(string(r.Body), `"field":"name"`) {
		t.Errorf("app name with an isolate: %d %s", r.Status, r.Body)
	}
	r = b.do(t, "PATCH", "/v1/apps/"+id, map[string]any{"display_name": "Loans\u202e"}, "Authorization", auth)
	if r.Status != 400 || !strings.Contains(string(r.Body), "display_name") {
		t.Errorf("display name with an override: %d %s", r.Status, r.Body)
	}
	r = b.do(t, "POST", "/v2/accounts/initiate", map[string]any{"customer": map[string]string{"name": "Ada\u202eObi", "email": "ada@example.ng"}}, "mono-sec-key", sk)
	if r.Status != 400 || !strings.Contains(string(r.Body), "customer.name") {
		t.Errorf("customer name with an override: %d %s", r.Status, r.Body)
	}
}

// TestPublicKeyCreationsCapped (audit finding 9): the public key is
// public, so what it may create is capped per hour: customers first (300),
// then connect sessions (1000), each a 429 with Retry-After that writes
// nothing. The secret key is not capped this way.
func TestPublicKeyCreationsCapped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	auth := b.partner(t, "caps@acme.ng")
	m := b.do(t, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", auth).want(t, 201).json(t)
	pk, sk := m["public_key"].(string), m["secret_key"].(string)
	inst := b.do(t, "GET", "/v1/institutions", nil).Body
	gt := regexpFirst(t, `"_id":"([0-9a-f]{24})"`, inst)
	session := func(body map[string]any) resp {
		t.Helper()
		body["institution"] = gt
		return b.do(t, "POST", "/connect/api/session", body, "x-public-key", pk)
	}
	n := 0
	var last resp
	for ; n < 400; n++ {
		last = session(map[string]any{"customer": map[string]string{"name": "Ada", "email": fmt.Sprintf("c%d@example.ng", n)}})
		if last.Status != 200 {
			break
		}
	}
	if last.Status != 429 || n > 300 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d new customers from the public key: %d %s", n, last.Status, last.Body)
	}
	// an existing customer, or none, still opens sessions...
	session(map[string]any{"customer": map[string]string{"email": "c0@example.ng"}}).want(t, 200)
	// ...until the session cap
	for n = 0; n < 1200; n++ {
		if last = session(map[string]any{}); last.Status != 200 {
			break
		}
	}
	if last.Status != 429 || n > 1000 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d more sessions from the public key: %d %s", n, last.Status, last.Body)
	}
	b.do(t, "POST", "/v1/connect/session", map[string]any{"institution": gt}, "mono-sec-key", sk).want(t, 200)
}

func regexpFirst(t *testing.T, pattern string, body []byte) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in %.200s", pattern, body)
	}
	return string(m[1])
}
