package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// history inserts n transactions one hour apart from T0, alternating
// credits and debits, every fifth one a POS purchase.
func history(t *testing.T, s kobo.Store, accountID string, n int) []kobo.Transaction {
	t.Helper()
	var txns []kobo.Transaction
	for i := 0; i < n; i++ {
		d := T0.Add(time.Duration(i) * time.Hour)
		typ, narr := kobo.Credit, fmt.Sprintf("NIP FRM ADA %d", i)
		if i%2 == 1 {
			typ, narr = kobo.Debit, fmt.Sprintf("NIP/GTB/TUNDE/%d", i)
		}
		if i%5 == 0 {
			typ, narr = kobo.Debit, fmt.Sprintf("POS Purchase SHOPRITE %d", i)
		}
		bal := int64(1000 + i)
		txns = append(txns, kobo.Transaction{ID: fmt.Sprintf("%08x%016d", d.Unix(), i), ProviderRef: fmt.Sprint("r", i), Type: typ, Amount: int64(100 + i),
			Narration: narr, Date: d, Balance: &bal, Currency: "NGN", Category: "transfer", CreatedAt: T0, UpdatedAt: T0})
	}
	update(t, s, func(tx kobo.Tx) error {
		_, err := tx.InsertTransactions(context.Background(), accountID, txns)
		return err
	})
	return txns
}

func testTransactionQueries(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "txq@b.ng").ID)
	acct := NewAccount(t, s, a.ID)
	all := history(t, s, acct.ID, 300)
	list := func(f kobo.TxnFilter) []kobo.Transaction {
		t.Helper()
		f.AccountID = acct.ID
		var out []kobo.Transaction
		view(t, s, func(tx kobo.Tx) error {
			var err error
			out, err = tx.ListTransactions(ctx, f)
			return err
		})
		return out
	}
	count := func(f kobo.TxnFilter) int {
		t.Helper()
		f.AccountID = acct.ID
		var n int
		view(t, s, func(tx kobo.Tx) error {
			var err error
			n, err = tx.CountFiltered(ctx, f)
			return err
		})
		return n
	}
	// newest first, keyset pages chain with no gaps or repeats
	p1 := list(kobo.TxnFilter{Limit: 100})
	if len(p1) != 100 || p1[0].ProviderRef != "r299" || p1[99].ProviderRef != "r200" || p1[0].Balance == nil || *p1[0].Balance != 1299 {
		t.Fatalf("page 1: %d rows, first %s", len(p1), p1[0].ProviderRef)
	}
	p2 := list(kobo.TxnFilter{Limit: 100, After: &kobo.TxnKey{Date: p1[99].Date, ID: p1[99].ID}})
	if len(p2) != 100 || p2[0].ProviderRef != "r199" {
		t.Fatalf("page 2 starts at %s", p2[0].ProviderRef)
	}
	back := list(kobo.TxnFilter{Limit: 100, Before: &kobo.TxnKey{Date: p2[0].Date, ID: p2[0].ID}})
	if len(back) != 100 || back[0].ProviderRef != "r299" || back[99].ProviderRef != "r200" {
		t.Fatalf("previous page: %d rows from %s", len(back), back[0].ProviderRef)
	}
	if off := list(kobo.TxnFilter{Limit: 100, Offset: 100}); off[0].ProviderRef != "r199" {
		t.Fatalf("offset page starts at %s", off[0].ProviderRef)
	}
	asc := list(kobo.TxnFilter{Ascending: true, Limit: 3})
	if asc[0].ProviderRef != "r0" || asc[2].ProviderRef != "r2" {
		t.Fatalf("ascending = %s..%s", asc[0].ProviderRef, asc[2].ProviderRef)
	}
	// filters and counts
	from, to := T0.Add(10*time.Hour), T0.Add(19*time.Hour)
	for _, c := range []struct {
		f    kobo.TxnFilter
		want int
	}{
		{kobo.TxnFilter{}, 300},
		{kobo.TxnFilter{From: &from, To: &to}, 10},
		{kobo.TxnFilter{Type: kobo.Credit}, len(filter(all, func(x kobo.Transaction) bool { return x.Type == kobo.Credit }))},
		{kobo.TxnFilter{Narration: "shoprite"}, 60},
		{kobo.TxnFilter{Narration: "SHOPRITE 1", Type: kobo.Debit}, 22}, // 10, 15, 100, 105 … 195
		{kobo.TxnFilter{Narration: "%_"}, 0},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("CountFiltered(%+v) = %d, want %d", c.f, got, c.want)
		}
		if got := len(list(c.f)); got != c.want {
			t.Errorf("ListTransactions(%+v) = %d rows, want %d", c.f, got, c.want)
		}
	}
	for _, x := range list(kobo.TxnFilter{Narration: "shoprite"}) {
		if !strings.Contains(strings.ToLower(x.Narration), "shoprite") {
			t.Fatalf("narration filter let through %q", x.Narration)
		}
	}

	// changes: nothing after the latest seq; a bank correction is "modified",
	// a row the bank dropped is "removed", a repeat is nothing
	var last int64
	view(t, s, func(tx kobo.Tx) error {
		ch, err := tx.TransactionChanges(ctx, acct.ID, 0, 1000)
		if err == nil && (len(ch) != 300 || ch[0].CreatedSeq != ch[0].Seq) {
			err = fmt.Errorf("changes from 0 = %d", len(ch))
		}
		if err == nil {
			last = ch[len(ch)-1].Seq
		}
		return err
	})
	fixed := all[7]
	fixed.Narration = "NIP/GTB/TUNDE/7 CORRECTED"
	var m kobo.TxnMerge
	update(t, s, func(tx kobo.Tx) error {
		var err error
		m, err = tx.InsertTransactions(ctx, acct.ID, []kobo.Transaction{fixed, all[8]})
		if err != nil {
			return err
		}
		_, err = tx.RemoveTransactions(ctx, acct.ID, []string{"r9", "missing"}, T0.Add(time.Hour))
		return err
	})
	if m.Added != 0 || m.Modified != 1 {
		t.Fatalf("merge of a correction and a repeat = %+v", m)
	}
	view(t, s, func(tx kobo.Tx) error {
		ch, err := tx.TransactionChanges(ctx, acct.ID, last, 100)
		if err != nil {
			return err
		}
		if len(ch) != 2 || ch[0].ProviderRef != "r7" || ch[0].Removed || ch[0].Narration != fixed.Narration || ch[0].CreatedSeq > last ||
			ch[1].ProviderRef != "r9" || !ch[1].Removed {
			return fmt.Errorf("changes after %d = %+v", last, ch)
		}
		return nil
	})
	if got := count(kobo.TxnFilter{}); got != 299 {
		t.Fatalf("count after a removal = %d", got)
	}
	// the bank brings the row back: modified, counted again
	update(t, s, func(tx kobo.Tx) error {
		var err error
		m, err = tx.InsertTransactions(ctx, acct.ID, []kobo.Transaction{all[9]})
		return err
	})
	if m.Modified != 1 || count(kobo.TxnFilter{}) != 300 {
		t.Fatalf("revival = %+v, count %d", m, count(kobo.TxnFilter{}))
	}
	// the account carries the history's version and size: the seq of the
	// latest change, so a cache keyed by it sees every add, change and removal
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Account(ctx, acct.ID)
		if err != nil {
			return err
		}
		ch, err := tx.TransactionChanges(ctx, acct.ID, 0, 1000)
		if err != nil {
			return err
		}
		if got.TxnCount != 300 || got.TxnSeq < ch[len(ch)-1].Seq || got.TxnSeq <= last {
			return fmt.Errorf("account txn count %d seq %d; want 300 and ≥ %d (latest change)", got.TxnCount, got.TxnSeq, ch[len(ch)-1].Seq)
		}
		st, err := tx.AccountState(ctx, acct.ID)
		if err != nil {
			return err
		}
		want := kobo.AccountState{ID: got.ID, AppID: got.AppID, Live: got.Live, DataStatus: got.DataStatus, TxnSeq: got.TxnSeq, TxnCount: got.TxnCount}
		if *st != want {
			return fmt.Errorf("AccountState = %+v, want %+v", *st, want)
		}
		if _, err := tx.AccountState(ctx, "missing"); kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return fmt.Errorf("AccountState of a missing account: %v", err)
		}
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		refs, err := tx.TransactionRefsBetween(ctx, acct.ID, from, to)
		if err == nil && len(refs) != 10 {
			err = fmt.Errorf("refs = %d", len(refs))
		}
		return err
	})

	// monthly totals in Lagos months
	acct2 := NewAccount(t, s, a.ID)
	lagosNewYear := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC) // 00:30 on 1 January in Lagos
	b := int64(0)
	update(t, s, func(tx kobo.Tx) error {
		_, err := tx.InsertTransactions(ctx, acct2.ID, []kobo.Transaction{
			{ID: "a1", ProviderRef: "m1", Type: kobo.Credit, Amount: 500, Date: lagosNewYear, Balance: &b, Currency: "NGN", CreatedAt: T0, UpdatedAt: T0},
			{ID: "a2", ProviderRef: "m2", Type: kobo.Debit, Amount: 200, Date: lagosNewYear.Add(-time.Hour), Balance: &b, Currency: "NGN", CreatedAt: T0, UpdatedAt: T0},
			{ID: "a3", ProviderRef: "m3", Type: kobo.Debit, Amount: 50, Date: lagosNewYear.Add(time.Hour), Balance: &b, Currency: "NGN", CreatedAt: T0, UpdatedAt: T0},
		})
		return err
	})
	view(t, s, func(tx kobo.Tx) error {
		ms, err := tx.MonthlyTotals(ctx, acct2.ID, lagosNewYear.AddDate(0, -1, 0), lagosNewYear.AddDate(0, 1, 0))
		if err != nil {
			return err
		}
		if fmt.Sprint(ms) != "[{2025-12 0 200 0 1} {2026-01 500 50 1 1}]" {
			return fmt.Errorf("MonthlyTotals = %v", ms)
		}
		return nil
	})

	// closing balances: per 24-hour day from the range's start, the newest
	// row's balance (by date, then id); rows without one, removed rows and
	// rows outside the range do not count
	acct3 := NewAccount(t, s, a.ID)
	day0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	bal := func(v int64) *int64 { return &v }
	at := func(d int, h time.Duration) time.Time { return day0.AddDate(0, 0, d).Add(h) }
	rows := []kobo.Transaction{
		{ID: "c1", ProviderRef: "b1", Amount: 1, Date: at(0, time.Hour), Balance: bal(100)},
		{ID: "c2", ProviderRef: "b2", Amount: 1, Date: at(0, 3*time.Hour), Balance: bal(130)},
		{ID: "c3b", ProviderRef: "b3", Amount: 1, Date: at(2, 0), Balance: bal(70)},
		{ID: "c3a", ProviderRef: "b4", Amount: 1, Date: at(2, 0), Balance: bal(60)}, // same instant: the higher id is newer
		{ID: "c4", ProviderRef: "b5", Amount: 1, Date: at(2, 5*time.Hour)},          // no balance
		{ID: "c5", ProviderRef: "b6", Amount: 1, Date: at(3, 23*time.Hour), Balance: bal(55)},
		{ID: "c6", ProviderRef: "b7", Amount: 1, Date: at(3, 23*time.Hour+30*time.Minute), Balance: bal(999)}, // removed below
		{ID: "c7", ProviderRef: "b8", Amount: 1, Date: at(-1, 0), Balance: bal(1)},                            // before the range
		{ID: "c8", ProviderRef: "b9", Amount: 1, Date: at(9, 0), Balance: bal(2)},                             // after it
	}
	for i := range rows {
		rows[i].Type, rows[i].Currency, rows[i].CreatedAt, rows[i].UpdatedAt = kobo.Debit, "NGN", T0, T0
	}
	update(t, s, func(tx kobo.Tx) error {
		if _, err := tx.InsertTransactions(ctx, acct3.ID, rows); err != nil {
			return err
		}
		_, err := tx.RemoveTransactions(ctx, acct3.ID, []string{"b7"}, T0)
		return err
	})
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.ClosingBalances(ctx, acct3.ID, day0, day0.AddDate(0, 0, 5))
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != "[{0 130} {2 70} {3 55}]" {
			return fmt.Errorf("ClosingBalances = %v, want [{0 130} {2 70} {3 55}]", got)
		}
		if none, err := tx.ClosingBalances(ctx, "missing", day0, day0.AddDate(0, 0, 5)); err != nil || len(none) != 0 {
			return fmt.Errorf("ClosingBalances of an unknown account = %v, %v", none, err)
		}
		return nil
	})
}

func filter(xs []kobo.Transaction, keep func(kobo.Transaction) bool) []kobo.Transaction {
	var out []kobo.Transaction
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func testStatementsAndIncome(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "stmt@b.ng").ID)
	acct := NewAccount(t, s, a.ID)
	st := &kobo.Statement{ID: "QEP34KCSynTZgYXQr4e1", AccountID: acct.ID, AppID: a.ID, Status: "BUILDING", Period: "last3months",
		From: T0.AddDate(0, -3, 0), To: T0, CreatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateStatement(ctx, st) })
	built := T0.Add(time.Second)
	st.Status, st.PDF, st.BuiltAt = "BUILT", []byte("%PDF-1.7 ..."), &built
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateStatement(ctx, st) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Statement(ctx, st.ID, false)
		if err == nil && (got.Status != "BUILT" || got.PDF != nil || got.BuiltAt == nil || !got.From.Equal(st.From)) {
			err = fmt.Errorf("Statement = %+v", got)
		}
		if err != nil {
			return err
		}
		got, err = tx.Statement(ctx, st.ID, true)
		if err == nil && string(got.PDF) != "%PDF-1.7 ..." {
			err = fmt.Errorf("PDF = %q", got.PDF)
		}
		return err
	})
	r := &kobo.IncomeRecord{ID: "inc1", AccountID: acct.ID, AppID: a.ID, Status: "PROCESSING", Months: 12, CreatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateIncomeRecord(ctx, r) })
	r.Status, r.Result, r.DoneAt = "COMPLETED", []byte(`{"monthly_income":1}`), &built
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateIncomeRecord(ctx, r) })
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.IncomeRecords(ctx, acct.ID)
		if err == nil && (len(list) != 1 || list[0].Status != "COMPLETED" || string(list[0].Result) != `{"monthly_income":1}` || list[0].DoneAt == nil) {
			err = fmt.Errorf("IncomeRecords = %+v", list)
		}
		return err
	})
	// an upstream's analysis keeps its provider, when kobo asked it, and
	// why it failed
	asked := T0.Add(90 * time.Second)
	up := &kobo.IncomeRecord{ID: "inc2", AccountID: acct.ID, AppID: a.ID, Status: "PROCESSING", Months: 6, CreatedAt: T0.Add(time.Minute), Provider: "mono"}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateIncomeRecord(ctx, up) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.IncomeRecord(ctx, "inc2")
		if err == nil && (got.Provider != "mono" || got.UpstreamAt != nil || got.UpstreamAfter != nil || got.Error != "") {
			err = fmt.Errorf("new upstream record = %+v", got)
		}
		return err
	})
	after := T0.Add(-time.Hour)
	up.UpstreamAt, up.UpstreamAfter = &asked, &after
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateIncomeRecord(ctx, up) })
	up.Status, up.Error, up.DoneAt = "FAILED", "mono never sent the report", &built
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateIncomeRecord(ctx, up) })
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.IncomeRecords(ctx, acct.ID)
		if err == nil && (len(list) != 2 || list[0].ID != "inc2" || list[0].Status != "FAILED" || list[0].Provider != "mono" ||
			list[0].UpstreamAt == nil || !list[0].UpstreamAt.Equal(asked) || list[0].UpstreamAfter == nil || !list[0].UpstreamAfter.Equal(after) ||
			list[0].Error != "mono never sent the report" || list[1].Provider != "" || list[1].UpstreamAt != nil || list[1].UpstreamAfter != nil) {
			err = fmt.Errorf("IncomeRecords = %+v", list)
		}
		return err
	})
	// unlink takes statements and analyses with it
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteAccount(ctx, acct.ID) })
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.Statement(ctx, st.ID, false)
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.IncomeRecord(ctx, "inc1")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
}
