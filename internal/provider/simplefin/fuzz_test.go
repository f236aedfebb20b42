package simplefin

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/provider/simplefin/sfintest"
)

func x509Pool(s *sfintest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.HTTP.Certificate())
	return pool
}

// FuzzDecodeSetupToken: whatever is pasted, the decoder never panics, and
// what it accepts is an absolute http(s) URL with a host and no
// credentials (https when live).
func FuzzDecodeSetupToken(f *testing.F) {
	for _, s := range []string{"aHR0cHM6Ly9icmlkZ2Uuc2ltcGxlZmluLm9yZy9zaW1wbGVmaW4vY2xhaW0vZGVtbw==",
		base64.StdEncoding.EncodeToString([]byte("http://127.0.0.1:1/claim/x")), base64.RawURLEncoding.EncodeToString([]byte("https://a:b@h/")),
		"", "====", "%%%", base64.StdEncoding.EncodeToString([]byte("https://[::1]:80/c"))} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, tok string, live bool) {
		u, err := DecodeSetupToken(tok, live)
		if err != nil {
			return
		}
		if !u.IsAbs() || u.Hostname() == "" || u.User != nil || (u.Scheme != "https" && (live || u.Scheme != "http")) {
			t.Fatalf("accepted %q as %v", tok, u)
		}
	})
}

// FuzzParseAccountSet: any body is refused or parsed into accounts whose
// mappings succeed, with sanitised errors.
func FuzzParseAccountSet(f *testing.F) {
	f.Add(`{"errors": ["x"], "accounts": [{"org": {"domain": "d"}, "id": "a", "name": "n", "currency": "USD", "balance": "1.5",
		"available-balance": 2, "balance-date": 1, "transactions": [{"id": "t", "posted": 0, "amount": "-0.01", "description": "d", "pending": true, "transacted_at": 5}]}]}`)
	f.Add(`{"errors": [], "accounts": [{"id": "m", "currency": "https://x.example/c", "balance": "12", "balance-date": "9"}]}`)
	f.Add(`{"errors": null, "accounts": null}`)
	f.Add(`{"errlist": [{"code": "con.auth", "message": "m", "conn_id": "c"}], "connections": [{"conn_id": "c", "org_name": "B"}],
		"accounts": [{"id": "a", "conn_id": "c", "currency": "CAD", "balance": "-3", "balance-date": 2}]}`)
	f.Add(`{"accounts": [{"id": "a", "currency": "KWD", "balance": "1.234", "balance-date": 1.5}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		set, err := ParseAccountSet([]byte(body))
		if err != nil {
			return
		}
		for _, e := range set.Errors {
			if e == "" || !utf8.ValidString(e) || strings.ContainsAny(e, "\x00\n\r\x1b\u202e") {
				t.Fatalf("unsanitised error %q", e)
			}
		}
		for i := range set.Accounts {
			a := &set.Accounts[i]
			ba := a.bankAccount()
			if ba.Ref == "" || len(ba.Currency) != 3 {
				t.Fatalf("account %+v", ba)
			}
			rows, err := a.bankTransactions()
			if err != nil {
				t.Fatalf("a parsed account's rows do not map: %v", err)
			}
			for _, r := range rows {
				if r.Amount < 0 || !r.ProviderID || r.Ref == "" {
					t.Fatalf("row %+v", r)
				}
			}
		}
		_ = set.errorsAsBankError()
	})
}
