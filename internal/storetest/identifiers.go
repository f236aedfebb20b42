package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testAccountIdentifiers covers an account's identifiers: replaced as a
// set, listed by scheme, one account's never another's, gone with the
// account, and reachable by the sealed-field passes.
func testAccountIdentifiers(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "identifiers@b.ng").ID)
	acct, other := NewAccount(t, s, a.ID), NewAccount(t, s, a.ID)
	ids := []kobo.AccountIdentifier{{Scheme: kobo.SchemeSortCode, Value: "20000012345678"}, {Scheme: kobo.SchemeIBAN, Value: "GB29NWBK60161331926819"}}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.SetAccountIdentifiers(ctx, acct.ID, ids); err != nil {
			return err
		}
		return tx.SetAccountIdentifiers(ctx, other.ID, []kobo.AccountIdentifier{{Scheme: kobo.SchemeIBAN, Value: "DE89370400440532013000"}})
	})
	list := func(id string) string {
		t.Helper()
		var got []kobo.AccountIdentifier
		view(t, s, func(tx kobo.Tx) error {
			var err error
			got, err = tx.AccountIdentifiers(ctx, id)
			return err
		})
		out := ""
		for _, x := range got {
			out += fmt.Sprintf("%s=%s;", x.Scheme, string(x.Value))
		}
		return out
	}
	if got := list(acct.ID); got != "iban=GB29NWBK60161331926819;sort_code_account_number=20000012345678;" {
		t.Errorf("AccountIdentifiers = %s", got)
	}
	view(t, s, func(tx kobo.Tx) error {
		v, err := tx.SealedValues(ctx, kobo.FieldAccountIdent, acct.ID+" iban", 10)
		if err != nil {
			return err
		}
		if len(v) < 1 || v[0].Row != acct.ID+" sort_code_account_number" || v[0].Value != "20000012345678" {
			t.Errorf("SealedValues after %s iban = %+v", acct.ID, v)
		}
		return nil
	})
	// a new set replaces the old one; an empty set clears it
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.SetAccountIdentifiers(ctx, acct.ID, ids[1:]); err != nil {
			return err
		}
		return tx.SetAccountIdentifiers(ctx, other.ID, nil)
	})
	if got := list(acct.ID); got != "iban=GB29NWBK60161331926819;" {
		t.Errorf("after replace = %s", got)
	}
	if got := list(other.ID); got != "" {
		t.Errorf("after clearing = %s", got)
	}
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteAccount(ctx, acct.ID) })
	if got := list(acct.ID); got != "" {
		t.Errorf("a deleted account's identifiers = %s", got)
	}
}

// testRekeyTransaction covers giving a stored row another provider's
// reference: its id and content stay, a merge under the new reference
// finds it, an unknown old reference reports false, and a new reference
// already stored is ECONFLICT.
func testRekeyTransaction(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "rekey@b.ng").ID)
	acct := NewAccount(t, s, a.ID)
	row := func(id, ref string, amount int64) kobo.Transaction {
		return kobo.Transaction{ID: id, AccountID: acct.ID, ProviderRef: ref, Type: kobo.Debit, Amount: amount, Narration: "POS",
			Date: T0, Currency: "NGN", Category: "x", CreatedAt: T0, UpdatedAt: T0}
	}
	update(t, s, func(tx kobo.Tx) error {
		_, err := tx.InsertTransactions(ctx, acct.ID, []kobo.Transaction{row("tx1", "old-1", 500), row("tx2", "old-2", 700)})
		return err
	})
	update(t, s, func(tx kobo.Tx) error {
		if ok, err := tx.RekeyTransaction(ctx, acct.ID, "old-1", "new-1", true); err != nil || !ok {
			return fmt.Errorf("rekey = %v, %v", ok, err)
		}
		if ok, err := tx.RekeyTransaction(ctx, acct.ID, "nope", "new-9", true); err != nil || ok {
			return fmt.Errorf("rekey of an unknown ref = %v, %v", ok, err)
		}
		return nil
	})
	err := s.Update(ctx, func(tx kobo.Tx) error {
		_, err := tx.RekeyTransaction(ctx, acct.ID, "old-2", "new-1", true)
		return err
	})
	wantCode(t, err, kobo.ECONFLICT)
	var m kobo.TxnMerge
	update(t, s, func(tx kobo.Tx) error {
		var err error
		m, err = tx.InsertTransactions(ctx, acct.ID, []kobo.Transaction{row("tx-other-id", "new-1", 500)})
		return err
	})
	if m.Added != 0 {
		t.Errorf("the re-keyed row was added again: %+v", m)
	}
	view(t, s, func(tx kobo.Tx) error {
		rows, err := tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: acct.ID, Limit: 10})
		if err != nil {
			return err
		}
		refs := map[string]string{}
		for _, r := range rows {
			refs[r.ID] = r.ProviderRef
			if r.ID == "tx1" && !r.ProviderID {
				t.Errorf("re-keyed row's provider_id = false")
			}
		}
		if len(rows) != 2 || refs["tx1"] != "new-1" || refs["tx2"] != "old-2" {
			t.Errorf("rows after rekey = %v", refs)
		}
		return nil
	})
}
