package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/kobo"
)

const uploadCols = `id, app_id, live, account_id, customer_id, file_name, file_hash, size, format, bank_code, reference, password,
	status, report, error, created_at, updated_at, session_id`

func scanUpload(s scanner) (*kobo.StatementUpload, error) {
	var u kobo.StatementUpload
	var account *string
	var password, status, report string
	var created, updated time.Time
	if err := s.Scan(&u.ID, &u.AppID, &u.Live, &account, &u.CustomerID, &u.FileName, &u.FileHash, &u.Size, &u.Format, &u.BankCode,
		&u.Reference, &password, &status, &report, &u.Error, &created, &updated, &u.SessionID); err != nil {
		return nil, err
	}
	if account != nil {
		u.AccountID = *account
	}
	u.Password, u.Status = kobo.Sealed(password), kobo.UploadStatus(status)
	if report != "" {
		u.Report = json.RawMessage(report)
	}
	u.CreatedAt, u.UpdatedAt = created.UTC(), updated.UTC()
	return &u, nil
}

func (t *tx) CreateStatementUpload(ctx context.Context, u *kobo.StatementUpload) error {
	_, err := t.exec(ctx, `INSERT INTO statement_uploads (`+uploadCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		u.ID, u.AppID, u.Live, nullString(u.AccountID), u.CustomerID, u.FileName, u.FileHash, u.Size, u.Format, u.BankCode,
		u.Reference, string(u.Password), string(u.Status), string(u.Report), u.Error, utc(u.CreatedAt), utc(u.UpdatedAt), u.SessionID)
	return err
}

func (t *tx) StatementUpload(ctx context.Context, id string) (*kobo.StatementUpload, error) {
	return one(ctx, t, "statement upload", scanUpload, `SELECT `+uploadCols+` FROM statement_uploads WHERE id = $1`, id)
}

func (t *tx) StatementUploadByHash(ctx context.Context, appID string, live bool, hash string) (*kobo.StatementUpload, error) {
	return one(ctx, t, "statement upload", scanUpload, `SELECT `+uploadCols+` FROM statement_uploads
		WHERE app_id = $1 AND live = $2 AND file_hash = $3 AND status <> 'FAILED'`, appID, live, hash)
}

func (t *tx) UpdateStatementUpload(ctx context.Context, u *kobo.StatementUpload) error {
	return t.execOne(ctx, "statement upload", `UPDATE statement_uploads SET status = $1, format = $2, account_id = $3, customer_id = $4,
		report = $5, error = $6, password = $7, updated_at = $8 WHERE id = $9`,
		string(u.Status), u.Format, nullString(u.AccountID), u.CustomerID, string(u.Report), u.Error, string(u.Password), utc(u.UpdatedAt), u.ID)
}

func (t *tx) StatementUploadsByAccount(ctx context.Context, accountID string) ([]*kobo.StatementUpload, error) {
	return many(ctx, t, scanUpload, `SELECT `+uploadCols+` FROM statement_uploads WHERE account_id = $1 ORDER BY created_at, id`, accountID)
}

func (t *tx) PutUploadChunk(ctx context.Context, uploadID string, seq int, data []byte) error {
	_, err := t.exec(ctx, `INSERT INTO statement_upload_chunks (upload_id, seq, data) VALUES ($1, $2, $3)`, uploadID, seq, data)
	return err
}

// UploadChunks reads one chunk per query, so a 20 MB file is never in
// memory at once.
func (t *tx) UploadChunks(ctx context.Context, uploadID string, fn func([]byte) error) error {
	for seq := 0; ; seq++ {
		var data []byte
		err := t.q.QueryRow(ctx, `SELECT data FROM statement_upload_chunks WHERE upload_id = $1 AND seq = $2`, uploadID, seq).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
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
	_, err := t.exec(ctx, `DELETE FROM statement_upload_chunks WHERE upload_id = $1`, uploadID)
	return err
}
