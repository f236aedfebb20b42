package obie_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim/obie"
)

func FuzzDecodeConsentRequest(f *testing.F) {
	f.Add(`{"Data":{"Permissions":["ReadAccountsDetail","ReadTransactionsBasic","ReadTransactionsCredits"]},"Risk":{}}`)
	f.Add(`{"Data":{"Permissions":["ReadTransactionsBasic"]},"Risk":{}}`)
	f.Add(`{"Data":{"Permissions":["ReadBalances"],"ExpirationDateTime":"2020-01-01T00:00:00Z"},"Risk":{}}`)
	f.Add(`{"Data":{"Permissions":[]}}`)
	f.Add(`nope`)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		perms, exp, from, to, err := obie.DecodeConsentRequest([]byte(body), now)
		if err != nil {
			return
		}
		if len(perms) == 0 {
			t.Fatal("accepted a consent without permissions")
		}
		if exp != nil && !exp.After(now) {
			t.Fatal("accepted a past expiry")
		}
		if from != nil && to != nil && to.Before(*from) {
			t.Fatal("accepted a reversed window")
		}
	})
}

func FuzzParseRequestObject(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("")
	pki, err := obie.NewPKI("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// unverified reading never panics; a verified one never accepts
		// what the key did not sign
		_, _ = obie.ParseRequestObject(raw, nil)
		if _, err := obie.ParseRequestObject(raw, pki.SigningPub); err == nil {
			t.Fatalf("accepted an object not signed by the key: %q", raw)
		}
	})
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2026-01-02T03:04:05Z", "2026-01-02T03:04:05", "2026-01-02", "2026-01-02T03:04:05+01:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := obie.ParseDateTime(s)
		if err == nil && tm.Location() != time.UTC {
			t.Fatalf("%q: not UTC", s)
		}
	})
}

func FuzzNarration(f *testing.F) {
	for _, s := range []string{"POS PURCHASE SPAR LEKKI LAGOS NG", "NIP/GTB/AISHA BELLO/TRF FOR RENT", "NIP FRM X/Y", "MOB/UTO/A/B", "AIRTIME/MTN/0803", ""} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, n string, credit bool) {
		p := obie.Narration(n, credit)
		if len(p.Reference) > 35 || p.Code == "" || p.Family == "" || p.SubFamily == "" {
			t.Fatalf("%q: %+v", n, p)
		}
		if m := obie.Mobile(n); m != "" && !strings.HasPrefix(m, "+234-") {
			t.Fatalf("mobile %q", m)
		}
	})
}
