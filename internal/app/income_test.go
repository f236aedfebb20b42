package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/enrich"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// FuzzParseIncomePeriod: v2 income's period is a whole number of months
// from 1 to MaxIncomeMonths, or absent; anything else (last6months, 6.5,
// -1, 1e1) is an EINVALID naming period, never read loosely.
func FuzzParseIncomePeriod(f *testing.F) {
	for _, s := range []string{"", "6", "24", "25", "0", "-1", "6.5", "last6months", "6months", "1e1", " 6", "06", "+6", "٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		n, err := ParseIncomePeriod(p)
		if err != nil {
			if e, ok := err.(*kobo.Error); !ok || e.Code != kobo.EINVALID || e.Fields["period"] == "" {
				t.Fatalf("%q: %v is not an EINVALID naming period", p, err)
			}
			return
		}
		if p == "" {
			if n != 0 {
				t.Fatalf("absent period read as %d", n)
			}
			return
		}
		if n < 1 || n > MaxIncomeMonths || strings.Trim(p, "0123456789") != "" {
			t.Fatalf("%q accepted as %d", p, n)
		}
	})
}

// The report keeps Mono's field names and the sums they promise: each
// stream's monthly_average adds up to total_income (and the summary's),
// dates are YYYY-MM-DD, and an old stored result reads into the same shape.
func TestNewMonoIncome(t *testing.T) {
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	var txns []kobo.Transaction
	for m := 0; m < 6; m++ {
		d := now.AddDate(0, -m, -2)
		txns = append(txns, kobo.Transaction{Type: kobo.Credit, Amount: 450_000_00, Date: d, Narration: "SALARY ANDELA NIGERIA LTD"},
			kobo.Transaction{Type: kobo.Credit, Amount: int64(20_000_00 + (m%3)*150_000_00), Date: d.AddDate(0, 0, -9), Narration: "INVOICE PAYMENT FOR DESIGN FROM ACME VENTURES"})
	}
	r := enrich.AnalyzeIncome(txns, now, 6)
	m := NewMonoIncome("acct1", 6, r)
	if m.Period != "6 months" || m.IncomeSourceType != "BANK" || m.NumberOfIncomeStreams != len(m.IncomeStreams) || len(m.IncomeStreams) != 2 {
		t.Fatalf("report = %+v", m)
	}
	var sum int64
	for _, st := range m.IncomeStreams {
		sum += st.MonthlyAverage
		if _, err := time.Parse("2006-01-02", st.LastIncomeDate); err != nil || st.NumberOfIncomes != 6 || st.Stability < 0 || st.Stability > 1 {
			t.Fatalf("stream = %+v", st)
		}
	}
	if sum != m.TotalIncome || m.IncomeSummary.TotalIncome != m.TotalIncome || m.IncomeSummary.Employer != "ANDELA NIGERIA LTD" {
		t.Fatalf("total %d, streams sum to %d, summary %+v", m.TotalIncome, sum, m.IncomeSummary)
	}
	if m.IncomeStreams[0].IncomeType != "SALARY" || m.IncomeStreams[0].Frequency != "MONTHLY" || m.IncomeStreams[1].Frequency != "VARIABLE" {
		t.Fatalf("streams = %+v", m.IncomeStreams)
	}
	if m.TotalRegularIncomeAmount != 6*450_000_00 || m.FirstTransactionDate == nil || m.LastTransactionDate == nil {
		t.Fatalf("totals and dates = %+v", m)
	}
	raw, _ := json.Marshal(m)
	if back, ok := StoredIncome("acct1", 6, raw); !ok || back.TotalIncome != m.TotalIncome || len(back.IncomeStreams) != 2 {
		t.Fatalf("round trip = %+v, %v", back, ok)
	}
	old := []byte(`{"income_summary":{"type":"INCOME","employer":"ANDELA NIGERIA LTD","monthly_income":45000000,"yearly_income":540000000,"months_analysed":6,"aggregated_monthly_average":45000000},"income_streams":[{"payer":"ANDELA NIGERIA LTD","regular":true,"monthly_amount":45000000,"payments":6,"first_payment":"2026-01-28","last_payment":"2026-06-28"}]}`)
	back, ok := StoredIncome("acct1", 6, old)
	if !ok || back.IncomeSummary.Employer != "ANDELA NIGERIA LTD" || back.TotalIncome != 45000000 || back.IncomeStreams[0].LastIncomeDate != "2026-06-28" || back.Period != "6 months" {
		t.Fatalf("old record = %+v, %v", back, ok)
	}
	if _, ok := StoredIncome("acct1", 6, []byte(`not json`)); ok {
		t.Fatal("garbage read as a report")
	}
}
