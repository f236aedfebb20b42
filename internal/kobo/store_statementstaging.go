package kobo

import (
	"context"
	"time"
)

// StatementStagingStore keeps widget uploads between the customer's
// upload and the partner's code exchange. A staged upload (status
// UploadStaged) belongs to a connect session and has no account: the
// account is made at exchange, as a login's is, so a public key alone
// cannot create accounts. What the customer abandons is pruned.
type StatementStagingStore interface {
	// StagedUpload is the session's staged upload; ENOTFOUND if none.
	StagedUpload(ctx context.Context, sessionID string) (*StatementUpload, error)
	// DeleteStatementUpload deletes an upload that has no account, and
	// its file; ENOTFOUND if there is none such.
	DeleteStatementUpload(ctx context.Context, id string) error
	// PruneStagedUploads deletes staged uploads (and their files) made
	// before t, at most limit of them, and says how many went.
	PruneStagedUploads(ctx context.Context, before time.Time, limit int) (int, error)
}
