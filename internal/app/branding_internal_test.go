package app

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// FuzzWidgetBranding: whatever is typed into the widget page, what
// validation accepts is safe where the widget puts it: a colour is
// exactly #rrggbb (it goes into a CSS custom property) and a link is an
// https URL with a host (it goes into an href), never javascript: or a
// relative path.
func FuzzWidgetBranding(f *testing.F) {
	for _, seed := range [][2]string{{"#0a5f38", "https://acme.ng/privacy"}, {"red", "javascript:alert(1)"}, {"#FFFFFF", "http://acme.ng"},
		{" #abcdef ", " https://acme.ng/p?q=1#x "}, {"#abcdef;}", "https://user:pw@acme.ng/"}, {"", ""}, {"#12345", "//acme.ng/privacy"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, color, link string) {
		s := &Service{}
		a := &kobo.App{}
		err := s.validateApp(AppInput{BrandColor: &color, PrivacyURL: &link, TermsURL: &link}, a, false, nil)
		if err != nil {
			if kobo.ErrorCode(err) != kobo.EINVALID {
				t.Fatalf("error %v is not a field error", err)
			}
			return
		}
		if a.BrandColor != "" && !brandColor.MatchString(a.BrandColor) {
			t.Fatalf("colour %q accepted", a.BrandColor)
		}
		for _, l := range []string{a.PrivacyURL, a.TermsURL} {
			if l == "" {
				continue
			}
			u, err := url.Parse(l)
			if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsFunc(l, unicode.IsControl) {
				t.Fatalf("link %q accepted", l)
			}
		}
	})
}
