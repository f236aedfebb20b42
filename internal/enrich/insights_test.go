package enrich

import (
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func txn(date string, typ kobo.TxnType, amount, balance int64, narration string) kobo.Transaction {
	d, _ := time.ParseInLocation("2006-01-02 15:04", date, lagos)
	return kobo.Transaction{ID: date + narration, Type: typ, Amount: amount, Balance: &balance, Narration: narration, Date: d.UTC()}
}

func TestStatementInsights(t *testing.T) {
	rows := []kobo.Transaction{
		txn("2026-01-25 09:00", kobo.Credit, 100_000_00, 110_000_00, "SALARY ACME LTD JAN"),
		txn("2026-01-26 10:00", kobo.Debit, 60_000_00, 50_000_00, "NIP/GTB/ADA OBI/RENT"),
		txn("2026-02-25 09:00", kobo.Credit, 100_000_00, 150_000_00, "SALARY ACME LTD FEB"),
		txn("2026-02-27 10:00", kobo.Debit, 5_000_00, 145_000_00, "POS PURCHASE SHOPRITE IKEJA LAGOS NG"),
		txn("2026-03-03 10:00", kobo.Credit, 7_000_00, 152_000_00, "NIP FRM BOLA/REFUND"),
		txn("2026-03-03 18:00", kobo.Debit, 7_000_00, 145_000_00, "NIP/ZENITH/CHI/LOAN"),
		txn("2026-03-25 09:00", kobo.Credit, 100_000_00, 245_000_00, "SALARY ACME LTD MAR"),
	}
	in := StatementInsights("acc1", rows)
	s := in.Insights
	if s.StartDate != "2026-01-25" || s.EndDate != "2026-03-25" || s.TransactionLength != 60 || s.TransactionCount != 7 {
		t.Fatalf("period: %+v", s)
	}
	sum := s.AccountSummary
	if sum.OpeningBalance != 10_000_00 || sum.ClosingBalance != 245_000_00 || sum.OverallCredits != 307_000_00 || sum.OverallDebits != 72_000_00 ||
		sum.NumberOfCreditTransaction != 4 || sum.NumberOfDebitTransaction != 3 || s.BalanceAfterExpense != 235_000_00 || sum.DebitToCreditRatio != 0.23 {
		t.Fatalf("summary: %+v", sum)
	}
	if sum.TotalRecurringCredits != 300_000_00 || len(in.RecurringTransactions) != 1 || in.RecurringTransactions[0].Months != 3 {
		t.Fatalf("recurring: %d %+v", sum.TotalRecurringCredits, in.RecurringTransactions)
	}
	a := s.ActivityInsights
	if !a.ImmediateLargeWithdrawalPostPayday || !a.IdenticalDebitVsCredit || a.CashDepositsLargerThanSalary {
		t.Fatalf("flags: %+v", a)
	}
	if len(in.TransactionDetails.HighestDebits) != 3 || in.TransactionDetails.HighestDebits[0].Amount != 60_000_00 {
		t.Fatalf("highest debits: %+v", in.TransactionDetails.HighestDebits)
	}
	if ms := in.Inflow.AllTransaction.MonthlySum; len(ms) != 3 || ms[2]["2026-03"] != 107_000_00 || in.Inflow.AllTransaction.AveragePerMonth.SinceFirstTransaction != 307_000_00/3 {
		t.Fatalf("inflow: %+v", in.Inflow)
	}
	// the average end-of-day balance lies between the lowest and highest
	if sum.AverageBalance < 50_000_00 || sum.AverageBalance > 245_000_00 {
		t.Fatalf("average balance %d", sum.AverageBalance)
	}
	if e := StatementInsights("acc1", nil); e.Insights.TransactionCount != 0 || e.RecurringTransactions == nil {
		t.Fatalf("empty: %+v", e)
	}
}

func TestTransactionMetadata(t *testing.T) {
	for _, c := range []struct {
		narration string
		typ       kobo.TxnType
		want      Metadata
	}{
		{"SMS ALERT CHARGES MAR 2026", kobo.Debit, Metadata{Category: BankCharges, Channel: "N/A", Payee: "N/A", PaymentMethod: "N/A", RefNum: "N/A", PaymentProcessor: "N/A", Location: "N/A", Reason: "SMS alert fee"}},
		{"NIP/GTB/ADA OBI/RENT", kobo.Debit, Metadata{Category: Transfer, Channel: "NIP", Payee: "ADA OBI", PaymentMethod: "N/A", RefNum: "N/A", PaymentProcessor: "N/A", Location: "N/A"}},
		{"POS PURCHASE SHOPRITE IKEJA LAGOS NG", kobo.Debit, Metadata{Category: OnlineTransactions, Channel: "POS", Payee: "N/A", PaymentMethod: "N/A", RefNum: "N/A", PaymentProcessor: "N/A", Location: "Ikeja"}},
		{"WEB PURCHASE PAYSTACK *CHOWDECK REF 0000ABC123456789", kobo.Debit, Metadata{Category: OnlineTransactions, Channel: "WEB", Payee: "N/A", PaymentMethod: "Paystack", RefNum: "0000ABC123456789", PaymentProcessor: "Paystack", Location: "N/A"}},
	} {
		if got := TransactionMetadata(kobo.Transaction{Narration: c.narration, Type: c.typ, Amount: 100}); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.narration, got, c.want)
		}
	}
}

func TestAfford(t *testing.T) {
	// ₦450,000 income, ₦380,000 spent of which ₦30,000 repays a loan:
	// ₦100,000 left for debt; a ₦200,000 loan at 4%/month over 6 months
	// costs ₦38,152 a month
	a := Afford(200_000_00, 4, 6, 450_000_00, 380_000_00, 30_000_00)
	if a.MonthlyPayment != 38_152_38 || a.NetDisposableIncome != 100_000_00 || a.DebtService != 68_152_38 || a.DSCR != 1.47 || a.Risk != "low" || !a.CanAfford {
		t.Fatalf("%+v", a)
	}
	if b := Afford(2_000_000_00, 4, 6, 450_000_00, 380_000_00, 30_000_00); b.CanAfford || b.Risk != "critical" {
		t.Fatalf("a loan ten times bigger: %+v", b)
	}
	if c := Afford(120_000_00, 0, 12, 100_000_00, 0, 0); c.MonthlyPayment != 10_000_00 || c.DSCR != 10 {
		t.Fatalf("no interest: %+v", c)
	}
}
