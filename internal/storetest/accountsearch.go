package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testSearchAccounts: text matches name, reference, id and the customer's
// name or email, case-insensitively and literally (no LIKE wildcards);
// status, institution and customer filter; pages count every match.
func testSearchAccounts(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "search@b.ng").ID)
	other := NewApp(t, s, NewPartner(t, s, "search2@b.ng").ID)
	cust := &kobo.Customer{ID: "cust-s1", AppID: a.ID, Name: "Chioma Eze", Email: "chioma@eze.ng", CreatedAt: T0, UpdatedAt: T0}
	mk := func(id, appID, name, ref, inst, customer string, st kobo.DataStatus, i int) *kobo.Account {
		return &kobo.Account{ID: id, AppID: appID, InstitutionID: inst, AuthMethod: kobo.InternetBanking, ProviderRef: "p" + id, Name: name, AccountNumber: "0123456789",
			Fingerprint: "fp" + id, Type: "SAVINGS", Currency: "NGN", DataStatus: st, Reference: ref, CustomerID: customer,
			CreatedAt: T0.Add(time.Duration(i) * time.Minute), UpdatedAt: T0}
	}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.CreateCustomer(ctx, cust); err != nil {
			return err
		}
		for _, x := range []*kobo.Account{
			mk("sa1", a.ID, "ADA OBI", "loan-42", "gtb", "", kobo.DataAvailable, 1),
			mk("sa2", a.ID, "BOLA ADE", "loan_43", "zenith", "cust-s1", kobo.DataPartial, 2),
			mk("sa3", a.ID, "ADA 100% SAVINGS", "x", "gtb", "", kobo.DataPartial, 3),
			mk("sa4", other.ID, "ADA OBI", "loan-42", "gtb", "", kobo.DataAvailable, 4),
		} {
			if err := tx.CreateAccount(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(f kobo.AccountSearch) string {
		f.AppID = a.ID
		if f.Limit == 0 {
			f.Limit = 10
		}
		var out []string
		var total int
		view(t, s, func(tx kobo.Tx) error {
			list, n, err := tx.SearchAccounts(ctx, f)
			for _, x := range list {
				out = append(out, x.ID)
			}
			total = n
			return err
		})
		return fmt.Sprintf("%s/%d", strings.Join(out, ","), total)
	}
	for _, c := range []struct {
		f    kobo.AccountSearch
		want string
	}{
		{kobo.AccountSearch{}, "sa3,sa2,sa1/3"},
		{kobo.AccountSearch{Text: "ada"}, "sa3,sa1/2"},
		{kobo.AccountSearch{Text: "obi"}, "sa1/1"},
		{kobo.AccountSearch{Text: "LOAN-42"}, "sa1/1"},
		{kobo.AccountSearch{Text: "loan_"}, "sa2/1"}, // _ is literal
		{kobo.AccountSearch{Text: "100%"}, "sa3/1"},  // % is literal
		{kobo.AccountSearch{Text: "chioma@eze"}, "sa2/1"},
		{kobo.AccountSearch{Text: "sa1"}, "sa1/1"},
		{kobo.AccountSearch{Status: kobo.DataPartial}, "sa3,sa2/2"},
		{kobo.AccountSearch{InstitutionID: "gtb", Text: "ada"}, "sa3,sa1/2"},
		{kobo.AccountSearch{Limit: 1, Offset: 1}, "sa2/3"},
		{kobo.AccountSearch{CustomerID: "cust-s1"}, "sa2/1"},
		{kobo.AccountSearch{CustomerID: "cust-s"}, "/0"}, // exact, not a substring
		{kobo.AccountSearch{Live: true}, "/0"},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("SearchAccounts(%+v) = %s, want %s", c.f, got, c.want)
		}
	}
}
