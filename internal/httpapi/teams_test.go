package httpapi_test

import (
	"strings"
	"testing"
)

// Every role on representative Partner API routes: what each may do is
// the permission table (app.Permissions); a stranger does not see the app.
func TestTeamRolesOnPartnerRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.partner(t, "owner@acme.ng")
	org := b.do(t, "GET", "/v1/auth/me", nil, "Authorization", owner).want(t, 200).json(t)["id"].(string)
	id, _ := b.newApp(t, owner)
	auth := map[string]string{"owner": owner}
	for _, role := range []string{"admin", "developer", "viewer"} {
		email := role + "@acme.ng"
		inv := b.do(t, "POST", "/v1/team/invites", map[string]string{"email": email, "role": role}, "Authorization", owner).want(t, 201).json(t)
		if !strings.HasPrefix(inv["accept_url"].(string), "https://kobo.test/dashboard/invite/") {
			t.Fatalf("invite: %v", inv)
		}
		auth[role] = b.partner(t, email)
		b.do(t, "POST", "/v1/team/invites/accept", map[string]string{"token": inv["token"].(string)}, "Authorization", auth[role]).want(t, 200)
	}
	auth["stranger"] = b.partner(t, "stranger@acme.ng")

	type check struct {
		method, path string
		body         any
		want         map[string]int
	}
	all := func(code int) map[string]int {
		return map[string]int{"owner": code, "admin": code, "developer": code, "viewer": code, "stranger": 404}
	}
	checks := []check{
		{"GET", "/v1/apps/" + id, nil, all(200)},
		{"GET", "/v1/apps?id=" + id, nil, all(200)},
		{"GET", "/v1/apps/" + id + "/events", nil, all(200)},
		{"GET", "/v1/apps/" + id + "/funnel?days=7", nil, all(200)},
		{"GET", "/v1/apps/" + id + "/webhooks/deliveries", nil, all(200)},
		{"PATCH", "/v1/apps/" + id, map[string]any{"display_name": "Acme Loans"}, map[string]int{"owner": 200, "admin": 200, "developer": 200, "viewer": 403, "stranger": 404}},
		{"POST", "/v1/apps/" + id + "/keys/rotate?kind=secret&overlap=1h", nil, map[string]int{"owner": 200, "admin": 200, "developer": 200, "viewer": 403, "stranger": 404}},
		{"PATCH", "/v1/apps/" + id, map[string]any{"live": true}, map[string]int{"developer": 403, "viewer": 403, "stranger": 404, "admin": 200}},
		{"PATCH", "/v1/apps?id=" + id, map[string]any{"live": false}, map[string]int{"owner": 200}},
		{"GET", "/v1/team?org=" + org, nil, map[string]int{"owner": 200, "admin": 200, "developer": 200, "viewer": 200, "stranger": 404}},
		{"POST", "/v1/team/invites?org=" + org, map[string]string{"email": "x@acme.ng", "role": "viewer"}, map[string]int{"developer": 403, "viewer": 403, "stranger": 404, "admin": 201}},
		{"GET", "/v1/audit?org=" + org, nil, map[string]int{"owner": 200, "admin": 200, "developer": 403, "viewer": 403, "stranger": 404}},
		{"POST", "/v1/team/transfer?org=" + org, map[string]string{"member": "nobody"}, map[string]int{"admin": 403, "developer": 403, "viewer": 403, "stranger": 404}},
		{"DELETE", "/v1/apps/" + id, nil, map[string]int{"developer": 403, "viewer": 403, "stranger": 404, "admin": 200}},
	}
	for _, c := range checks {
		for _, who := range []string{"stranger", "viewer", "developer", "admin", "owner"} {
			want, ok := c.want[who]
			if !ok {
				continue
			}
			r := b.do(t, c.method, c.path, c.body, "Authorization", auth[who])
			if r.Status != want {
				t.Errorf("%s %s as %s: %d, want %d: %s", c.method, c.path, who, r.Status, want, r.Body)
			}
		}
	}

	// the audit log saw all of it, by whom and through the API
	r := b.do(t, "GET", "/v1/audit?org="+org+"&action=keys.rotated", nil, "Authorization", owner).want(t, 200).json(t)
	rows := r["data"].([]any)
	if len(rows) != 3 {
		t.Fatalf("key rotations in the audit log: %d, want 3 (developer, admin, owner): %v", len(rows), rows)
	}
	first := rows[len(rows)-1].(map[string]any)
	if first["source"] != "api" || first["actor"] != "developer@acme.ng" || first["detail"] != "old key works for 1 more hour" {
		t.Fatalf("oldest rotation entry: %v", first)
	}
	csv := b.do(t, "GET", "/v1/audit?org="+org+"&format=csv", nil, "Authorization", owner)
	if csv.Status != 200 {
		t.Fatalf("audit CSV: %d %s", csv.Status, csv.Body)
	}
	if ct := csv.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(string(csv.Body), "app.went_live") || !strings.Contains(string(csv.Body), "member.joined") {
		t.Fatalf("audit CSV (%s): %s", ct, csv.Body)
	}
}

// The rotate route takes the overlap and kind; an overlap that is not one
// of the offered ones is refused.
func TestRotateKeyOverlapAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	auth := b.partner(t, "rot@acme.ng")
	id, sk := b.newApp(t, auth)
	pk := b.do(t, "GET", "/v1/apps/"+id, nil, "Authorization", auth).want(t, 200).json(t)["public_key"].(string)
	r := b.do(t, "POST", "/v1/apps/"+id+"/keys/rotate?kind=secret&overlap=24h", nil, "Authorization", auth).want(t, 200).json(t)
	if r["previous_key_expires_at"] == nil || r["public_key"] != pk || r["secret_key"] == sk {
		t.Fatalf("rotate secret with overlap: %v", r)
	}
	// both secrets work during the overlap
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", sk).want(t, 200)
	b.do(t, "GET", "/v3/institutions", nil, "mono-sec-key", r["secret_key"].(string)).want(t, 200)
	b.do(t, "POST", "/v1/apps/"+id+"/keys/rotate?kind=secret&overlap=3h", nil, "Authorization", auth).want(t, 400)
	b.do(t, "POST", "/v1/apps/"+id+"/keys/rotate?kind=both", nil, "Authorization", auth).want(t, 400)
}

// The live webhook URL: set through PATCH, read back, refused over plain
// http, cleared with "".
func TestLiveWebhookURLAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	auth := b.partner(t, "livehook@acme.ng")
	id, _ := b.newApp(t, auth)
	b.do(t, "PATCH", "/v1/apps/"+id, map[string]any{"live_webhook_url": "http://live.acme.ng/kobo"}, "Authorization", auth).want(t, 400)
	r := b.do(t, "PATCH", "/v1/apps/"+id, map[string]any{"live_webhook_url": "https://live.acme.ng/kobo"}, "Authorization", auth).want(t, 200).json(t)
	if r["live_webhook_url"] != "https://live.acme.ng/kobo" {
		t.Fatalf("PATCH live_webhook_url: %v", r)
	}
	if g := b.do(t, "GET", "/v1/apps/"+id, nil, "Authorization", auth).want(t, 200).json(t); g["live_webhook_url"] != "https://live.acme.ng/kobo" {
		t.Fatalf("GET after setting: %v", g)
	}
	b.do(t, "PATCH", "/v1/apps/"+id, map[string]any{"live_webhook_url": ""}, "Authorization", auth).want(t, 200)
	if g := b.do(t, "GET", "/v1/apps/"+id, nil, "Authorization", auth).want(t, 200).json(t); g["live_webhook_url"] != nil {
		t.Fatalf("GET after clearing: %v", g)
	}
}
