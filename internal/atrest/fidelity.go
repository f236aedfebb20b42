package atrest

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// The customer administration of /v2/customers reads and writes the same
// sealed fields as CreateCustomer; the enrichment store holds nothing
// personal and passes through.

func (t *sealedTx) UpdateCustomer(ctx context.Context, c *kobo.Customer) error {
	cc := *c
	if err := t.sealAll(c.ID, customerFields(&cc)); err != nil {
		return err
	}
	return t.Tx.UpdateCustomer(ctx, &cc)
}

func (t *sealedTx) ListCustomers(ctx context.Context, f kobo.CustomerFilter) ([]*kobo.Customer, int, error) {
	list, n, err := t.Tx.ListCustomers(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	for _, c := range list {
		if err := t.openAll(c.ID, customerFields(c)); err != nil {
			return nil, 0, err
		}
	}
	return list, n, nil
}

func (t *sealedTx) AccountsByCustomer(ctx context.Context, customerID string) ([]*kobo.Account, error) {
	return t.openAccounts(t.Tx.AccountsByCustomer(ctx, customerID))
}
