package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const uploadCols = `id, app_id, live, account_id, customer_id, file_name, file_hash, size, format, bank_code, reference, password,
	status, report, error, created_at, updated_at, session_id`

func scanUpload(s scanner) (*kobo.StatementUpload, error) {
	var u kobo.StatementUpload
	var live int
	var account sql.NullString
	var password, status, report string
	var created, updated int64
	if err := s.Scan(&u.ID, &u.AppID, &live, &account, &u.CustomerID, &u.FileName, &u.FileHash, &u.Size, &u.Format, &u.BankCode,
		&u.Reference, &password, &status, &report, &u.Error, &created, &updated, &u.SessionID); err != nil {
		return nil, err
	}
	u.Live, u.AccountID, u.Password, u.Status = live != 0, account.String, kobo.Sealed(password), kobo.UploadStatus(status)
	if report != "" {
		u.Report = json.RawMessage(report)
	}
	u.CreatedAt, u.UpdatedAt = fromTS(created), fromTS(updated)
	return &u, nil
}

func (t *tx) CreateStatementUpload(ctx context.Context, u *kobo.StatementUpload) error {
	_, err := t.exec(ctx, `INSERT INTO statement_uploads (`+uploadCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.AppID, boolInt(u.Live), nullString(u.AccountID), u.CustomerID, u.FileName, u.FileHash, u.Size, u.Format, u.BankCode,
		u.Reference, string(u.Password), string(u.Status), string(u.Report), u.Error, ts(u.CreatedAt), ts(u.UpdatedAt), u.SessionID)
	return err
}

func (t *tx) StatementUpload(ctx context.Context, id string) (*kobo.StatementUpload, error) {
	return one(ctx, t, "statement upload", scanUpload, `SELECT `+uploadCols+` FROM statement_uploads WHERE id = ?`, id)
}

func (t *tx) StatementUploadByHash(ctx context.Context, appID string, live bool, hash string) (*kobo.StatementUpload, error) {
	return one(ctx, t, "statement upload", scanUpload, `SELECT `+uploadCols+` FROM statement_uploads
		WHERE app_id = ? AND live = ? AND file_hash = ? AND status <> 'FAILED'`, appID, boolInt(live), hash)
}

func (t *tx) UpdateStatementUpload(ctx context.Context, u *kobo.StatementUpload) error {
	return t.execOne(ctx, "statement upload", `UPDATE statement_uploads SET status = ?, format = ?, account_id = ?, customer_id = ?,
		report = ?, error = ?, password = ?, updated_at = ? WHERE id = ?`,
		string(u.Status), u.Format, nullString(u.AccountID), u.CustomerID, string(u.Report), u.Error, string(u.Password), ts(u.UpdatedAt), u.ID)
}

func (t *tx) StatementUploadsByAccount(ctx context.Context, accountID string) ([]*kobo.StatementUpload, error) {
	return many(ctx, t, scanUpload, `SELECT `+uploadCols+` FROM statement_uploads WHERE account_id = ? ORDER BY created_at, id`, accountID)
}

func (t *tx) PutUploadChunk(ctx context.Context, uploadID string, seq int, data []byte) error {
	_, err := t.exec(ctx, `INSERT INTO statement_upload_chunks (upload_id, seq, data) VALUES (?, ?, ?)`, uploadID, seq, data)
	return err
}

// UploadChunks reads one chunk per query, so a 20 MB file is never in
// memory at once.
func (t *tx) UploadChunks(ctx context.Context, uploadID string, fn func([]byte) error) error {
	for seq := 0; ; seq++ {
		var data []byte
		err := t.q.QueryRowContext(ctx, `SELECT data FROM statement_upload_chunks WHERE upload_id = ? AND seq = ?`, uploadID, seq).Scan(&data)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return classify(err)
		}
		if err := fn(data); err != nil {
			return err
		}
	}
}

func (t *tx) DeleteUploadFile(ctx context.Context, uploadID string) error {
	_, err := t.exec(ctx, `DELETE FROM statement_upload_chunks WHERE upload_id = ?`, uploadID)
	return err
}
