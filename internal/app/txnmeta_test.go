package app_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestTransactionMetaFromRealSources: the meta a provider reports with a
// transaction is stored with it on the first fetch, and a sync that brings
// the row again with other meta re-writes it (a modification, not a
// repeat); rows without meta keep none.
func TestTransactionMetaFromRealSources(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true, OverlapWindow: 30 * 24 * time.Hour})
	ctx := context.Background()
	day := b.clock.Now().Add(-24 * time.Hour)
	pendingMeta := kobo.TxnMeta{kobo.MetaCounterpartyName: "SPAR LTD", kobo.MetaStatus: "Pending"}
	rows := []kobo.BankTransaction{
		{Ref: "c1", Date: day, Type: kobo.Debit, Amount: 1250, Narration: "CARD SPAR", ProviderID: true, Pending: true, Meta: pendingMeta},
		{Ref: "s1", Date: day, Type: kobo.Credit, Amount: 90000, Narration: "SALARY", ProviderID: true},
	}
	b.bank.txns = func(q kobo.TxnQuery) ([]kobo.BankTransaction, error) { return rows, nil }
	cs := b.start(t, kobo.ConsentToken)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	drain(t, b)
	list := func() map[string]kobo.Transaction {
		t.Helper()
		var got []kobo.Transaction
		if err := b.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			got, err = tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: acct.ID, Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		out := map[string]kobo.Transaction{}
		for _, x := range got {
			out[x.ProviderRef] = x
		}
		return out
	}
	got := list()
	if len(got) != 2 || !maps.Equal(got["c1"].Meta, pendingMeta) || got["s1"].Meta != nil {
		t.Fatalf("first fetch: c1 meta %v, s1 meta %v", got["c1"].Meta, got["s1"].Meta)
	}
	// the card payment posts: the bank now names the merchant's category
	// and the booked status, and the sync re-writes the row's meta
	b.clock.Add(time.Hour)
	posted := kobo.TxnMeta{kobo.MetaCounterpartyName: "SPAR LTD", kobo.MetaMerchantCategory: "5411", kobo.MetaStatus: "Booked"}
	rows = []kobo.BankTransaction{
		{Ref: "c1", Date: day, Type: kobo.Debit, Amount: 1250, Narration: "CARD SPAR", ProviderID: true, Meta: posted},
		rows[1],
	}
	if out := fetchJob(t, b, acct.ID, "sync"); out.Code != app.SyncSuccessful {
		t.Fatalf("sync = %+v", out)
	}
	got = list()
	if !maps.Equal(got["c1"].Meta, posted) || got["c1"].Pending || got["s1"].Meta != nil {
		t.Errorf("after the sync: c1 %+v, s1 meta %v", got["c1"], got["s1"].Meta)
	}
	// the same answer again changes nothing
	seq := got["c1"].Seq
	b.clock.Add(time.Hour)
	if out := fetchJob(t, b, acct.ID, "sync"); out.Code != app.SyncSuccessful {
		t.Fatalf("second sync = %+v", out)
	}
	if again := list(); again["c1"].Seq != seq {
		t.Errorf("an identical sync modified the row (seq %d → %d)", seq, again["c1"].Seq)
	}
}
