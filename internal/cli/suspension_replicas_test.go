package cli

import (
	"strings"
	"testing"
)

// TestSuspensionReachesEveryReplica: two replicas on one PostgreSQL. B
// has the app's key in its cache; the operator suspends the app through
// A's admin listener and B refuses the key on its very next request (it
// used to pass for up to the 5 s cache); reinstated through A, B takes it
// again at once. The same for a hold on the partner.
func TestSuspensionReachesEveryReplica(t *testing.T) {
	dsn := postgresDSN(t)
	t.Parallel()
	a := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
	a.signupApp("")
	b := startE2E(t, e2eOpts{postgres: true, dsn: dsn})
	b.sk, b.pk, b.app, b.auth = a.sk, a.pk, a.app, a.auth
	id := a.app["id"].(string)
	var partner string
	for _, p := range a.adminDo("GET", "/v1/admin/partners", nil).m(t)["data"].([]any) {
		if pm := p.(map[string]any); pm["email"] == a.email {
			partner = pm["id"].(string)
		}
	}
	for _, path := range []string{"/v1/admin/apps/" + id, "/v1/admin/partners/" + partner} {
		b.must(200, "GET", "/v2/accounts", nil, b.key()...)
		b.must(200, "GET", "/v2/accounts", nil, b.key()...) // cached now
		if r := a.adminDo("POST", path+"/suspend", map[string]string{"reason": "replicas"}); r.status != 200 {
			t.Fatalf("suspend %s: %d %s", path, r.status, r.body)
		}
		if r := b.do("GET", "/v2/accounts", nil, b.key()...); r.status != 403 || !strings.Contains(string(r.body), "suspended") {
			t.Errorf("%s suspended through A, B's next request: %d %s", path, r.status, r.body)
		}
		if r := a.adminDo("POST", path+"/reinstate", map[string]string{}); r.status != 200 {
			t.Fatalf("reinstate %s: %d %s", path, r.status, r.body)
		}
		b.must(200, "GET", "/v2/accounts", nil, b.key()...)
	}
}
