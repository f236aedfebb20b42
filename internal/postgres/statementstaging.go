package postgres

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) StagedUpload(ctx context.Context, sessionID string) (*kobo.StatementUpload, error) {
	return one(ctx, t, "staged upload", scanUpload, `SELECT `+uploadCols+` FROM statement_uploads
		WHERE session_id = $1 AND status = 'STAGED' ORDER BY created_at DESC LIMIT 1`, sessionID)
}

func (t *tx) DeleteStatementUpload(ctx context.Context, id string) error {
	// the chunks go by ON DELETE CASCADE
	return t.execOne(ctx, "statement upload", `DELETE FROM statement_uploads WHERE id = $1 AND account_id IS NULL`, id)
}

func (t *tx) PruneStagedUploads(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.exec(ctx, `DELETE FROM statement_uploads WHERE id IN (
		SELECT id FROM statement_uploads WHERE status = 'STAGED' AND created_at < $1 LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
