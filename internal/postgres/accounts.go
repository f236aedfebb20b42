package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

const accountCols = `id, app_id, live, customer_id, institution_id, auth_method, provider_ref, name, account_number, fingerprint,
	type, currency, balance, bvn_last4, data_status, retrieved_data, reauth_required, reference, session_id, credentials,
	last_synced_at, next_sync_at, created_at, updated_at`

// accountReadCols adds what the store keeps itself: the transaction
// change counter and count.
const accountReadCols = accountCols + `, txn_seq, txn_count`

func scanAccount(s scanner) (*kobo.Account, error) {
	var a kobo.Account
	var number, status, creds string
	if err := s.Scan(&a.ID, &a.AppID, &a.Live, &a.CustomerID, &a.InstitutionID, &a.AuthMethod, &a.ProviderRef, &a.Name, &number,
		&a.Fingerprint, &a.Type, &a.Currency, &a.Balance, &a.BVNLast4, &status, &a.RetrievedData, &a.ReauthRequired, &a.Reference, &a.SessionID,
		&creds, &a.LastSyncedAt, &a.NextSyncAt, &a.CreatedAt, &a.UpdatedAt, &a.TxnSeq, &a.TxnCount); err != nil {
		return nil, err
	}
	a.AccountNumber, a.DataStatus, a.Credentials = kobo.AccountNumber(number), kobo.DataStatus(status), kobo.Sealed(creds)
	a.LastSyncedAt, a.NextSyncAt = fromPtr(a.LastSyncedAt), fromPtr(a.NextSyncAt)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

func (t *tx) CreateAccount(ctx context.Context, a *kobo.Account) error {
	_, err := t.exec(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
		a.ID, a.AppID, a.Live, a.CustomerID, a.InstitutionID, a.AuthMethod, a.ProviderRef, a.Name, string(a.AccountNumber),
		a.Fingerprint, a.Type, a.Currency, a.Balance, a.BVNLast4, string(a.DataStatus), nonNil(a.RetrievedData),
		a.ReauthRequired, a.Reference, a.SessionID, string(a.Credentials), utcPtr(a.LastSyncedAt), utcPtr(a.NextSyncAt),
		utc(a.CreatedAt), utc(a.UpdatedAt))
	return err
}

func (t *tx) Account(ctx context.Context, id string) (*kobo.Account, error) {
	return one(ctx, t, "account", scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE id = $1`, id)
}

func (t *tx) UpdateAccount(ctx context.Context, a *kobo.Account) error {
	return t.execOne(ctx, "account", `UPDATE accounts SET customer_id = $1, auth_method = $2, provider_ref = $3, name = $4, account_number = $5,
		fingerprint = $6, type = $7, currency = $8, balance = $9, bvn_last4 = $10, data_status = $11, retrieved_data = $12, reauth_required = $13,
		reference = $14, session_id = $15, credentials = $16, last_synced_at = $17, next_sync_at = $18, updated_at = $19 WHERE id = $20`,
		a.CustomerID, a.AuthMethod, a.ProviderRef, a.Name, string(a.AccountNumber), a.Fingerprint, a.Type, a.Currency, a.Balance,
		a.BVNLast4, string(a.DataStatus), nonNil(a.RetrievedData), a.ReauthRequired, a.Reference, a.SessionID,
		string(a.Credentials), utcPtr(a.LastSyncedAt), utcPtr(a.NextSyncAt), utc(a.UpdatedAt), a.ID)
}

func (t *tx) AccountState(ctx context.Context, id string) (*kobo.AccountState, error) {
	return one(ctx, t, "account", func(s scanner) (*kobo.AccountState, error) {
		var a kobo.AccountState
		var status string
		err := s.Scan(&a.ID, &a.AppID, &a.Live, &status, &a.TxnSeq, &a.TxnCount)
		a.DataStatus = kobo.DataStatus(status)
		return &a, err
	}, `SELECT id, app_id, live, data_status, txn_seq, txn_count FROM accounts WHERE id = $1`, id)
}

func (t *tx) AccountsByFingerprint(ctx context.Context, appID string, live bool, fingerprint string) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE app_id = $1 AND live = $2 AND fingerprint = $3 ORDER BY created_at`,
		appID, live, fingerprint)
}

const txnMergeSet = ` ON CONFLICT (account_id, provider_ref) DO UPDATE SET type = excluded.type, amount = excluded.amount,
	narration = excluded.narration, date = excluded.date, balance = excluded.balance, currency = excluded.currency,
	category = excluded.category, seq = excluded.seq, updated_at = excluded.updated_at, removed_at = NULL,
	pending = excluded.pending, provider_id = excluded.provider_id, meta = excluded.meta
	WHERE transactions.pending <> excluded.pending OR transactions.amount <> excluded.amount OR transactions.narration <> excluded.narration OR transactions.date <> excluded.date
	   OR transactions.type <> excluded.type OR transactions.balance IS DISTINCT FROM excluded.balance OR transactions.removed_at IS NOT NULL
	   OR transactions.meta IS DISTINCT FROM excluded.meta
	RETURNING (xmax = 0)`

const txnInsertCols = `account_id, id, provider_ref, seq, created_seq, type, amount, narration, date, balance, currency, category, created_at, updated_at, pending, provider_id, meta`

// InsertTransactions stages rows with COPY into a temporary table and
// merges them with one INSERT ... SELECT ... ON CONFLICT: COPY is
// Postgres's fastest ingest path; the conflict target merges repeats by
// the bank's reference, and RETURNING (xmax = 0) tells added rows from
// modified ones (identical repeats are not touched).
func (t *tx) InsertTransactions(ctx context.Context, accountID string, txns []kobo.Transaction) (kobo.TxnMerge, error) {
	var m kobo.TxnMerge
	if len(txns) == 0 {
		return m, nil
	}
	var seq int64
	if err := t.q.QueryRow(ctx, `SELECT txn_seq FROM accounts WHERE id = $1 FOR UPDATE`, accountID).Scan(&seq); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return m, kobo.Errorf(kobo.ENOTFOUND, "account not found")
		}
		return m, classify(err)
	}
	copier, ok := t.q.(interface {
		CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error)
	})
	collect := func(rows pgx.Rows, err error) error {
		if err != nil {
			return classify(err)
		}
		defer rows.Close()
		for rows.Next() {
			var added bool
			if err := rows.Scan(&added); err != nil {
				return classify(err)
			}
			if added {
				m.Added++
			} else {
				m.Modified++
			}
		}
		return classify(rows.Err())
	}
	if len(txns) < 64 || !ok {
		for _, x := range txns {
			seq++
			err := collect(t.q.Query(ctx, `INSERT INTO transactions (`+txnInsertCols+`) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`+txnMergeSet,
				accountID, x.ID, x.ProviderRef, seq, string(x.Type), x.Amount, x.Narration, utc(x.Date), x.Balance, x.Currency, x.Category, utc(x.CreatedAt), utc(x.UpdatedAt), x.Pending, x.ProviderID, metaJSON(x.Meta)))
			if err != nil {
				return m, err
			}
		}
		return m, t.bumpCounters(ctx, accountID, seq, m)
	}
	if _, err := t.exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS txn_stage (LIKE transactions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
		return m, err
	}
	if _, err := t.exec(ctx, `TRUNCATE txn_stage`); err != nil {
		return m, err
	}
	rows := make([][]any, len(txns))
	for i, x := range txns {
		seq++
		rows[i] = []any{accountID, x.ID, x.ProviderRef, seq, seq, string(x.Type), x.Amount, x.Narration, utc(x.Date), x.Balance,
			x.Currency, x.Category, utc(x.CreatedAt), utc(x.UpdatedAt), x.Pending, x.ProviderID, metaJSON(x.Meta)}
	}
	cols := strings.Split(strings.ReplaceAll(txnInsertCols, " ", ""), ",")
	if _, err := copier.CopyFrom(ctx, pgx.Identifier{"txn_stage"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return m, classify(err)
	}
	if err := collect(t.q.Query(ctx, `INSERT INTO transactions (`+txnInsertCols+`) SELECT `+txnInsertCols+` FROM txn_stage`+txnMergeSet)); err != nil {
		return m, err
	}
	return m, t.bumpCounters(ctx, accountID, seq, m)
}

// bumpCounters keeps the account's count and change counter in step; see
// the SQLite adapter.
func (t *tx) bumpCounters(ctx context.Context, accountID string, seq int64, m kobo.TxnMerge) error {
	if m.Modified > 0 {
		_, err := t.exec(ctx, `UPDATE accounts SET txn_seq = $1,
			txn_count = (SELECT count(*) FROM transactions WHERE account_id = $2 AND removed_at IS NULL) WHERE id = $2`, seq, accountID)
		return err
	}
	_, err := t.exec(ctx, `UPDATE accounts SET txn_seq = $1, txn_count = txn_count + $2 WHERE id = $3`, seq, m.Added, accountID)
	return err
}

func (t *tx) CountTransactions(ctx context.Context, accountID string) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, `SELECT count(*) FROM transactions WHERE account_id = $1 AND removed_at IS NULL`, accountID).Scan(&n)
	return n, classify(err)
}

func (t *tx) CountPostedTransactionsBetween(ctx context.Context, accountID string, from, to time.Time) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, `SELECT count(*) FROM transactions WHERE account_id = $1 AND date >= $2 AND date <= $3 AND removed_at IS NULL AND NOT pending`,
		accountID, utc(from), utc(to)).Scan(&n)
	return n, classify(err)
}

const identityCols = `account_id, full_name, email, phone, gender, dob, bvn, marital_status, address_line1, address_line2,
	state_of_origin, lga_of_origin, created_at, updated_at`

func (t *tx) UpsertIdentity(ctx context.Context, id *kobo.Identity) error {
	_, err := t.exec(ctx, `INSERT INTO identities (`+identityCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (account_id) DO UPDATE SET full_name = excluded.full_name, email = excluded.email, phone = excluded.phone,
		gender = excluded.gender, dob = excluded.dob, bvn = excluded.bvn, marital_status = excluded.marital_status,
		address_line1 = excluded.address_line1, address_line2 = excluded.address_line2, state_of_origin = excluded.state_of_origin,
		lga_of_origin = excluded.lga_of_origin, updated_at = excluded.updated_at`,
		id.AccountID, id.FullName, id.Email, id.Phone, id.Gender, id.DOB, string(id.BVN), id.MaritalStatus, id.AddressLine1,
		id.AddressLine2, id.StateOfOrigin, id.LGAOfOrigin, utc(id.CreatedAt), utc(id.UpdatedAt))
	return err
}

func (t *tx) Identity(ctx context.Context, accountID string) (*kobo.Identity, error) {
	return one(ctx, t, "identity", func(s scanner) (*kobo.Identity, error) {
		var id kobo.Identity
		var bvn string
		if err := s.Scan(&id.AccountID, &id.FullName, &id.Email, &id.Phone, &id.Gender, &id.DOB, &bvn, &id.MaritalStatus,
			&id.AddressLine1, &id.AddressLine2, &id.StateOfOrigin, &id.LGAOfOrigin, &id.CreatedAt, &id.UpdatedAt); err != nil {
			return nil, err
		}
		id.BVN = kobo.BVN(bvn)
		id.CreatedAt, id.UpdatedAt = id.CreatedAt.UTC(), id.UpdatedAt.UTC()
		return &id, nil
	}, `SELECT `+identityCols+` FROM identities WHERE account_id = $1`, accountID)
}
