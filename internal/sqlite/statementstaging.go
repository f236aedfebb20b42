package sqlite

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) StagedUpload(ctx context.Context, sessionID string) (*kobo.StatementUpload, error) {
	return one(ctx, t, "staged upload", scanUpload, `SELECT `+uploadCols+` FROM statement_uploads
		WHERE session_id = ? AND status = 'STAGED' ORDER BY created_at DESC LIMIT 1`, sessionID)
}

func (t *tx) DeleteStatementUpload(ctx context.Context, id string) error {
	// the chunks go by ON DELETE CASCADE
	return t.execOne(ctx, "statement upload", `DELETE FROM statement_uploads WHERE id = ? AND account_id IS NULL`, id)
}

func (t *tx) PruneStagedUploads(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM statement_uploads WHERE id IN (
		SELECT id FROM statement_uploads WHERE status = 'STAGED' AND created_at < ? LIMIT (? + 0))`, ts(before), max(limit, 1))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
