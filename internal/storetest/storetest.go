// Package storetest is the conformance suite every kobo.Store must pass.
// internal/sqlite runs it always and internal/postgres runs it when
// KOBO_TEST_DATABASE_URL is set, so the two engines cannot drift apart:
// adding a store method means adding a case here.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Opener returns a fresh, migrated, empty store for one test; it registers
// its own cleanup.
type Opener func(t *testing.T) kobo.Store

// Run runs every conformance case against stores from open.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(*testing.T, kobo.Store)
	}{
		{"Migrations", testMigrations},
		{"Partners", testPartners},
		{"PartnerTokens", testPartnerTokens},
		{"Apps", testApps},
		{"AppHistoryMonths", testAppHistoryMonths},
		{"AppWidgetBranding", testAppWidgetBranding},
		{"APIKeys", testAPIKeys},
		{"Institutions", testInstitutions},
		{"UpdateRollsBack", testUpdateRollsBack},
		{"ConnectSessions", testConnectSessions},
		{"ConnectFunnel", testConnectFunnel},
		{"Accounts", testAccounts},
		{"Jobs", testJobs},
		{"JobsConcurrentClaims", testJobsConcurrentClaims},
		{"JobTakeover", testJobTakeover},
		{"EventsAndIdempotency", testEventsAndIdempotency},
		{"Sync", testSync},
		{"EventFeed", testEventFeed},
		{"Deliveries", testDeliveries},
		{"DeliveryOrder", testDeliveryOrder},
		{"DeliveriesConcurrentClaims", testDeliveriesConcurrentClaims},
		{"DeliveryRuns", testDeliveryRuns},
		{"DisabledBacklogStarvesNoOne", testDisabledBacklogStarvesNoOne},
		{"RefreshStats", testRefreshStats},
		{"KeyChecks", testKeyChecks},
		{"KeyChecksFirstStartRace", testKeyChecksFirstStartRace},
		{"SandboxState", testSandboxState},
		{"QueueStats", testQueueStats},
		{"TransactionQueries", testTransactionQueries},
		{"StatementsAndIncome", testStatementsAndIncome},
		{"ListAccounts", testListAccounts},
		{"RequestLog", testRequestLog},
		{"Replays", testReplays},
		{"RequestLogCap", testRequestLogCap},
		{"RequestLogErrorBodies", testRequestLogErrorBodies},
		{"StatementUploads", testStatementUploads},
		{"StatementStaging", testStatementStaging},
		{"IdempotencyModes", testIdempotencyModes},
		{"Throttles", testThrottles},
		{"AppPurge", testAppPurge},
		{"Prune", testPrune},
		{"SealedFields", testSealedFields},
		{"Enrichments", testEnrichments},
		{"CustomerAdmin", testCustomerAdmin},
		{"AccountsByProviderRef", testAccountsByProviderRef},
		{"Providers", testProviders},
		{"AccountIdentifiers", testAccountIdentifiers},
		{"RekeyTransaction", testRekeyTransaction},
		{"TransactionMeta", testTransactionMeta},
		{"Flashes", testFlashes},
		{"KeyExpiry", testKeyExpiry},
		{"Teams", testTeams},
		{"AuditLog", testAuditLog},
		{"SearchAccounts", testSearchAccounts},
		{"LiveWebhook", testLiveWebhook},
		{"AppAddons", testAppAddons},
		{"Suspensions", testSuspensions},
		{"InstitutionHealth", testInstitutionHealth},
		{"InstitutionNotes", testInstitutionNotes},
		{"PartnersList", testPartnersList},
		{"TPPKeys", testTPPKeys},
		{"SessionsList", testSessionsList},
		{"PasswordResets", testPasswordResets},
		{"SettingsAndEpochs", testSettingsAndEpochs},
		{"GoLiveReviews", testGoLiveReviews},
		{"Usage", testUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t))
		})
	}
}

// T0 is the fixed time the suite writes with; microsecond precision so it
// round-trips on both engines.
var T0 = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

func update(t *testing.T, s kobo.Store, fn func(kobo.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s kobo.Store, fn func(kobo.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func wantCode(t *testing.T, err error, code kobo.Code) {
	t.Helper()
	if got := kobo.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func testMigrations(t *testing.T, s kobo.Store) {
	st, err := s.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pending) != 0 || len(st.Applied) == 0 {
		t.Fatalf("status = %+v, want all applied", st)
	}
	for i, m := range st.Applied {
		if (i > 0 && m.Version <= st.Applied[i-1].Version) || m.Checksum == "" || m.AppliedAt == nil {
			t.Errorf("applied[%d] = %+v", i, m)
		}
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// NewPartner inserts a partner and returns it.
func NewPartner(t *testing.T, s kobo.Store, email string) *kobo.Partner {
	t.Helper()
	p := &kobo.Partner{ID: kobo.NewID(T0), Name: "Acme Lending", Email: email, PasswordHash: "$argon2id$x", CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreatePartner(context.Background(), p) })
	return p
}

// NewApp inserts an app for a partner and returns it.
func NewApp(t *testing.T, s kobo.Store, partnerID string) *kobo.App {
	t.Helper()
	a := &kobo.App{ID: kobo.NewID(T0), PartnerID: partnerID, Name: "loans", DisplayName: "Acme Loans", WebhookSecret: "whsec_abc",
		SyncFrequency: kobo.SyncEvery24h, Relink: kobo.RelinkNew, CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateApp(context.Background(), a) })
	return a
}

func testPartners(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "Ops@Acme.NG")
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.PartnerByEmail(ctx, "ops@acme.ng")
		if err != nil {
			return err
		}
		if got.ID != p.ID || got.Email != "ops@acme.ng" || !got.CreatedAt.Equal(T0) {
			return fmt.Errorf("PartnerByEmail = %+v", got)
		}
		if _, err := tx.PartnerByID(ctx, p.ID); err != nil {
			return err
		}
		_, err = tx.PartnerByID(ctx, "nope")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	dup := &kobo.Partner{ID: kobo.NewID(T0), Name: "x", Email: "OPS@acme.ng", PasswordHash: "h", CreatedAt: T0, UpdatedAt: T0}
	err := s.Update(ctx, func(tx kobo.Tx) error { return tx.CreatePartner(ctx, dup) })
	wantCode(t, err, kobo.ECONFLICT)

	later := T0.Add(time.Hour)
	update(t, s, func(tx kobo.Tx) error { return tx.UpdatePartnerPassword(ctx, p.ID, "$argon2id$new", later) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.PartnerByID(ctx, p.ID)
		if err == nil && (got.PasswordHash != "$argon2id$new" || !got.UpdatedAt.Equal(later)) {
			err = fmt.Errorf("after password update: %+v", got)
		}
		return err
	})
	err = s.Update(ctx, func(tx kobo.Tx) error { return tx.UpdatePartnerPassword(ctx, "nope", "h", later) })
	wantCode(t, err, kobo.ENOTFOUND)
}

func testPartnerTokens(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "a@b.ng")
	for _, h := range []string{"h1", "h2"} {
		tok := &kobo.PartnerToken{Hash: h, PartnerID: p.ID, Kind: "api", CreatedAt: T0, ExpiresAt: T0.Add(24 * time.Hour)}
		update(t, s, func(tx kobo.Tx) error { return tx.CreatePartnerToken(ctx, tok) })
	}
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.PartnerTokenByHash(ctx, "h1")
		if err == nil && (got.PartnerID != p.ID || !got.ExpiresAt.Equal(T0.Add(24*time.Hour)) || got.Kind != "api") {
			err = fmt.Errorf("token = %+v", got)
		}
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeletePartnerToken(ctx, "h1") })
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.PartnerTokenByHash(ctx, "h1")
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.PartnerTokenByHash(ctx, "h2")
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeletePartnerTokens(ctx, p.ID) })
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.PartnerTokenByHash(ctx, "h2")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	bad := &kobo.PartnerToken{Hash: "h3", PartnerID: "missing", Kind: "api", CreatedAt: T0, ExpiresAt: T0}
	err := s.Update(ctx, func(tx kobo.Tx) error { return tx.CreatePartnerToken(ctx, bad) })
	wantCode(t, err, kobo.ENOTFOUND)
}

func testApps(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "apps@b.ng")
	a := NewApp(t, s, p.ID)
	b := NewApp(t, s, p.ID)
	other := NewApp(t, s, NewPartner(t, s, "other@b.ng").ID)
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.App(ctx, a.ID)
		if err != nil {
			return err
		}
		if got.Name != "loans" || got.WebhookSecret.Reveal() != "whsec_abc" || got.SyncFrequency != 24 || got.Relink != kobo.RelinkNew || got.Live {
			return fmt.Errorf("App = %+v", got)
		}
		list, err := tx.AppsByPartner(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(list) != 2 {
			return fmt.Errorf("AppsByPartner = %d apps, want 2", len(list))
		}
		for _, x := range list {
			if x.ID == other.ID {
				return errors.New("another partner's app listed")
			}
		}
		return nil
	})
	a.Name, a.Live, a.WebhookURL, a.SyncFrequency, a.Relink = "renamed", true, "https://hooks.acme.ng/mono", kobo.SyncEvery6h, kobo.RelinkReuse
	a.UpdatedAt = T0.Add(time.Minute)
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateApp(ctx, a) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.App(ctx, a.ID)
		if err == nil && (got.Name != "renamed" || !got.Live || got.WebhookURL != a.WebhookURL || got.SyncFrequency != 6 || got.Relink != kobo.RelinkReuse || !got.UpdatedAt.Equal(a.UpdatedAt)) {
			err = fmt.Errorf("after update: %+v", got)
		}
		return err
	})
	key := &kobo.APIKey{ID: kobo.NewID(T0), AppID: b.ID, Kind: kobo.SecretKey, Mode: kobo.ModeTest, Prefix: "test_sk_b", Hash: "x", CreatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateAPIKey(ctx, key) })
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteApp(ctx, b.ID, T0) })
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.App(ctx, b.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		keys, err := tx.APIKeysByPrefix(ctx, "test_sk_b")
		if err == nil && len(keys) != 0 {
			err = fmt.Errorf("deleted app's keys still valid: %d", len(keys))
		}
		return err
	})
	err := s.Update(ctx, func(tx kobo.Tx) error { return tx.DeleteApp(ctx, b.ID, T0) })
	wantCode(t, err, kobo.ENOTFOUND)
	err = s.Update(ctx, func(tx kobo.Tx) error { return tx.UpdateApp(ctx, b) })
	wantCode(t, err, kobo.ENOTFOUND)
}

func testAPIKeys(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "keys@b.ng").ID)
	mk := func(kind kobo.KeyKind, mode kobo.Mode, prefix string) *kobo.APIKey {
		return &kobo.APIKey{ID: kobo.NewID(T0), AppID: a.ID, Kind: kind, Mode: mode, Prefix: prefix, Hash: "hash-" + prefix, CreatedAt: T0}
	}
	keys := []*kobo.APIKey{mk(kobo.PublicKey, kobo.ModeTest, "test_pk_1"), mk(kobo.SecretKey, kobo.ModeTest, "test_sk_1"), mk(kobo.SecretKey, kobo.ModeLive, "live_sk_1")}
	update(t, s, func(tx kobo.Tx) error {
		for _, k := range keys {
			if err := tx.CreateAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.APIKeysByPrefix(ctx, "test_sk_1")
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Hash != "hash-test_sk_1" || got[0].Kind != kobo.SecretKey || got[0].Mode != kobo.ModeTest || got[0].RevokedAt != nil {
			return fmt.Errorf("APIKeysByPrefix = %+v", got)
		}
		all, err := tx.APIKeysByApp(ctx, a.ID)
		if err == nil && len(all) != 3 {
			err = fmt.Errorf("APIKeysByApp = %d keys", len(all))
		}
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.RevokeAPIKeys(ctx, a.ID, kobo.ModeTest, T0) })
	view(t, s, func(tx kobo.Tx) error {
		all, err := tx.APIKeysByApp(ctx, a.ID)
		if err == nil && (len(all) != 1 || all[0].Mode != kobo.ModeLive) {
			err = fmt.Errorf("after revoking test keys: %+v", all)
		}
		return err
	})
}

// SampleInstitution returns a catalog entry for tests.
func SampleInstitution(id, name, code string, typ kobo.InstitutionType, methods ...string) *kobo.Institution {
	in := &kobo.Institution{ID: id, Name: name, Type: typ, BankCode: code, NIPCode: "000" + code, Country: "ng",
		Identifier: "mono.connections." + name, Icon: "/static/institutions/x.svg", PrimaryColor: "#123456",
		Products: []string{"Auth", "Transactions"}, Scopes: []string{"financial_data"}, Provider: "banksim", UpdatedAt: T0}
	for i, m := range methods {
		in.AuthMethods = append(in.AuthMethods, kobo.AuthMethod{ID: fmt.Sprintf("%s%02d", id[:22], i), Type: m, Name: m,
			UI: kobo.UIForm{Title: "Log in to " + name, Form: []kobo.FormField{
				{Type: "elements.input", Name: "username", Hint: "User ID", ContentType: "string"},
				{Type: "elements.input", Name: "pin", Hint: "PIN", ContentType: "password", MaxLength: 4}}}})
	}
	return in
}

func testInstitutions(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	gt := SampleInstitution("5f2d08be60b92e2888287702", "GTBank", "058", kobo.PersonalBanking, kobo.InternetBanking, kobo.MobileBanking)
	gtb := SampleInstitution("5f2d08be60b92e2888287703", "GTBank Business", "058", kobo.BusinessBanking, kobo.InternetBanking)
	kuda := SampleInstitution("5f2d08be60b92e2888287704", "Kuda", "090267", kobo.PersonalBanking, kobo.MobileBanking)
	update(t, s, func(tx kobo.Tx) error {
		for _, in := range []*kobo.Institution{kuda, gtb, gt} {
			if err := tx.UpsertInstitution(ctx, in); err != nil {
				return err
			}
		}
		return nil
	})
	gt.Name = "Guaranty Trust Bank"
	gt.Aliases, gt.Popularity = []string{"GTB", "GTCO"}, 1
	update(t, s, func(tx kobo.Tx) error { return tx.UpsertInstitution(ctx, gt) })
	names := func(list []*kobo.Institution) []string {
		var out []string
		for _, in := range list {
			out = append(out, in.Name)
		}
		return out
	}
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Institution(ctx, gt.ID)
		if err != nil {
			return err
		}
		if got.Name != "Guaranty Trust Bank" || len(got.AuthMethods) != 2 || got.AuthMethods[0].UI.Form[1].MaxLength != 4 ||
			got.AuthMethods[1].Type != kobo.MobileBanking || len(got.Products) != 2 || got.Scopes[0] != "financial_data" {
			return fmt.Errorf("Institution = %+v", got)
		}
		// aliases and the popular rank are catalog data: stored, updated, read back
		if strings.Join(got.Aliases, ",") != "GTB,GTCO" || got.Popularity != 1 {
			return fmt.Errorf("aliases %q popularity %d, want GTB,GTCO and 1", got.Aliases, got.Popularity)
		}
		if k, err := tx.Institution(ctx, kuda.ID); err != nil || k.Aliases != nil || k.Popularity != 0 {
			return fmt.Errorf("an institution without aliases: %+v, %v", k, err)
		}
		_, err = tx.Institution(ctx, "000000000000000000000000")
		wantCode(t, err, kobo.ENOTFOUND)
		list, err := tx.Institutions(ctx)
		if err != nil {
			return err
		}
		if got := fmt.Sprint(names(list)); got != "[GTBank Business Guaranty Trust Bank Kuda]" {
			t.Errorf("Institutions() = %s", got)
		}
		return nil
	})
}

func testUpdateRollsBack(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	p := &kobo.Partner{ID: kobo.NewID(T0), Name: "x", Email: "rollback@b.ng", PasswordHash: "h", CreatedAt: T0, UpdatedAt: T0}
	err := s.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.PartnerByEmail(ctx, "rollback@b.ng")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic in Update was swallowed")
			}
		}()
		_ = s.Update(ctx, func(tx kobo.Tx) error {
			_ = tx.CreatePartner(ctx, p)
			panic("boom")
		})
	}()
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.PartnerByEmail(ctx, "rollback@b.ng")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	// the writer must still work after a rollback and a panic
	NewPartner(t, s, "after@b.ng")
}
