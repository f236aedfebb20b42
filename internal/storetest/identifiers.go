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
