package enrich

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type fixture struct {
	txns []kobo.Transaction
	n    int
}

func (f *fixture) add(at time.Time, typ kobo.TxnType, amount int64, narration string) {
	f.n++
	f.txns = append(f.txns, kobo.Transaction{ID: fmt.Sprint(f.n), Type: typ, Amount: amount, Narration: narration, Date: at})
}

// noise adds everyday life: transfers from friends, purchases, charges.
func (f *fixture) noise(months int) {
	for m := 0; m < months; m++ {
		base := now.AddDate(0, -m, -3)
		f.add(base, kobo.Credit, 2_500_000+int64(m*37_000), "NIP FRM CHINEDU OKEKE/UPKEEP")
		f.add(base.Add(50*time.Hour), kobo.Credit, 1_200_000, fmt.Sprintf("NIP FRM AISHA BELLO/CONTRIBUTION %d", m))
		f.add(base.Add(70*time.Hour), kobo.Debit, 540_000, "POS PURCHASE SHOPRITE IKEJA")
		f.add(base.Add(90*time.Hour), kobo.Credit, 540_000, "REVERSAL: POS PURCHASE SHOPRITE IKEJA")
		f.add(base.Add(100*time.Hour), kobo.Debit, 20_000, "SMS ALERT CHARGES")
		f.add(base.Add(110*time.Hour), kobo.Credit, 12_345, "INTEREST PAID")
	}
}

func (f *fixture) salary(employer string, amount int64, months int, narration func(m time.Time) string) {
	for m := 0; m < months; m++ {
		d := time.Date(now.Year(), now.Month(), 25, 9, 0, 0, 0, time.UTC).AddDate(0, -m, 0)
		if d.After(now) {
			continue
		}
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, -1) // paid early on weekends
		}
		f.add(d, kobo.Credit, amount, narration(d))
	}
}

func monthName(d time.Time) string { return d.Format("Jan 2006") }

func within(t *testing.T, what string, got, want int64, pct float64) {
	t.Helper()
	if math.Abs(float64(got-want)) > float64(want)*pct/100 {
		t.Errorf("%s = %d, want %d ± %.0f%%", what, got, want, pct)
	}
}

func TestIncome(t *testing.T) {
	t.Parallel()
	t.Run("SteadySalary", func(t *testing.T) {
		t.Parallel()
		var f fixture
		f.noise(12)
		f.salary("ANDELA NIGERIA LTD", 450_000_00, 12, func(d time.Time) string { return "SALARY ANDELA NIGERIA LTD " + monthName(d) })
		r := AnalyzeIncome(f.txns, now, 12)
		if r.Type != "INCOME" || r.Employer != "ANDELA NIGERIA LTD" || r.Amount != 450_000_00 || r.Confidence < 0.85 {
			t.Fatalf("report = %+v", r)
		}
		if r.YearlyIncome != r.MonthlyIncome*12 || r.IncomeSources != 1 {
			t.Fatalf("figures = %+v", r)
		}
	})
	t.Run("NIPSalaryFormat", func(t *testing.T) {
		t.Parallel()
		var f fixture
		f.noise(8)
		f.salary("", 320_000_00, 8, func(d time.Time) string { return "NIP FRM DANGOTE CEMENT PLC/SALARY FOR " + monthName(d) })
		r := AnalyzeIncome(f.txns, now, 12)
		if r.Employer != "DANGOTE CEMENT PLC" || r.Amount != 320_000_00 {
			t.Fatalf("report = %+v", r)
		}
	})
	t.Run("RaiseMidYear", func(t *testing.T) {
		t.Parallel()
		var f fixture
		f.salary("", 0, 12, func(d time.Time) string { return "" })
		f.txns = nil
		for m := 0; m < 12; m++ {
			d := time.Date(2026, time.Month(11-m), 24, 9, 0, 0, 0, time.UTC)
			amt := int64(400_000_00)
			if m < 5 {
				amt = 440_000_00 // a 10% raise five months ago
			}
			f.add(d, kobo.Credit, amt, "SALARY PAYSTACK PAYMENTS LIMITED "+monthName(d))
		}
		r := AnalyzeIncome(f.txns, now, 12)
		if r.Type != "INCOME" || r.Amount != 440_000_00 {
			t.Fatalf("after a raise the estimate should follow the recent salary: %+v", r)
		}
	})
	t.Run("JobChange", func(t *testing.T) {
		t.Parallel()
		var f fixture
		f.noise(12)
		for m := 0; m < 12; m++ {
			d := time.Date(2026, time.Month(11-m), 25, 9, 0, 0, 0, time.UTC)
			if m < 6 {
				f.add(d, kobo.Credit, 700_000_00, "SALARY FLUTTERWAVE TECHNOLOGY SOLUTIONS "+monthName(d))
			} else {
				f.add(d, kobo.Credit, 500_000_00, "SALARY INTERSWITCH LIMITED "+monthName(d))
			}
		}
		r := AnalyzeIncome(f.txns, now, 12)
		if r.Employer != "FLUTTERWAVE TECHNOLOGY SOLUTIONS" || r.Amount != 700_000_00 || r.IncomeSources != 2 || r.MonthlyIncome != 700_000_00 {
			t.Fatalf("report = %+v", r)
		}
	})
	t.Run("Freelance", func(t *testing.T) {
		t.Parallel()
		var f fixture
		f.noise(12)
		amounts := []int64{120_000_00, 340_000_00, 90_000_00, 410_000_00, 260_000_00, 180_000_00}
		for m := 0; m < 12; m++ {
			d := now.AddDate(0, -m, -int(m%5)*3)
			f.add(d, kobo.Credit, amounts[m%len(amounts)], fmt.Sprintf("NIP FRM TECHCABAL MEDIA/INVOICE %d", 1000+m))
			if m%3 == 0 {
				f.add(d.Add(48*time.Hour), kobo.Credit, 75_000_00, "NIP FRM COWRYWISE FINANCIAL/PAYMENT FOR DESIGN")
			}
		}
		r := AnalyzeIncome(f.txns, now, 12)
		if r.Type != "AVG_INCOME" || r.Amount <= 0 || r.Confidence > 0.7 || r.AggregatedMonthlyAverageRegular != 0 || r.IncomeSources != 2 {
			t.Fatalf("irregular income = %+v", r)
		}
	})
	t.Run("NoIncome", func(t *testing.T) {
		t.Parallel()
		var f fixture
		f.noise(12)
		r := AnalyzeIncome(f.txns, now, 12)
		if r.Type != "AVG_INCOME" || r.Amount != 0 || r.IncomeSources != 0 || r.Employer != "" {
			t.Fatalf("friends' transfers counted as income: %+v", r)
		}
	})
	t.Run("ShortHistoryLowersConfidence", func(t *testing.T) {
		t.Parallel()
		var long, short fixture
		long.salary("", 300_000_00, 12, func(d time.Time) string { return "SALARY KUDA MFB " + monthName(d) })
		short.salary("", 300_000_00, 2, func(d time.Time) string { return "SALARY KUDA MFB " + monthName(d) })
		rl, rs := AnalyzeIncome(long.txns, now, 12), AnalyzeIncome(short.txns, now, 12)
		if rs.Type != "INCOME" || rs.Amount != 300_000_00 || rs.Confidence >= rl.Confidence || rs.Confidence > 0.5 {
			t.Fatalf("short %+v vs long %+v", rs.Confidence, rl.Confidence)
		}
	})
	t.Run("ReversedSalaryIgnored", func(t *testing.T) {
		t.Parallel()
		var f fixture
		f.salary("", 250_000_00, 6, func(d time.Time) string { return "SALARY MTN NIGERIA COMMUNICATIONS PLC " + monthName(d) })
		f.add(now.AddDate(0, 0, -10), kobo.Credit, 250_000_00, "REVERSAL: SALARY MTN NIGERIA COMMUNICATIONS PLC")
		f.add(now.AddDate(0, -1, 0), kobo.Credit, 900_000_00, "LOAN DISBURSEMENT CARBON")
		r := AnalyzeIncome(f.txns, now, 12)
		if r.Amount != 250_000_00 || r.IncomeSources != 1 {
			t.Fatalf("report = %+v", r)
		}
	})
	t.Run("MissedMonthsLowerConfidence", func(t *testing.T) {
		t.Parallel()
		var full, gaps fixture
		full.salary("", 200_000_00, 12, func(d time.Time) string { return "SALARY WEMA BANK PLC " + monthName(d) })
		for i, x := range full.txns {
			if i%3 != 1 {
				gaps.txns = append(gaps.txns, x)
			}
		}
		rf, rg := AnalyzeIncome(full.txns, now, 12), AnalyzeIncome(gaps.txns, now, 12)
		if rg.Confidence >= rf.Confidence {
			t.Fatalf("missed months: %.2f, regular: %.2f", rg.Confidence, rf.Confidence)
		}
	})
}

// TestIncomeOnBanksim checks the estimator against the sandbox bank's
// simulated truth: each salaried test user's salary within 5% and the
// employer's name exactly.
func TestIncomeOnBanksim(t *testing.T) {
	t.Parallel()
	to := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, user := range []string{"user_good", "user_multi", "user_otp", "user_question", "user_mfa", "user_chained", "user_reauth", "user_partial"} {
		employer, salary, ok := banksim.ExpectedIncome(user)
		if !ok {
			t.Fatalf("%s has no expected income", user)
		}
		txns := banksim.History(20260101, "gtbank", user, to.AddDate(-1, 0, 0), to)
		r := AnalyzeIncome(txns, to, 12)
		if r.Type != "INCOME" || r.Employer != employer {
			t.Errorf("%s: type %s employer %q, want INCOME %q (%d transactions)", user, r.Type, r.Employer, employer, len(txns))
			continue
		}
		within(t, user+" salary", r.Amount, salary, 5)
		if r.Confidence < 0.8 {
			t.Errorf("%s: confidence %.2f for a steady salary", user, r.Confidence)
		}
	}
	// the freelancer has income, but no salary
	r := AnalyzeIncome(banksim.History(20260101, "gtbank", "user_freelance", to.AddDate(-1, 0, 0), to), to, 12)
	if r.Type != "AVG_INCOME" || r.Amount < 200_000_00 || r.Amount > 600_000_00 {
		t.Errorf("user_freelance: %+v", r)
	}
}

func FuzzPayer(f *testing.F) {
	for _, s := range []string{"SALARY ANDELA NIGERIA LTD JUN 2026", "NIP FRM X/Y", "/", "", "SAL/", "FRM FRM FRM", "12345 JUN26"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _ = Payer(s) })
}

func BenchmarkAnalyzeIncome(b *testing.B) {
	for _, n := range []int{3000, 100_000} {
		txns := banksim.History(1, "gtbank", "user_huge", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if len(txns) > n {
			txns = txns[len(txns)-n:]
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				AnalyzeIncome(txns, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 60)
			}
		})
	}
}
