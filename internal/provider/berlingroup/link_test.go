package berlingroup

import (
	"errors"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// The bank's links resolve against its base URL, with or without the base
// path in them; a whole URL elsewhere is refused, since kobo would send
// the consent id and the OAuth token there.
func TestLinkResolution(t *testing.T) {
	for _, c := range []struct{ base, href, want string }{
		{"https://bank.example", "/v1/consents/c1/authorisations/a1", "https://bank.example/v1/consents/c1/authorisations/a1"},
		{"https://bank.example/psd2", "/v1/consents/c1", "https://bank.example/psd2/v1/consents/c1"},
		{"https://bank.example/psd2", "/psd2/v1/consents/c1", "https://bank.example/psd2/v1/consents/c1"},
		{"https://bank.example/psd2", "/psd2/v1/accounts/x/transactions?page=2", "https://bank.example/psd2/v1/accounts/x/transactions?page=2"},
		{"https://bank.example/psd2", "https://bank.example/psd2/v1/consents/c1", "https://bank.example/psd2/v1/consents/c1"},
		{"https://bank.example", "https://evil.example/v1/consents/c1", ""},
		{"https://bank.example", "http://bank.example/v1/consents/c1", ""},
		{"https://bank.example", "//evil.example/v1/consents/c1", ""},
		{"https://bank.example", "v1/consents/c1", ""},
		{"https://bank.example", "", ""},
	} {
		got, err := link(Bank{BaseURL: c.base}, c.href)
		var be *kobo.BankError
		if c.want == "" {
			if err == nil || !errors.As(err, &be) || be.Kind != kobo.BankInvalidData {
				t.Errorf("link(%q, %q) = %q, %v; want an invalid-data bank error", c.base, c.href, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("link(%q, %q) = %q, %v; want %q", c.base, c.href, got, err, c.want)
		}
	}
}
