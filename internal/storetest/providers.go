package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testProviders covers the provider framework's store: an app's keys per
// provider, its choice of provider per institution, account consents and
// their one-time expiry claim, and an institution's provider list and
// consent kinds.
func testProviders(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "providers@b.ng").ID)
	other := NewApp(t, s, NewPartner(t, s, "providers2@b.ng").ID)

	// institutions: the providers list and an auth method's consent kind round-trip
	in := SampleInstitution("5f2d08be60b92e2888287790", "Multi", "999", kobo.PersonalBanking, kobo.InternetBanking, kobo.MobileBanking)
	in.Providers = []string{"banksim", "mono"}
	in.AuthMethods[1].Consent = kobo.ConsentEmbedded
	update(t, s, func(tx kobo.Tx) error { return tx.UpsertInstitution(ctx, in) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Institution(ctx, in.ID)
		if err != nil {
			return err
		}
		if !slices.Equal(got.Providers, []string{"banksim", "mono"}) || got.AuthMethods[1].Consent != kobo.ConsentEmbedded || got.AuthMethods[0].Consent != "" {
			t.Errorf("institution providers %v, consents %q %q", got.Providers, got.AuthMethods[0].Consent, got.AuthMethods[1].Consent)
		}
		return nil
	})

	// app providers
	p := &kobo.AppProvider{AppID: a.ID, Provider: "mono", Credentials: "k1.sealed", Fields: []string{"secret_key", "public_key"}, CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.PutAppProvider(ctx, p) })
	checked := T0.Add(time.Minute)
	update(t, s, func(tx kobo.Tx) error {
		prev, err := tx.SetAppProviderHealth(ctx, a.ID, "mono", kobo.ProviderHealth{OK: false, Message: "key refused", CheckedAt: checked})
		if err == nil && (prev.OK || prev.Message != "" || !prev.CheckedAt.IsZero()) {
			t.Errorf("first SetAppProviderHealth replaced %+v, want the never-checked zero", prev)
		}
		return err
	})
	// the health replaced is returned: what the app decides a transition on
	update(t, s, func(tx kobo.Tx) error {
		prev, err := tx.SetAppProviderHealth(ctx, a.ID, "mono", kobo.ProviderHealth{OK: false, Message: "key refused", CheckedAt: checked})
		if err == nil && (prev.OK || prev.Message != "key refused" || !prev.CheckedAt.Equal(checked)) {
			t.Errorf("second SetAppProviderHealth replaced %+v", prev)
		}
		return err
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.AppProvider(ctx, a.ID, "mono")
		if err != nil {
			return err
		}
		if got.Credentials != "k1.sealed" || !slices.Equal(got.Fields, p.Fields) || got.Health.OK || got.Health.Message != "key refused" ||
			!got.Health.CheckedAt.Equal(checked) || !got.CreatedAt.Equal(T0) {
			t.Errorf("AppProvider = %+v", got)
		}
		_, err = tx.AppProvider(ctx, other.ID, "mono")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		_, err := tx.SetAppProviderHealth(ctx, other.ID, "mono", kobo.ProviderHealth{CheckedAt: T0})
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	// a replacement keeps created_at and takes the new health
	p2 := &kobo.AppProvider{AppID: a.ID, Provider: "mono", Credentials: "k1.sealed2", Fields: []string{"secret_key"},
		Health: kobo.ProviderHealth{OK: true, CheckedAt: T0.Add(time.Hour)}, CreatedAt: T0.Add(time.Hour), UpdatedAt: T0.Add(time.Hour)}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutAppProvider(ctx, p2); err != nil {
			return err
		}
		return tx.PutAppProvider(ctx, &kobo.AppProvider{AppID: a.ID, Provider: "simplefin", Credentials: "k1.s", CreatedAt: T0, UpdatedAt: T0})
	})
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.AppProviders(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].Provider != "mono" || list[1].Provider != "simplefin" || list[0].Credentials != "k1.sealed2" ||
			!list[0].Health.OK || list[0].Health.Message != "" || !list[0].CreatedAt.Equal(T0) || !list[1].Health.CheckedAt.IsZero() {
			t.Errorf("AppProviders = %+v", list)
		}
		if len(list) == 2 && len(list[1].Fields) != 0 {
			t.Errorf("fields of a provider without any: %v", list[1].Fields)
		}
		return nil
	})
	// the keys are a sealed field: key rotation lists and re-seals them
	update(t, s, func(tx kobo.Tx) error {
		v, err := tx.SealedValues(ctx, kobo.FieldAppProvider, a.ID+" mono", 10)
		if err != nil {
			return err
		}
		if len(v) != 1 || v[0].Row != a.ID+" simplefin" || v[0].Value != "k1.s" {
			t.Errorf("sealed values after %q = %+v", a.ID+" mono", v)
		}
		if kobo.FieldAppProvider.AAD(a.ID+" mono") != kobo.AppProviderAAD(a.ID, "mono") {
			t.Errorf("AAD = %q", kobo.FieldAppProvider.AAD(a.ID+" mono"))
		}
		ok, err := tx.ReplaceSealedValue(ctx, kobo.FieldAppProvider, a.ID+" mono", "k1.sealed2", "k2.sealed2")
		if err != nil || !ok {
			t.Errorf("replace = %v, %v", ok, err)
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.AppProvider(ctx, a.ID, "mono")
		if err == nil && got.Credentials != "k2.sealed2" {
			t.Errorf("after replace: %q", got.Credentials)
		}
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteAppProvider(ctx, a.ID, "simplefin") })
	update(t, s, func(tx kobo.Tx) error {
		wantCode(t, tx.DeleteAppProvider(ctx, a.ID, "simplefin"), kobo.ENOTFOUND)
		return nil
	})

	// institution choices, per app
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.SetInstitutionProvider(ctx, a.ID, in.ID, "mono", T0); err != nil {
			return err
		}
		if err := tx.SetInstitutionProvider(ctx, a.ID, "inst2", "banksim", T0); err != nil {
			return err
		}
		if err := tx.SetInstitutionProvider(ctx, a.ID, "inst2", "", T0); err != nil { // back to the default
			return err
		}
		return tx.SetInstitutionProvider(ctx, a.ID, in.ID, "simplefin", T0.Add(time.Second))
	})
	view(t, s, func(tx kobo.Tx) error {
		m, err := tx.InstitutionProviders(ctx, a.ID)
		if err != nil {
			return err
		}
		if fmt.Sprint(m) != fmt.Sprintf("map[%s:simplefin]", in.ID) {
			t.Errorf("InstitutionProviders = %v", m)
		}
		if m, _ := tx.InstitutionProviders(ctx, other.ID); len(m) != 0 {
			t.Errorf("another app's choices: %v", m)
		}
		return nil
	})

	// consents
	acct1, acct2, acct3 := NewAccount(t, s, a.ID), NewAccount(t, s, a.ID), NewAccount(t, s, a.ID)
	exp1, exp2 := T0.Add(5*24*time.Hour), T0.Add(30*24*time.Hour)
	update(t, s, func(tx kobo.Tx) error {
		for _, c := range []*kobo.AccountConsent{
			{AccountID: acct1.ID, Consent: kobo.Consent{Kind: kobo.ConsentRedirect, Provider: "obie", ExpiresAt: &exp1}, UpdatedAt: T0},
			{AccountID: acct2.ID, Consent: kobo.Consent{Kind: kobo.ConsentEmbedded, Provider: "mono", ExpiresAt: &exp2}, UpdatedAt: T0},
			{AccountID: acct3.ID, Consent: kobo.Consent{Kind: kobo.ConsentCredentials, Provider: "banksim"}, UpdatedAt: T0},
		} {
			if err := tx.PutAccountConsent(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	claim := func(before, at time.Time) []string {
		t.Helper()
		var ids []string
		update(t, s, func(tx kobo.Tx) error {
			list, err := tx.ClaimExpiringConsents(ctx, before, at, 10)
			for _, c := range list {
				if c.NotifiedAt == nil || !c.NotifiedAt.Equal(at) {
					t.Errorf("claimed consent %+v: notified_at not set", c)
				}
				ids = append(ids, c.AccountID)
			}
			return err
		})
		return ids
	}
	week := 7 * 24 * time.Hour
	if got := claim(T0.Add(week), T0); !slices.Equal(got, []string{acct1.ID}) {
		t.Errorf("first claim = %v, want only the consent expiring within the week", got)
	}
	if got := claim(T0.Add(week), T0.Add(time.Minute)); len(got) != 0 {
		t.Errorf("second claim = %v: a consent was announced twice", got)
	}
	view(t, s, func(tx kobo.Tx) error {
		c, err := tx.AccountConsent(ctx, acct1.ID)
		if err != nil {
			return err
		}
		if c.Kind != kobo.ConsentRedirect || c.Provider != "obie" || c.ExpiresAt == nil || !c.ExpiresAt.Equal(exp1) || c.NotifiedAt == nil {
			t.Errorf("AccountConsent = %+v", c)
		}
		c, err = tx.AccountConsent(ctx, acct3.ID)
		if err != nil {
			return err
		}
		if c.ExpiresAt != nil || c.Kind != kobo.ConsentCredentials {
			t.Errorf("credential consent = %+v", c)
		}
		_, err = tx.AccountConsent(ctx, "nope")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	// the same expiry written again stays announced; a re-consent with a new one is announced again
	update(t, s, func(tx kobo.Tx) error {
		return tx.PutAccountConsent(ctx, &kobo.AccountConsent{AccountID: acct1.ID, Consent: kobo.Consent{Kind: kobo.ConsentRedirect, Provider: "obie", ExpiresAt: &exp1}, UpdatedAt: T0.Add(time.Hour)})
	})
	if got := claim(T0.Add(week), T0.Add(2*time.Minute)); len(got) != 0 {
		t.Errorf("rewriting the same expiry re-announced it: %v", got)
	}
	renewed := T0.Add(6 * 24 * time.Hour)
	update(t, s, func(tx kobo.Tx) error {
		return tx.PutAccountConsent(ctx, &kobo.AccountConsent{AccountID: acct1.ID, Consent: kobo.Consent{Kind: kobo.ConsentRedirect, Provider: "obie", ExpiresAt: &renewed}, UpdatedAt: T0.Add(time.Hour)})
	})
	if got := claim(T0.Add(week), T0.Add(3*time.Minute)); !slices.Equal(got, []string{acct1.ID}) {
		t.Errorf("claim after re-consent = %v", got)
	}
	// transactions keep the pending flag and provider-id-ness; posting a
	// pending row (same ref) is a change
	pend := kobo.Transaction{ID: "txp1", AccountID: acct3.ID, ProviderRef: "TRN-1", Type: kobo.Debit, Amount: 500, Narration: "POS",
		Date: T0, Currency: "USD", Category: "x", CreatedAt: T0, UpdatedAt: T0, Pending: true, ProviderID: true}
	merge := func(x kobo.Transaction) kobo.TxnMerge {
		t.Helper()
		var m kobo.TxnMerge
		update(t, s, func(tx kobo.Tx) error {
			var err error
			m, err = tx.InsertTransactions(ctx, acct3.ID, []kobo.Transaction{x})
			return err
		})
		return m
	}
	read := func() kobo.Transaction {
		t.Helper()
		var rows []kobo.Transaction
		view(t, s, func(tx kobo.Tx) error {
			var err error
			rows, err = tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: acct3.ID, Limit: 10})
			return err
		})
		if len(rows) != 1 {
			t.Fatalf("transactions = %+v", rows)
		}
		return rows[0]
	}
	if m := merge(pend); m.Added != 1 {
		t.Errorf("pending insert = %+v", m)
	}
	if got := read(); !got.Pending || !got.ProviderID {
		t.Errorf("pending row read back = %+v", got)
	}
	if m := merge(pend); m.Added+m.Modified != 0 {
		t.Errorf("the same pending row again = %+v", m)
	}
	posted := pend
	countPosted := func() int {
		t.Helper()
		var n int
		view(t, s, func(tx kobo.Tx) error {
			var err error
			n, err = tx.CountPostedTransactionsBetween(ctx, acct3.ID, T0.Add(-time.Hour), T0.Add(time.Hour))
			return err
		})
		return n
	}
	if n := countPosted(); n != 0 {
		t.Errorf("CountPostedTransactionsBetween counts a pending row: %d", n)
	}
	defer func() {
		if n := countPosted(); n != 1 {
			t.Errorf("CountPostedTransactionsBetween after posting = %d, want 1", n)
		}
	}()
	posted.Pending = false
	if m := merge(posted); m.Modified != 1 {
		t.Errorf("posting = %+v", m)
	}
	if got := read(); got.Pending || !got.ProviderID {
		t.Errorf("posted row read back = %+v", got)
	}

	// unlinking the account drops its consent
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteAccount(ctx, acct2.ID) })
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.AccountConsent(ctx, acct2.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
}
