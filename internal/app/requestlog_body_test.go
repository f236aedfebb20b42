package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLoggedErrorBody(t *testing.T) {
	for _, c := range []struct {
		status     int
		in         string
		want, gone string
	}{
		{200, `{"message":"ok"}`, "", "ok"},
		{404, `{"message":"Account not found"}`, `{"message":"Account not found"}`, ""},
		{400, `{"message":"account number 0123456789 is not valid"}`, "account number [redacted] is not valid", "0123456789"},
		{400, `{"message":"bvn 22212345678 mismatch"}`, "bvn [redacted] mismatch", "22212345678"},
		{401, `{"message":"key test_sk_abcDEF123 revoked"}`, "key [redacted] revoked", "test_sk_abcDEF123"},
		{400, `{"message":"bad whsec_QUJD+/= secret"}`, "bad [redacted] secret", "whsec_"},
		{400, `{"message":"code 1234567 is short"}`, "code 1234567 is short", ""},
	} {
		got := LoggedErrorBody(c.status, c.in)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) || c.gone != "" && strings.Contains(got, c.gone) {
			t.Errorf("LoggedErrorBody(%d, %q) = %q", c.status, c.in, got)
		}
	}
	long := `{"message":"` + strings.Repeat("é", 2000) + `"}`
	got := LoggedErrorBody(500, long)
	if len(got) > MaxLoggedErrorBody+len("…") || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("a long body: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func FuzzLoggedErrorBody(f *testing.F) {
	f.Add(400, `{"message":"account 0123456789"}`)
	f.Fuzz(func(t *testing.T, status int, in string) {
		got := LoggedErrorBody(status, in)
		if len(got) > MaxLoggedErrorBody+len("…") {
			t.Fatalf("%d bytes", len(got))
		}
		if sensitive.MatchString(strings.ReplaceAll(got, "[redacted]", " ")) && utf8.ValidString(in) && len(in) <= MaxLoggedErrorBody {
			t.Fatalf("left something sensitive: %q", got)
		}
	})
}
