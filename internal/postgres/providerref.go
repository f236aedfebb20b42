package postgres

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) AccountsByProviderRef(ctx context.Context, appID, ref string) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE app_id = $1 AND provider_ref = $2 ORDER BY created_at`, appID, ref)
}
