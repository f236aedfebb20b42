package storetest

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testTransactionMeta covers a transaction's meta: stored and read back
// on both write paths (row by row and, on Postgres, the bulk one), absent
// stays nil, an identical repeat changes nothing, and a repeat that brings
// other meta (or none) re-writes it as a modification the sync cursor sees.
func testTransactionMeta(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "txnmeta@b.ng").ID)
	for _, n := range []int{3, 70} { // Postgres merges 64 rows and more through COPY
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			acct := NewAccount(t, s, a.ID)
			rows := make([]kobo.Transaction, n)
			for i := range rows {
				rows[i] = kobo.Transaction{ID: kobo.NewID(T0), AccountID: acct.ID, ProviderRef: fmt.Sprintf("ref-%03d", i), Type: kobo.Debit,
					Amount: int64(100 + i), Narration: "CARD PAYMENT", Date: T0.Add(time.Duration(i) * time.Minute), Currency: "GBP",
					Category: "unknown", CreatedAt: T0, UpdatedAt: T0, ProviderID: true}
				if i%2 == 0 {
					rows[i].Meta = kobo.TxnMeta{kobo.MetaCounterpartyName: fmt.Sprintf("Shop %d", i), kobo.MetaMerchantCategory: "5411",
						kobo.MetaCounterpartyLast4: "6819", kobo.MetaRemittance: `{"reference":"RF18 5390 0754 7034"}`}
				}
			}
			merge := func(rows []kobo.Transaction) kobo.TxnMerge {
				t.Helper()
				var m kobo.TxnMerge
				update(t, s, func(tx kobo.Tx) error {
					var err error
					m, err = tx.InsertTransactions(ctx, acct.ID, rows)
					return err
				})
				return m
			}
			stored := func() map[string]kobo.Transaction {
				t.Helper()
				out := map[string]kobo.Transaction{}
				view(t, s, func(tx kobo.Tx) error {
					list, err := tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: acct.ID})
					for _, x := range list {
						out[x.ProviderRef] = x
					}
					return err
				})
				return out
			}
			if m := merge(rows); m.Added != n || m.Modified != 0 {
				t.Fatalf("first merge = %+v", m)
			}
			got := stored()
			for _, r := range rows {
				g := got[r.ProviderRef]
				if !maps.Equal(g.Meta, r.Meta) || (r.Meta == nil) != (g.Meta == nil) {
					t.Fatalf("%s: meta = %v, want %v", r.ProviderRef, g.Meta, r.Meta)
				}
			}
			if m := merge(rows); m.Added != 0 || m.Modified != 0 {
				t.Errorf("identical repeat = %+v, want nothing changed", m)
			}
			var seq int64
			view(t, s, func(tx kobo.Tx) error {
				st, err := tx.AccountState(ctx, acct.ID)
				if st != nil {
					seq = st.TxnSeq
				}
				return err
			})
			// the bank brings row 0 with more detail, row 2 with none, and
			// row 1 (without meta before) with some
			again := []kobo.Transaction{rows[0], rows[1], rows[2]}
			again[0].Meta = maps.Clone(rows[0].Meta)
			again[0].Meta[kobo.MetaEndToEndID] = "E2E-0001"
			again[1].Meta = kobo.TxnMeta{kobo.MetaEntryReference: "ENTRY-1"}
			again[2].Meta = nil
			if m := merge(again); m.Added != 0 || m.Modified != 3 {
				t.Errorf("repeat with new meta = %+v, want 3 modified", m)
			}
			got = stored()
			for _, r := range again {
				if g := got[r.ProviderRef]; !maps.Equal(g.Meta, r.Meta) {
					t.Errorf("%s after the repeat: meta = %v, want %v", r.ProviderRef, g.Meta, r.Meta)
				}
			}
			var changes []kobo.Transaction
			view(t, s, func(tx kobo.Tx) error {
				var err error
				changes, err = tx.TransactionChanges(ctx, acct.ID, seq, 10)
				return err
			})
			if len(changes) != 3 {
				t.Fatalf("changes after the repeat = %d, want 3", len(changes))
			}
			for _, c := range changes {
				want := map[string]kobo.TxnMeta{again[0].ProviderRef: again[0].Meta, again[1].ProviderRef: again[1].Meta, again[2].ProviderRef: nil}[c.ProviderRef]
				if !maps.Equal(c.Meta, want) {
					t.Errorf("change %s: meta = %v, want %v", c.ProviderRef, c.Meta, want)
				}
			}
		})
	}
}
