package cli

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Finding 5 end to end: DELETE /v1/apps/{id}?purge=true stops everything
// and takes the customers' data at once; the partner's webhook still hears
// account_unlinked for each account, signed with the app's secret.
func TestDeleteAppWithPurge(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	hooks := newHookReceiver(t)
	e.signupApp(hooks.srv.URL)
	hooks.mu.Lock()
	hooks.secret = e.app["webhook_secret"].(string)
	hooks.mu.Unlock()
	id := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 30*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	app := e.app["id"].(string)

	r := e.must(400, "DELETE", "/v1/apps/"+app+"?purge=soon", nil, "Authorization", e.auth).m(t)
	if r["message"] == nil {
		t.Fatalf("bad purge value: %v", r)
	}
	r = e.must(200, "DELETE", "/v1/apps/"+app+"?purge=true", nil, "Authorization", e.auth).m(t)
	if r["purged"] != true {
		t.Fatalf("delete: %v", r)
	}
	e.must(401, "GET", "/accounts/"+id, nil, e.key()...)
	ctx := context.Background()
	err := e.stk.sealed.View(ctx, func(tx kobo.Tx) error {
		_, err := tx.Account(ctx, id)
		if kobo.ErrorCode(err) != kobo.ENOTFOUND {
			t.Errorf("the account is still stored: %v", err)
		}
		_, err = tx.Identity(ctx, id)
		if kobo.ErrorCode(err) != kobo.ENOTFOUND {
			t.Errorf("the identity is still stored: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "account_unlinked at the deleted app's webhook", 30*time.Second, func() bool {
		return slices.Contains(hooks.types(id), "account_unlinked")
	})
	hooks.mu.Lock()
	bad := hooks.bad
	hooks.mu.Unlock()
	if bad != 0 {
		t.Fatalf("%d webhooks were badly signed", bad)
	}
}

// Retention work is counted: kobo_pruned_total has every kind from the
// start, so an alert can tell "nothing to prune" from "not running".
func TestPrunedMetric(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	fams, err := e.stk.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range fams {
		if f.GetName() != "kobo_pruned_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				kinds = append(kinds, l.GetValue())
			}
		}
	}
	for _, k := range append(kobo.PruneKinds, "purged_apps", "staged_uploads", "usage_days") {
		if !slices.Contains(kinds, string(k)) {
			t.Errorf("kobo_pruned_total has no %q (has %v)", k, kinds)
		}
	}
}
