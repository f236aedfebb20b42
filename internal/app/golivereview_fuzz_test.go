package app

import (
	"testing"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// FuzzCheckBusiness: whatever a partner submits, the check never panics,
// and what it accepts passes again unchanged (tidying is idempotent) and
// keeps within the limits the console's table assumes.
func FuzzCheckBusiness(f *testing.F) {
	f.Add("Ada Lending Ltd", "RC 1234567", "ng", "https://ada.ng", "Ops@Ada.ng", "Affordability checks for loans")
	f.Add("", "", "", "", "", "")
	f.Add(" \u00a0x", "é", "N1", "javascript:alert(1)", "a@b", "short")
	f.Add("Ọlọ́run Ltd", "RC-1", "GH", "http://user:pw@x.gh/", "x@y.gh", "a long enough use case …")
	f.Fuzz(func(t *testing.T, legal, reg, country, site, email, use string) {
		in := kobo.BusinessDetails{LegalName: legal, RegistrationNumber: reg, Country: country, Website: site, ContactEmail: email, UseCase: use}
		out, err := checkBusiness(in)
		if err != nil {
			if kobo.ErrorCode(err) != kobo.EINVALID {
				t.Fatalf("error of code %q: %v", kobo.ErrorCode(err), err)
			}
			return
		}
		again, err := checkBusiness(out)
		if err != nil || again != out {
			t.Fatalf("accepted %+v, then %+v / %v", out, again, err)
		}
		if len(out.Country) != 2 || utf8.RuneCountInString(out.LegalName) > 200 || utf8.RuneCountInString(out.UseCase) > 2000 || len(out.Website) > 300 {
			t.Fatalf("accepted out of bounds: %+v", out)
		}
	})
}
