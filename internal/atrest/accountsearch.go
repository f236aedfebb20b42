package atrest

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *sealedTx) SearchAccounts(ctx context.Context, f kobo.AccountSearch) ([]*kobo.Account, int, error) {
	list, n, err := t.Tx.SearchAccounts(ctx, f)
	list, err = t.openAccounts(list, err)
	return list, n, err
}
