package httpapi_test

import (
	"strings"
	"testing"
)

func TestPartnerAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)

	r := b.do(t, "POST", "/v1/auth/signup", map[string]string{"name": "Acme Lending", "email": "ops@acme.ng", "password": "a long passphrase"}).want(t, 201)
	golden(t, "signup", r.Body)
	if strings.Contains(string(r.Body), "passphrase") || strings.Contains(string(r.Body), "argon2") {
		t.Fatalf("signup response leaks the password: %s", r.Body)
	}
	r = b.do(t, "POST", "/v1/auth/login", map[string]string{"email": "ops@acme.ng", "password": "a long passphrase"}).want(t, 200)
	golden(t, "login", r.Body)
	auth := "Bearer " + r.json(t)["token"].(string)

	golden(t, "me", b.do(t, "GET", "/v1/auth/me", nil, "Authorization", auth).want(t, 200).Body)

	r = b.do(t, "POST", "/v1/apps", map[string]any{"name": "Loans", "displayName": "Acme Loans", "icon": "https://acme.ng/icon.png"}, "Authorization", auth).want(t, 201)
	golden(t, "app_create", r.Body)
	created := r.json(t)
	id := created["id"].(string)
	if !strings.HasPrefix(created["secret_key"].(string), "test_sk_") || !strings.HasPrefix(created["public_key"].(string), "test_pk_") {
		t.Fatalf("new app keys: %s", r.Body)
	}

	// secrets are shown once
	r = b.do(t, "GET", "/v1/apps/"+id, nil, "Authorization", auth).want(t, 200)
	golden(t, "app_get", r.Body)
	if strings.Contains(string(r.Body), "secret") {
		t.Fatalf("GET app shows a secret: %s", r.Body)
	}
	// ?id= on the app endpoint, as the blog describes
	if g := b.do(t, "GET", "/v1/apps?id="+id, nil, "Authorization", auth).want(t, 200).json(t); g["id"] != id {
		t.Fatalf("GET /v1/apps?id= = %v", g)
	}
	golden(t, "app_list", b.do(t, "GET", "/v1/apps", nil, "Authorization", auth).want(t, 200).Body)

	r = b.do(t, "PATCH", "/v1/apps?id="+id, map[string]any{"live": true, "webhook_url": "https://hooks.acme.ng/mono", "sync_frequency": 12, "history_months": 24}, "Authorization", auth).want(t, 200)
	golden(t, "app_go_live", r.Body)
	live := r.json(t)
	if !strings.HasPrefix(live["secret_key"].(string), "live_sk_") || !strings.HasPrefix(live["public_key"].(string), "live_pk_") {
		t.Fatalf("going live did not issue live keys: %s", r.Body)
	}
	// the live key reaches the Mono API, the old sandbox key too
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", live["secret_key"].(string)).want(t, 200)
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", created["secret_key"].(string)).want(t, 200)

	r = b.do(t, "POST", "/v1/apps/"+id+"/keys/rotate", nil, "Authorization", auth).want(t, 200)
	golden(t, "app_rotate_keys", r.Body)
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", live["secret_key"].(string)).want(t, 401)
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", r.json(t)["secret_key"].(string)).want(t, 200)
	r = b.do(t, "POST", "/v1/apps/"+id+"/keys/rotate?mode=test", nil, "Authorization", auth).want(t, 200)
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", created["secret_key"].(string)).want(t, 401)
	if k := r.json(t)["keys"].(map[string]any)["test"].(map[string]any)["secret_key"].(string); !strings.HasPrefix(k, "test_sk_") {
		t.Fatalf("rotate ?mode=test: %s", r.Body)
	}

	r = b.do(t, "POST", "/v1/apps/"+id+"/webhook/rotate", nil, "Authorization", auth).want(t, 200)
	golden(t, "app_rotate_webhook", r.Body)
	if r.json(t)["webhook_secret"] == created["webhook_secret"] {
		t.Fatal("webhook secret not rotated")
	}

	// another partner sees nothing
	other := b.partner(t, "rival@other.ng")
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/apps/" + id}, {"PATCH", "/v1/apps/" + id}, {"DELETE", "/v1/apps/" + id},
		{"POST", "/v1/apps/" + id + "/keys/rotate"}, {"POST", "/v1/apps/" + id + "/webhook/rotate"}, {"GET", "/v1/apps?id=" + id},
	} {
		var body any
		if c.method == "PATCH" {
			body = map[string]any{"name": "stolen"}
		}
		b.do(t, c.method, c.path, body, "Authorization", other).want(t, 404)
	}
	if list := b.do(t, "GET", "/v1/apps", nil, "Authorization", other).want(t, 200); string(list.Body) != "[]\n" {
		t.Fatalf("other partner's list = %s", list.Body)
	}

	r = b.do(t, "DELETE", "/v1/apps/"+id, nil, "Authorization", auth).want(t, 200)
	golden(t, "app_delete", r.Body)
	b.do(t, "GET", "/v1/apps/"+id, nil, "Authorization", auth).want(t, 404)

	b.do(t, "POST", "/v1/auth/logout", nil, "Authorization", auth).want(t, 200)
	b.do(t, "GET", "/v1/apps", nil, "Authorization", auth).want(t, 401)
}

func TestPartnerAPIBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	auth := b.partner(t, "bad@acme.ng")
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		mention            string
	}{
		{"signup_empty_body", "POST", "/v1/auth/signup", "", 400, "body is required"},
		{"signup_malformed", "POST", "/v1/auth/signup", `{"name": "x",`, 400, "not valid JSON"},
		{"signup_trailing", "POST", "/v1/auth/signup", `{"name":"x"} {}`, 400, "single JSON object"},
		{"signup_array", "POST", "/v1/auth/signup", `[1,2]`, 400, "JSON object"},
		{"signup_wrong_type", "POST", "/v1/auth/signup", `{"name": 5, "email": "a@b.ng", "password": "a long passphrase"}`, 400, "name must be a string"},
		{"signup_unknown_field", "POST", "/v1/auth/signup", `{"name":"x","email":"a@b.ng","password":"a long passphrase","admin":true}`, 400, `unknown field "admin"`},
		{"signup_missing", "POST", "/v1/auth/signup", `{}`, 400, "email is required"},
		{"signup_bad_email", "POST", "/v1/auth/signup", map[string]string{"name": "x", "email": "nope", "password": "a long passphrase"}, 400, "email must be a valid email"},
		{"signup_weak_password", "POST", "/v1/auth/signup", map[string]string{"name": "x", "email": "a@b.ng", "password": "123"}, 400, "password must be at least 10"},
		{"signup_duplicate", "POST", "/v1/auth/signup", map[string]string{"name": "x", "email": "BAD@acme.ng", "password": "another passphrase"}, 409, "already registered"},
		{"signup_too_large", "POST", "/v1/auth/signup", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than"},
		{"signup_wrong_content_type", "POST", "/v1/auth/signup", nil, 400, "Content-Type"},
		{"login_wrong_password", "POST", "/v1/auth/login", map[string]string{"email": "bad@acme.ng", "password": "not my passphrase"}, 401, "invalid email or password"},
		{"login_unknown_email", "POST", "/v1/auth/login", map[string]string{"email": "who@acme.ng", "password": "not my passphrase"}, 401, "invalid email or password"},
		{"apps_no_token", "GET", "/v1/apps", nil, 401, "missing bearer token"},
		{"app_create_no_name", "POST", "/v1/apps", map[string]any{"live": "yes"}, 400, "live must be true or false"},
		{"app_create_bad_fields", "POST", "/v1/apps", map[string]any{"name": "", "sync_frequency": 5, "relink": "x", "webhook_url": "ftp://x"}, 400, "name is required"},
		{"app_create_history_too_long", "POST", "/v1/apps", map[string]any{"name": "x", "history_months": 25}, 400, "history_months must be 1 to 24"},
		{"app_create_history_none", "POST", "/v1/apps", map[string]any{"name": "x", "history_months": 0}, 400, "history_months must be 1 to 24"},
		{"app_patch_no_id", "PATCH", "/v1/apps", map[string]any{"name": "x"}, 400, "id query parameter is required"},
		{"app_get_unknown", "GET", "/v1/apps/5f2d08be60b92e2888287702", nil, 404, "app not found"},
		{"app_rotate_bad_mode", "POST", "/v1/apps/5f2d08be60b92e2888287702/keys/rotate?mode=prod", nil, 404, "not found"},
		{"unknown_route", "GET", "/v1/nope", nil, 404, "no route for GET /v1/nope"},
		{"wrong_method", "DELETE", "/v1/auth/signup", nil, 405, "not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			headers := []string{"Authorization", auth}
			if c.name == "apps_no_token" {
				headers = nil
			}
			if c.name == "signup_wrong_content_type" {
				headers = append(headers, "Content-Type", "text/plain")
				c.body = "name=x"
			}
			r := b.do(t, c.method, c.path, c.body, headers...).want(t, c.status)
			if msg, _ := r.json(t)["message"].(string); !strings.Contains(msg, c.mention) {
				t.Errorf("message %q does not mention %q", msg, c.mention)
			}
		})
	}
	// field errors are listed individually
	r := b.do(t, "POST", "/v1/apps", map[string]any{"name": "", "sync_frequency": 5, "relink": "x", "webhook_url": "ftp://x", "history_months": -1}, "Authorization", auth).want(t, 400)
	golden(t, "app_create_invalid", r.Body)
	// nothing half-written: the failed creates left no app behind
	if list := b.do(t, "GET", "/v1/apps", nil, "Authorization", auth).want(t, 200); string(list.Body) != "[]\n" {
		t.Fatalf("apps after failed creates = %s", list.Body)
	}
}
