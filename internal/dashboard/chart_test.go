package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestBalanceChart: a day without a closing balance carries the previous
// one forward, days before the first one show the current balance, and
// the axis labels are the highest and lowest of the drawn values.
func TestBalanceChart(t *testing.T) {
	from := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 4) // five days: 0..4
	got := string(balanceChart([]kobo.DayBalance{{Day: 1, Balance: 500_00}, {Day: 3, Balance: 20_00}, {Day: 9, Balance: 1}}, 300_00, from, to))
	pts := strings.Fields(between(t, got, `points="`, `"`))
	if len(pts) != 5 {
		t.Fatalf("%d points, want one a day (5): %s", len(pts), got)
	}
	// day 0 is the current balance (₦300), days 1–2 ₦500, days 3–4 ₦20
	y := func(i int) string { return strings.Split(pts[i], ",")[1] }
	if y(1) != y(2) || y(3) != y(4) || y(0) == y(1) || y(1) == y(3) {
		t.Errorf("values not carried forward: %v", pts)
	}
	if !strings.Contains(got, "from ₦300.00 to ₦20.00") || !strings.Contains(got, ">₦500.00</text>") || !strings.Contains(got, ">₦20.00</text>") {
		t.Errorf("labels: %s", got)
	}
	if none := string(balanceChart(nil, 300_00, from, to)); !strings.Contains(none, "No balance history") {
		t.Errorf("no closings: %s", none)
	}
}

func between(t *testing.T, s, a, b string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		t.Fatalf("no %q in %s", a, s)
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}
