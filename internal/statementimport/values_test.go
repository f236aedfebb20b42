package statementimport

import (
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1,234.56", 123456, true},
		{"₦1,234.56", 123456, true},
		{"NGN 1,234.56", 123456, true},
		{"N5,000", 500000, true},
		{"1,234.56 DR", -123456, true},
		{"1,234.56CR", 123456, true},
		{"1234.5D", -123450, true},
		{"(2,000.00)", -200000, true},
		{"-2,000.00", -200000, true},
		{"-₦2,000.00", -200000, true},
		{"₦-2,000.00", -200000, true},
		{"+15.00", 1500, true},
		{"0.00", 0, true},
		{"100.00 NGN", 10000, true},
		{"12.3400", 1234, true},
		{"12.345", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"N/A", 0, false},
		{"abc", 0, false},
		{"1.2.3", 0, false},
		{"99999999999999999999999", 0, false},
	}
	for _, c := range cases {
		got, ok := parseAmount(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseDate(t *testing.T) {
	d := func(y, m, dd, h, mi, s int) time.Time {
		return time.Date(y, time.Month(m), dd, h, mi, s, 0, time.UTC)
	}
	cases := []struct {
		in   string
		want time.Time
	}{
		{"01-Dec-2025", d(2025, 12, 1, 0, 0, 0)},
		{"01-DEC-2025", d(2025, 12, 1, 0, 0, 0)},
		{"01/12/2025", d(2025, 12, 1, 0, 0, 0)},
		{"13/01/2025", d(2025, 1, 13, 0, 0, 0)},
		{"01/12/25 08:12:33", d(2025, 12, 1, 7, 12, 33)}, // Lagos time → UTC
		{"2025-12-01", d(2025, 12, 1, 0, 0, 0)},
		{"2025-12-01T10:00:00", d(2025, 12, 1, 9, 0, 0)},
		{"2025-12-01T10:00:00Z", d(2025, 12, 1, 10, 0, 0)},
		{"20251201", d(2025, 12, 1, 0, 0, 0)},
		{"1 Dec 2025", d(2025, 12, 1, 0, 0, 0)},
	}
	for _, c := range cases {
		got, ok := parseDate(c.in)
		if !ok || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "tomorrow", "32/01/2025", "1,234.00"} {
		if _, ok := parseDate(bad); ok {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1,234.56 DR", "(5.00)", "₦-1", "NGN 0.5", "CR 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseAmount(s)
		if !ok && v != 0 {
			t.Fatalf("rejected %q but returned %d", s, v)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"01-Dec-2025", "01/12/25 08:12:33", "2025-12-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := parseDate(s); ok && d.Location() != time.UTC {
			t.Fatalf("%q parsed to non-UTC %v", s, d)
		}
	})
}
