package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testEnrichments covers enrichment jobs and the category write-back.
func testEnrichments(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "enrich@b.ng").ID)
	acct := NewAccount(t, s, a.ID)
	e1 := &kobo.Enrichment{ID: kobo.NewID(T0), AccountID: acct.ID, AppID: a.ID, Kind: kobo.EnrichInsights, Status: "processing", Args: []byte(`{"v":2}`), CreatedAt: T0}
	e2 := &kobo.Enrichment{ID: kobo.NewID(T0.Add(time.Second)), AccountID: acct.ID, AppID: a.ID, Kind: kobo.EnrichInsights, Status: "processing", CreatedAt: T0.Add(time.Second)}
	e3 := &kobo.Enrichment{ID: kobo.NewID(T0.Add(2 * time.Second)), AccountID: acct.ID, AppID: a.ID, Kind: kobo.EnrichCreditworthy, Status: "processing", CreatedAt: T0}
	update(t, s, func(tx kobo.Tx) error {
		for _, e := range []*kobo.Enrichment{e1, e2, e3} {
			if err := tx.CreateEnrichment(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	done := T0.Add(time.Minute)
	e1.Status, e1.Result, e1.DoneAt = "finished", []byte(`{"ok":true}`), &done
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateEnrichment(ctx, e1) })
	err := s.Update(ctx, func(tx kobo.Tx) error { return tx.UpdateEnrichment(ctx, &kobo.Enrichment{ID: "missing", Status: "x"}) })
	wantCode(t, err, kobo.ENOTFOUND)
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Enrichment(ctx, e1.ID)
		if err != nil {
			return err
		}
		if got.Status != "finished" || string(got.Result) != `{"ok":true}` || string(got.Args) != `{"v":2}` || got.DoneAt == nil || !got.DoneAt.Equal(done) || !got.CreatedAt.Equal(T0) {
			return fmt.Errorf("Enrichment = %+v", got)
		}
		list, err := tx.Enrichments(ctx, acct.ID, kobo.EnrichInsights)
		if err == nil && (len(list) != 2 || list[0].ID != e2.ID || list[1].ID != e1.ID) {
			err = fmt.Errorf("Enrichments = %d, want e2 then e1", len(list))
		}
		_, nerr := tx.Enrichment(ctx, "missing")
		wantCode(t, nerr, kobo.ENOTFOUND)
		return err
	})

	// categories: only changed rows count, and each change moves the
	// history's version
	txns := []kobo.Transaction{
		{ID: "c1", AccountID: acct.ID, ProviderRef: "r1", Type: kobo.Debit, Amount: 100, Narration: "POS", Date: T0, Currency: "NGN", Category: "unknown", CreatedAt: T0, UpdatedAt: T0},
		{ID: "c2", AccountID: acct.ID, ProviderRef: "r2", Type: kobo.Credit, Amount: 200, Narration: "SALARY", Date: T0, Currency: "NGN", Category: "income", CreatedAt: T0, UpdatedAt: T0},
	}
	update(t, s, func(tx kobo.Tx) error { _, err := tx.InsertTransactions(ctx, acct.ID, txns); return err })
	var before int64
	view(t, s, func(tx kobo.Tx) error {
		st, err := tx.AccountState(ctx, acct.ID)
		before = st.TxnSeq
		return err
	})
	update(t, s, func(tx kobo.Tx) error {
		n, err := tx.SetTransactionCategories(ctx, acct.ID, map[string]string{"c1": "online_transactions", "c2": "income", "nope": "x"})
		if err == nil && n != 1 {
			err = fmt.Errorf("SetTransactionCategories changed %d, want 1", n)
		}
		return err
	})
	view(t, s, func(tx kobo.Tx) error {
		rows, err := tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: acct.ID})
		if err != nil {
			return err
		}
		cats := map[string]string{}
		for _, r := range rows {
			cats[r.ID] = r.Category
		}
		if cats["c1"] != "online_transactions" || cats["c2"] != "income" {
			return fmt.Errorf("categories %v", cats)
		}
		st, err := tx.AccountState(ctx, acct.ID)
		if err == nil && st.TxnSeq <= before {
			err = fmt.Errorf("history version %d after a category change, was %d", st.TxnSeq, before)
		}
		ch, err2 := tx.TransactionChanges(ctx, acct.ID, before, 10)
		if err == nil && (err2 != nil || len(ch) != 1 || ch[0].ID != "c1") {
			err = fmt.Errorf("changes since %d: %d rows (%v)", before, len(ch), err2)
		}
		return err
	})
}

// testCustomerAdmin covers /v2/customers' update, list, delete and the
// accounts of a customer.
func testCustomerAdmin(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "custadmin@b.ng").ID)
	var cs []*kobo.Customer
	for i, email := range []string{"ada@b.ng", "bola@b.ng", "chi@b.ng"} {
		at := T0.Add(time.Duration(i) * time.Second)
		c := &kobo.Customer{ID: kobo.NewID(at), AppID: a.ID, Name: "Customer " + email, Email: email, Phone: "0803", IDType: "bvn", IDNumber: "22212345678",
			Address: "12 Allen Ave", CreatedAt: at, UpdatedAt: at}
		if i == 2 {
			c.Kind = "business"
		}
		cs = append(cs, c)
		update(t, s, func(tx kobo.Tx) error { return tx.CreateCustomer(ctx, c) })
	}
	view(t, s, func(tx kobo.Tx) error {
		list, total, err := tx.ListCustomers(ctx, kobo.CustomerFilter{AppID: a.ID, Limit: 2})
		if err == nil && (total != 3 || len(list) != 2 || list[0].ID != cs[2].ID || list[0].Kind != "business" || list[1].Kind != "individual" || list[0].Address != "12 Allen Ave") {
			err = fmt.Errorf("ListCustomers = %d of %d: %+v", len(list), total, list)
		}
		if err != nil {
			return err
		}
		list, total, err = tx.ListCustomers(ctx, kobo.CustomerFilter{AppID: a.ID, Email: "BOLA@b.ng", Limit: 10})
		if err == nil && (total != 1 || len(list) != 1 || list[0].ID != cs[1].ID) {
			err = fmt.Errorf("ListCustomers by email = %d of %d", len(list), total)
		}
		if err != nil {
			return err
		}
		_, total, err = tx.ListCustomers(ctx, kobo.CustomerFilter{AppID: a.ID, Live: true, Limit: 10})
		if err == nil && total != 0 {
			err = fmt.Errorf("live customers: %d", total)
		}
		return err
	})
	c := cs[0]
	c.Phone, c.Address, c.IDNumber, c.UpdatedAt = "0809", "1 Marina", "22299999999", T0.Add(time.Hour)
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateCustomer(ctx, c) })
	acct := NewAccount(t, s, a.ID)
	acct.CustomerID = c.ID
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateAccount(ctx, acct) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.Customer(ctx, c.ID)
		if err == nil && (got.Phone != "0809" || got.Address != "1 Marina" || got.IDNumber != "22299999999" || !got.UpdatedAt.Equal(T0.Add(time.Hour))) {
			err = fmt.Errorf("after update: %+v", got)
		}
		if err != nil {
			return err
		}
		accts, err := tx.AccountsByCustomer(ctx, c.ID)
		if err == nil && (len(accts) != 1 || accts[0].ID != acct.ID) {
			err = fmt.Errorf("AccountsByCustomer = %d", len(accts))
		}
		return err
	})
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteCustomer(ctx, c.ID) })
	wantCode(t, s.Update(ctx, func(tx kobo.Tx) error { return tx.DeleteCustomer(ctx, c.ID) }), kobo.ENOTFOUND)
	wantCode(t, s.Update(ctx, func(tx kobo.Tx) error { return tx.UpdateCustomer(ctx, c) }), kobo.ENOTFOUND)
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.Customer(ctx, c.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		got, err := tx.Account(ctx, acct.ID)
		if err == nil && got.CustomerID != "" {
			err = fmt.Errorf("account still names the deleted customer %q", got.CustomerID)
		}
		return err
	})
}
