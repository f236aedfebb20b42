package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func testAccountsByProviderRef(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "pref@b.ng").ID)
	other := NewApp(t, s, NewPartner(t, s, "pref2@b.ng").ID)
	mine := NewAccount(t, s, a.ID) // provider ref "bank-acct-1"
	NewAccount(t, s, other.ID)     // the same ref in another app
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.AccountsByProviderRef(ctx, a.ID, "bank-acct-1")
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].ID != mine.ID || got[0].AccountNumber != "0123456789" {
			return fmt.Errorf("AccountsByProviderRef = %+v", got)
		}
		none, err := tx.AccountsByProviderRef(ctx, a.ID, "someone-else")
		if err == nil && len(none) != 0 {
			err = fmt.Errorf("an unknown ref found %d accounts", len(none))
		}
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteAccount(ctx, mine.ID) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.AccountsByProviderRef(ctx, a.ID, "bank-acct-1")
		if err == nil && len(got) != 0 {
			err = fmt.Errorf("an unlinked account is still found: %+v", got)
		}
		return err
	})
}
