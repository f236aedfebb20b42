package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Provider-key changes and per-institution provider choices go to the
// audit log, naming the provider and the fields but never their values.
func TestProviderChangesAreAudited(t *testing.T) {
	t.Parallel()
	second := &openBank{approveAt: 1}
	second.list = oneAccount
	b := setupOpen(t, kobo.ProviderPolicy{Real: true, Credentials: []string{"api_key"}}, second)
	ctx := context.Background()
	partner, appID := b.caller.App.PartnerID, b.caller.App.ID
	in := openInstitution(kobo.ConsentToken, 9)
	in.Providers = []string{"open", "open2"}
	if err := b.svc.SeedInstitutions(ctx, []kobo.Institution{in}); err != nil {
		t.Fatal(err)
	}
	tick := func() { b.clock.Add(time.Second) } // the log is newest first by time
	const secret = "good"                       // the open bank's check accepts only this key
	if _, err := b.svc.PutAppProvider(ctx, partner, appID, "open", map[string]string{"api_key": secret}); err != nil {
		t.Fatal(err)
	}
	tick()
	if _, err := b.svc.PutAppProvider(ctx, partner, appID, "open", map[string]string{"api_key": "bad-sk_live_9f3"}); err != nil {
		t.Fatal(err)
	}
	tick()
	// a refused PUT writes nothing
	if _, err := b.svc.PutAppProvider(ctx, partner, appID, "open", map[string]string{"api_key": ""}); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Fatalf("empty key: %v", err)
	}
	if err := b.svc.DeleteAppProvider(ctx, partner, appID, "open"); err != nil {
		t.Fatal(err)
	}
	tick()
	if err := b.svc.SetInstitutionProvider(ctx, partner, appID, in.ID, "open2"); err != nil {
		t.Fatal(err)
	}
	tick()
	// the same choice again changes nothing and is not a new line
	if err := b.svc.SetInstitutionProvider(ctx, partner, appID, in.ID, "open2"); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.SetInstitutionProvider(ctx, partner, appID, in.ID, ""); err != nil {
		t.Fatal(err)
	}
	log, err := b.svc.AuditLog(ctx, partner, app.AuditQuery{Action: "provider."})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- { // oldest first
		e := log[i]
		if e.AppID != appID {
			t.Errorf("entry %s names app %s", e.Action, e.AppID)
		}
		if strings.Contains(e.Detail+e.Target, secret) || strings.Contains(e.Detail+e.Target, "sk_live") {
			t.Errorf("entry %s carries a key: %q %q", e.Action, e.Target, e.Detail)
		}
		got = append(got, e.Action+" "+e.Target+": "+e.Detail)
	}
	want := []string{
		"provider.keys_set open: set api_key; check passed",
		"provider.keys_set open: replaced api_key; check failed",
		"provider.keys_deleted open: the deployment's defaults apply again, if any",
		"provider.institution_changed " + in.ID + ": now open2, was the default",
		"provider.institution_changed " + in.ID + ": now the default, was open2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
