package storetest

import (
	"context"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testAppWidgetBranding: the widget's privacy and terms links and accent
// colour round-trip through create, update and both app reads; an app
// stored without them reads empty.
func testAppWidgetBranding(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	p := NewPartner(t, s, "branding@acme.ng")
	unset := NewApp(t, s, p.ID)
	a := &kobo.App{ID: kobo.NewID(T0) + "b", PartnerID: p.ID, Name: "branded", WebhookSecret: "whsec_b", SyncFrequency: kobo.SyncEvery24h,
		Relink: kobo.RelinkNew, HistoryMonths: 12, PrivacyURL: "https://acme.ng/privacy", TermsURL: "https://acme.ng/terms", BrandColor: "#123abc",
		CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateApp(ctx, a) })
	read := func(id string) *kobo.App {
		var got *kobo.App
		view(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.App(ctx, id)
			return err
		})
		return got
	}
	if g := read(unset.ID); g.PrivacyURL != "" || g.TermsURL != "" || g.BrandColor != "" {
		t.Errorf("an app stored without branding reads %q %q %q", g.PrivacyURL, g.TermsURL, g.BrandColor)
	}
	if g := read(a.ID); g.PrivacyURL != a.PrivacyURL || g.TermsURL != a.TermsURL || g.BrandColor != a.BrandColor {
		t.Errorf("created with branding, read %q %q %q", g.PrivacyURL, g.TermsURL, g.BrandColor)
	}
	a.PrivacyURL, a.TermsURL, a.BrandColor = "https://acme.ng/p2", "", "#000000"
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateApp(ctx, a) })
	if g := read(a.ID); g.PrivacyURL != "https://acme.ng/p2" || g.TermsURL != "" || g.BrandColor != "#000000" {
		t.Errorf("updated branding, read %q %q %q", g.PrivacyURL, g.TermsURL, g.BrandColor)
	}
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.AppsByPartner(ctx, p.ID)
		if err != nil {
			return err
		}
		for _, g := range list {
			if g.ID == a.ID && g.PrivacyURL != "https://acme.ng/p2" {
				t.Errorf("AppsByPartner: privacy %q", g.PrivacyURL)
			}
		}
		return nil
	})
}
