// Package statementimport turns a customer's own bank statement file (PDF,
// CSV, XLSX, ISO 20022 camt.053/camt.052, OFX/QFX, SWIFT MT940/MT942 and
// MyBankStatement JSON) into rows kobo can store, and checks whether the
// statement is internally consistent (authenticity).
//
// It owns the file formats and bank layouts only: one Parser per format,
// bank layouts as data tables, and the checks. It knows nothing about
// accounts, apps or storage; the statement provider above it does.
//
// PDF statements (pdf*.go, layouts in layouts.go) are read in pure Go:
// github.com/pdfcpu/pdfcpu decrypts locked files (RC4, AES-128, AES-256)
// and repairs damaged ones, and github.com/ledongthuc/pdf (a maintained
// fork of rsc.io/pdf) reads objects and tokenises content streams, over
// which pdftext.go runs its own text state machine for glyph positions.
// The transaction table is found by header words and read by column
// x-positions, so a bank is a row of data, not code.
package statementimport

import (
	"context"
	"errors"
	"io"
	"time"
)

// Format names a statement file format, as the upload report shows it.
type Format string

const (
	FormatPDF     Format = "pdf"
	FormatCSV     Format = "csv"
	FormatXLSX    Format = "xlsx"
	FormatCamt053 Format = "camt053"
	FormatCamt052 Format = "camt052"
	FormatOFX     Format = "ofx"
	FormatMT940   Format = "mt940"
	FormatMBS     Format = "mbs"
)

// Row is one statement line. Exactly one of Debit and Credit is non-zero
// for a transaction; both are positive minor units (kobo for NGN).
type Row struct {
	Date      time.Time // booking/transaction date, UTC
	ValueDate time.Time // zero when the statement has none
	Narration string
	Reference string // the bank's reference or transaction id, when printed
	Debit     int64
	Credit    int64
	Balance   *int64 // running balance after the row, when printed
	Page      int    // 1-based page (PDF) or sheet, 0 when not meaningful
	Line      int    // 1-based line/row number in the source, for check details
}

// Totals are amounts the statement prints about itself.
type Totals struct {
	Debits  *int64
	Credits *int64
}

// PDFInfo is what the PDF says about itself, for the authenticity checks.
type PDFInfo struct {
	Producer           string
	Creator            string
	Created            time.Time
	Modified           time.Time
	Encrypted          bool
	IncrementalUpdates int // revisions appended after the first %%EOF
	// AmountFonts lists the distinct fonts used for text in amount columns.
	AmountFonts []string
}

// Statement is a parsed statement file.
type Statement struct {
	Format        Format
	BankName      string // as printed on the statement, when found
	BankCode      string // CBN/NIP code when known (from the layout or the hint)
	AccountNumber string
	AccountName   string
	Currency      string // ISO 4217; "NGN" when the file says nothing
	PeriodStart   time.Time
	PeriodEnd     time.Time
	Opening       *int64 // opening balance (balance B/F) in minor units
	Closing       *int64 // closing balance in minor units
	Printed       Totals // totals printed on the statement, when present
	Rows          []Row  // oldest first
	PDF           *PDFInfo
	Layout        string // the layout profile that matched (e.g. "gtbank"), when any
	// ClosingDate is the day the closing balance is struck at, when the
	// file says (camt's CLBD date): entries value-dated after it are not
	// in the closing balance.
	ClosingDate time.Time
	// NewestFirst is set by Reader.Stream when it handed the rows over
	// newest first, as the file prints them, where Read would have kept
	// them oldest first.
	NewestFirst bool
	// ChosenBankCode is the bank the customer chose (Options.BankCode),
	// set by Reader.Read; parsers leave it alone.
	ChosenBankCode string
}

// Options are the caller's hints for a parse.
type Options struct {
	Password string // user password of a locked PDF
	BankCode string // the bank the customer chose, when any
	MaxRows  int    // refuse files with more rows than this (0: a default)
}

// Parser reads one format.
type Parser interface {
	Format() Format
	// Sniff reports whether head (the first bytes of the file) and the
	// file name look like this format.
	Sniff(head []byte, name string) bool
	// Parse reads the whole file. r is positioned reads over size bytes
	// (a temp file), so no parser needs the file in memory.
	Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Statement, error)
}

// Errors a parse returns; callers map them to 4xx answers.
var (
	ErrPasswordRequired = errors.New("the PDF is locked: a password is needed to open it")
	ErrWrongPassword    = errors.New("the password does not open this PDF")
	ErrUnknownFormat    = errors.New("the file is not a statement format kobo reads (PDF, CSV, XLSX, camt.053/052, OFX/QFX, MT940/MT942, MyBankStatement JSON)")
	ErrTooLarge         = errors.New("the file expands past the size kobo accepts")
)

// LayoutError says a file of a known format held no statement kobo could
// read; Found names what was found, for the customer and the partner.
type LayoutError struct {
	Format Format
	Found  string // e.g. "no table with date, amount and balance columns on any page"
}

func (e *LayoutError) Error() string { return string(e.Format) + ": " + e.Found }
