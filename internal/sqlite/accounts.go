package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

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
	var live, reauth int
	var number, status, retrieved, creds string
	var lastSync, nextSync sql.NullInt64
	var created, updated int64
	if err := s.Scan(&a.ID, &a.AppID, &live, &a.CustomerID, &a.InstitutionID, &a.AuthMethod, &a.ProviderRef, &a.Name, &number,
		&a.Fingerprint, &a.Type, &a.Currency, &a.Balance, &a.BVNLast4, &status, &retrieved, &reauth, &a.Reference, &a.SessionID,
		&creds, &lastSync, &nextSync, &created, &updated, &a.TxnSeq, &a.TxnCount); err != nil {
		return nil, err
	}
	a.Live, a.ReauthRequired = live != 0, reauth != 0
	a.AccountNumber, a.DataStatus, a.Credentials = kobo.AccountNumber(number), kobo.DataStatus(status), kobo.Sealed(creds)
	if err := json.Unmarshal([]byte(retrieved), &a.RetrievedData); err != nil {
		return nil, err
	}
	a.LastSyncedAt, a.NextSyncAt = fromNullTS(lastSync), fromNullTS(nextSync)
	a.CreatedAt, a.UpdatedAt = fromTS(created), fromTS(updated)
	return &a, nil
}

func retrievedJSON(r []string) string {
	b, _ := json.Marshal(nonNil(r))
	return string(b)
}

func (t *tx) CreateAccount(ctx context.Context, a *kobo.Account) error {
	_, err := t.exec(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.AppID, boolInt(a.Live), a.CustomerID, a.InstitutionID, a.AuthMethod, a.ProviderRef, a.Name, string(a.AccountNumber),
		a.Fingerprint, a.Type, a.Currency, a.Balance, a.BVNLast4, string(a.DataStatus), retrievedJSON(a.RetrievedData),
		boolInt(a.ReauthRequired), a.Reference, a.SessionID, string(a.Credentials), tsPtr(a.LastSyncedAt), tsPtr(a.NextSyncAt),
		ts(a.CreatedAt), ts(a.UpdatedAt))
	return err
}

func (t *tx) Account(ctx context.Context, id string) (*kobo.Account, error) {
	return one(ctx, t, "account", scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE id = ?`, id)
}

func (t *tx) UpdateAccount(ctx context.Context, a *kobo.Account) error {
	return t.execOne(ctx, "account", `UPDATE accounts SET customer_id = ?, auth_method = ?, provider_ref = ?, name = ?, account_number = ?,
		fingerprint = ?, type = ?, currency = ?, balance = ?, bvn_last4 = ?, data_status = ?, retrieved_data = ?, reauth_required = ?,
		reference = ?, session_id = ?, credentials = ?, last_synced_at = ?, next_sync_at = ?, updated_at = ? WHERE id = ?`,
		a.CustomerID, a.AuthMethod, a.ProviderRef, a.Name, string(a.AccountNumber), a.Fingerprint, a.Type, a.Currency, a.Balance,
		a.BVNLast4, string(a.DataStatus), retrievedJSON(a.RetrievedData), boolInt(a.ReauthRequired), a.Reference, a.SessionID,
		string(a.Credentials), tsPtr(a.LastSyncedAt), tsPtr(a.NextSyncAt), ts(a.UpdatedAt), a.ID)
}

func (t *tx) AccountState(ctx context.Context, id string) (*kobo.AccountState, error) {
	return one(ctx, t, "account", func(s scanner) (*kobo.AccountState, error) {
		var a kobo.AccountState
		var live int
		var status string
		err := s.Scan(&a.ID, &a.AppID, &live, &status, &a.TxnSeq, &a.TxnCount)
		a.Live, a.DataStatus = live != 0, kobo.DataStatus(status)
		return &a, err
	}, `SELECT id, app_id, live, data_status, txn_seq, txn_count FROM accounts WHERE id = ?`, id)
}

func (t *tx) AccountsByFingerprint(ctx context.Context, appID string, live bool, fingerprint string) ([]*kobo.Account, error) {
	return many(ctx, t, scanAccount, `SELECT `+accountReadCols+` FROM accounts WHERE app_id = ? AND live = ? AND fingerprint = ? ORDER BY created_at`,
		appID, boolInt(live), fingerprint)
}

// InsertTransactions upserts in chunks of multi-row statements: one
// statement per chunk keeps ingest near SQLite's raw insert rate. The
// conflict target merges repeats by the bank's reference; the WHERE on the
// update leaves identical repeats untouched (no change, no new seq), and
// RETURNING tells added rows (created_seq = seq) from modified ones.
func (t *tx) InsertTransactions(ctx context.Context, accountID string, txns []kobo.Transaction) (kobo.TxnMerge, error) {
	var m kobo.TxnMerge
	if len(txns) == 0 {
		return m, nil
	}
	var seq int64
	if err := t.q.QueryRowContext(ctx, `SELECT txn_seq FROM accounts WHERE id = ?`, accountID).Scan(&seq); err != nil {
		if err == sql.ErrNoRows {
			return m, kobo.Errorf(kobo.ENOTFOUND, "account not found")
		}
		return m, classify(err)
	}
	const cols = 17
	for start, end := 0, 0; start < len(txns); start = end {
		end = start + batchRows(len(txns)-start)
		q := make([]byte, 0, 600+(end-start)*36)
		q = append(q, `INSERT INTO transactions (account_id, id, provider_ref, seq, created_seq, type, amount, narration, date, balance, currency, category, created_at, updated_at, pending, provider_id, meta) VALUES `...)
		args := make([]any, 0, (end-start)*cols)
		for i, x := range txns[start:end] {
			if i > 0 {
				q = append(q, ',')
			}
			q = append(q, "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"...)
			seq++
			var bal any
			if x.Balance != nil {
				bal = *x.Balance
			}
			args = append(args, accountID, x.ID, x.ProviderRef, seq, seq, string(x.Type), x.Amount, x.Narration, ts(x.Date), bal,
				x.Currency, x.Category, ts(x.CreatedAt), ts(x.UpdatedAt), boolInt(x.Pending), boolInt(x.ProviderID), metaJSON(x.Meta))
		}
		q = append(q, ` ON CONFLICT (account_id, provider_ref) DO UPDATE SET type = excluded.type, amount = excluded.amount,
			narration = excluded.narration, date = excluded.date, balance = excluded.balance, currency = excluded.currency,
			category = excluded.category, seq = excluded.seq, updated_at = excluded.updated_at, removed_at = NULL,
			pending = excluded.pending, provider_id = excluded.provider_id, meta = excluded.meta
			WHERE transactions.pending <> excluded.pending OR transactions.amount <> excluded.amount OR transactions.narration <> excluded.narration OR transactions.date <> excluded.date
			   OR transactions.type <> excluded.type OR transactions.balance IS NOT excluded.balance OR transactions.removed_at IS NOT NULL
			   OR transactions.meta IS NOT excluded.meta
			RETURNING created_seq = seq`...)
		rows, err := t.q.QueryContext(ctx, string(q), args...)
		if err != nil {
			return m, classify(err)
		}
		for rows.Next() {
			var added bool
			if err := rows.Scan(&added); err != nil {
				rows.Close()
				return m, classify(err)
			}
			if added {
				m.Added++
			} else {
				m.Modified++
			}
		}
		if err := rows.Close(); err != nil {
			return m, classify(err)
		}
	}
	return m, t.bumpCounters(ctx, accountID, seq, m)
}

// bumpCounters keeps the account's count and change counter in step. A
// modified row may be one the bank brought back after a removal, so the
// count is recomputed then (rare), never guessed.
func (t *tx) bumpCounters(ctx context.Context, accountID string, seq int64, m kobo.TxnMerge) error {
	if m.Modified > 0 {
		_, err := t.exec(ctx, `UPDATE accounts SET txn_seq = ?1,
			txn_count = (SELECT count(*) FROM transactions WHERE account_id = ?2 AND removed_at IS NULL) WHERE id = ?2`, seq, accountID)
		return err
	}
	_, err := t.exec(ctx, `UPDATE accounts SET txn_seq = ?, txn_count = txn_count + ? WHERE id = ?`, seq, m.Added, accountID)
	return err
}

func (t *tx) CountTransactions(ctx context.Context, accountID string) (int, error) {
	var n int
	err := t.q.QueryRowContext(ctx, `SELECT count(*) FROM transactions WHERE account_id = ? AND removed_at IS NULL`, accountID).Scan(&n)
	return n, classify(err)
}

func (t *tx) CountPostedTransactionsBetween(ctx context.Context, accountID string, from, to time.Time) (int, error) {
	var n int
	err := t.q.QueryRowContext(ctx, `SELECT count(*) FROM transactions WHERE account_id = ? AND date >= ? AND date <= ? AND removed_at IS NULL AND pending = 0`,
		accountID, ts(from), ts(to)).Scan(&n)
	return n, classify(err)
}

const identityCols = `account_id, full_name, email, phone, gender, dob, bvn, marital_status, address_line1, address_line2,
	state_of_origin, lga_of_origin, created_at, updated_at`

func (t *tx) UpsertIdentity(ctx context.Context, id *kobo.Identity) error {
	_, err := t.exec(ctx, `INSERT INTO identities (`+identityCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET full_name = excluded.full_name, email = excluded.email, phone = excluded.phone,
		gender = excluded.gender, dob = excluded.dob, bvn = excluded.bvn, marital_status = excluded.marital_status,
		address_line1 = excluded.address_line1, address_line2 = excluded.address_line2, state_of_origin = excluded.state_of_origin,
		lga_of_origin = excluded.lga_of_origin, updated_at = excluded.updated_at`,
		id.AccountID, id.FullName, id.Email, id.Phone, id.Gender, id.DOB, string(id.BVN), id.MaritalStatus, id.AddressLine1,
		id.AddressLine2, id.StateOfOrigin, id.LGAOfOrigin, ts(id.CreatedAt), ts(id.UpdatedAt))
	return err
}

func (t *tx) Identity(ctx context.Context, accountID string) (*kobo.Identity, error) {
	return one(ctx, t, "identity", func(s scanner) (*kobo.Identity, error) {
		var id kobo.Identity
		var bvn string
		var created, updated int64
		if err := s.Scan(&id.AccountID, &id.FullName, &id.Email, &id.Phone, &id.Gender, &id.DOB, &bvn, &id.MaritalStatus,
			&id.AddressLine1, &id.AddressLine2, &id.StateOfOrigin, &id.LGAOfOrigin, &created, &updated); err != nil {
			return nil, err
		}
		id.BVN = kobo.BVN(bvn)
		id.CreatedAt, id.UpdatedAt = fromTS(created), fromTS(updated)
		return &id, nil
	}, `SELECT `+identityCols+` FROM identities WHERE account_id = ?`, accountID)
}
