package kobo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"time"
)

// AuthStatementUpload is the auth method of an account built from
// statement files the customer uploaded rather than from a bank login.
const AuthStatementUpload = "statement_upload"

// StatementProvider names the catalog entry kind served by uploads.
const StatementProvider = "statement"

// StatementReader reads a customer's statement file (the statement
// provider; the rest of kobo does not know which formats exist). r is
// positioned reads over size bytes, so no reader needs the file in memory.
//
// Errors: *Error EINVALID for a locked PDF without the right password and
// for files that are no statement format; ETOOLARGE for files that expand
// past the limits; *StatementUnreadable for a known format whose content
// held no statement.
type StatementReader interface {
	Read(ctx context.Context, r io.ReaderAt, size int64, name string, opts StatementReadOptions) (*ParsedStatement, error)
}

// StatementReadOptions are the customer's hints for a read.
type StatementReadOptions struct {
	Password Secret
	BankCode string
	MaxRows  int
	// Stream, when set, takes each row as it is read, in file order
	// (oldest or newest first, as the file prints them), and the
	// ParsedStatement has no Rows: a reader that can stream then never
	// holds the rows at once. Rows may have been handed over before a
	// later one proves the file bad: a caller that must write nothing for
	// a bad file writes only after Read returns.
	Stream func(StatementRow) error
	// NoChecks skips the authenticity checks (a stored upload read again
	// to merge it: its checks are already on its report), so a streamed
	// read keeps nothing per row.
	NoChecks bool
}

// ParsedStatement is a statement file read and checked.
type ParsedStatement struct {
	Format        string // pdf, csv, xlsx, camt053, camt052, ofx, mt940, mbs
	Layout        string
	BankName      string
	BankCode      string
	AccountNumber string
	AccountName   string
	Currency      string
	PeriodStart   time.Time // zero when the file states none
	PeriodEnd     time.Time
	Opening       *int64
	Closing       *int64
	// Rows yields the rows, oldest first (RowCount of them; First and
	// Last are the ends, zero when there are none). An iterator, not a
	// slice: the reader converts each row as it is asked for, so a 20 MB
	// export's 300,000 rows are never held twice.
	Rows        iter.Seq[StatementRow]
	RowCount    int
	First, Last StatementRow
	Checks      []StatementCheck
	Verdict     string // consistent, suspicious, unverifiable
	Reasons     []string
}

// StatementRow is one transaction line of a statement.
type StatementRow struct {
	Date      time.Time
	Type      TxnType
	Amount    int64 // positive minor units
	Balance   *int64
	Narration string
	Reference string
}

// StatementCheck is one authenticity check's result.
type StatementCheck struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// StatementUnreadable says a file of a known format held no statement;
// Found names what was there.
type StatementUnreadable struct {
	Format string
	Found  string
}

func (e *StatementUnreadable) Error() string {
	return fmt.Sprintf("the %s file holds no statement kobo can read: %s", e.Format, e.Found)
}

// UploadStatus is where a statement upload is.
type UploadStatus string

const (
	// UploadStaged is a widget upload the customer has not finished: read
	// and stored, but no account exists until the partner exchanges the
	// session's code (StatementStagingStore).
	UploadStaged     UploadStatus = "STAGED"
	UploadProcessing UploadStatus = "PROCESSING"
	UploadAvailable  UploadStatus = "AVAILABLE"
	UploadFailed     UploadStatus = "FAILED"
)

// StatementUpload is one statement file a partner uploaded. Its file
// lives in the database in chunks (so every replica's jobs can read it and
// unlink deletes it with the account); Report is the parse summary the
// status endpoint shows, rendered once when parsing ends.
type StatementUpload struct {
	ID         string
	AppID      string
	Live       bool
	AccountID  string // empty when the upload failed before an account was made, or is staged
	SessionID  string // the connect session a widget upload was made in
	CustomerID string
	FileName   string
	FileHash   string // SHA-256 of the bytes, hex: the same file twice is refused
	Size       int64
	Format     string
	BankCode   string // the customer's choice, when given
	Reference  string
	Password   Sealed // a locked PDF's password, sealed; cleared once parsed
	Status     UploadStatus
	Report     json.RawMessage
	Error      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// StatementUploadStore keeps uploads and their files.
type StatementUploadStore interface {
	// CreateStatementUpload inserts u. ECONFLICT when the app already has
	// an upload of the same file (same hash, same mode) that did not fail.
	CreateStatementUpload(ctx context.Context, u *StatementUpload) error
	// StatementUpload returns ENOTFOUND if missing.
	StatementUpload(ctx context.Context, id string) (*StatementUpload, error)
	// StatementUploadByHash finds the app's upload of a file that did not
	// fail; ENOTFOUND if none.
	StatementUploadByHash(ctx context.Context, appID string, live bool, hash string) (*StatementUpload, error)
	// UpdateStatementUpload writes status, format, account, report, error,
	// password and updated_at. ENOTFOUND if missing.
	UpdateStatementUpload(ctx context.Context, u *StatementUpload) error
	// StatementUploadsByAccount lists an account's uploads, oldest first.
	StatementUploadsByAccount(ctx context.Context, accountID string) ([]*StatementUpload, error)
	// PutUploadChunk stores piece seq (0-based) of an upload's file.
	PutUploadChunk(ctx context.Context, uploadID string, seq int, data []byte) error
	// UploadChunks calls fn with the file's pieces in order.
	UploadChunks(ctx context.Context, uploadID string, fn func(data []byte) error) error
	// DeleteUploadFile drops an upload's file (the report stays).
	DeleteUploadFile(ctx context.Context, uploadID string) error
}
