package kobo_test

import (
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func TestParseDecimalAmount(t *testing.T) {
	for _, c := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"12.50", "NGN", 1250, true},
		{"-12.5", "USD", -1250, true},
		{"+0.07", "GBP", 7, true},
		{"12", "NGN", 1200, true},
		{".5", "EUR", 50, true},
		{"1.230", "USD", 123, true},
		{"1500", "JPY", 1500, true},
		{"1.234", "KWD", 1234, true},
		{"1.234", "USD", 0, false},
		{"1,234.00", "USD", 0, false},
		{"1e3", "USD", 0, false},
		{"", "USD", 0, false},
		{"-", "USD", 0, false},
		{"1.", "USD", 0, false},
		{"99999999999999999999", "USD", 0, false},
	} {
		got, err := kobo.ParseDecimalAmount(c.in, c.cur)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseDecimalAmount(%q, %s) = %d, %v; want %d ok=%v", c.in, c.cur, got, err, c.want, c.ok)
		}
	}
}

func FuzzParseDecimalAmount(f *testing.F) {
	for _, s := range []string{"12.50", "-0.01", "+7", "1.000", "x"} {
		f.Add(s, "USD")
	}
	f.Add("5", "JPY")
	f.Add("1.234", "KWD")
	f.Fuzz(func(t *testing.T, s, cur string) {
		v, err := kobo.ParseDecimalAmount(s, cur)
		if err != nil {
			return
		}
		back, err := kobo.ParseDecimalAmount(kobo.FormatDecimalAmount(v, cur), cur)
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, kobo.FormatDecimalAmount(v, cur), back, err)
		}
	})
}
