// Package statement is kobo's statement provider: it reads the statement
// files customers upload (through internal/statementimport, which owns the
// formats, bank layouts and authenticity checks) and answers in kobo's
// domain types, so the use cases above never know which format a row came
// from. It implements kobo.StatementReader and supplies the catalog entry
// for banks kobo has no login for ("Any bank — upload a statement").
package statement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/statementimport"
)

// Reader implements kobo.StatementReader.
type Reader struct {
	rd statementimport.Reader
}

// New returns a Reader over the structured formats and any extra parsers
// (the PDF parser).
func New(extra ...statementimport.Parser) *Reader {
	// PDF first: its signature is exact, and CSV would take almost anything
	return &Reader{rd: statementimport.Reader{Parsers: append(extra, statementimport.Structured()...)}}
}

// Read parses and checks one file.
func (r *Reader) Read(ctx context.Context, f io.ReaderAt, size int64, name string, opts kobo.StatementReadOptions) (*kobo.ParsedStatement, error) {
	o := statementimport.Options{Password: opts.Password.Reveal(), BankCode: opts.BankCode, MaxRows: opts.MaxRows}
	if opts.Stream != nil {
		return r.stream(ctx, f, size, name, o, opts.Stream, !opts.NoChecks)
	}
	st, err := r.rd.Read(ctx, f, size, name, o)
	if err != nil {
		return nil, mapErr(err)
	}
	checks, verdict, reasons := statementimport.Verify(st)
	out := parsedOf(st, len(st.Rows))
	out.Verdict, out.Reasons = verdict, reasons
	for _, c := range checks {
		out.Checks = append(out.Checks, kobo.StatementCheck{Name: c.Name, Passed: c.Passed, Detail: c.Detail})
	}
	rows := st.Rows
	out.Rows = func(yield func(kobo.StatementRow) bool) {
		for i := range rows {
			if !yield(rowOf(&rows[i])) {
				return
			}
		}
	}
	if len(rows) > 0 {
		out.First, out.Last = rowOf(&rows[0]), rowOf(&rows[len(rows)-1])
	}
	return out, nil
}

// stream is Read handing each row to yield as it is read; the checks run
// on a compact copy of each row (statementimport.Checker), so the rows
// are never held whole.
func (r *Reader) stream(ctx context.Context, f io.ReaderAt, size int64, name string, o statementimport.Options, yield func(kobo.StatementRow) error, check bool) (*kobo.ParsedStatement, error) {
	n := 0
	var first, last kobo.StatementRow
	var c *statementimport.Checker
	if check {
		c = statementimport.NewChecker()
	}
	st, err := r.rd.Stream(ctx, f, size, name, o, func(row *statementimport.Row) error {
		if c != nil {
			c.Add(row)
		}
		sr := rowOf(row)
		if n == 0 {
			first = sr
		}
		last, n = sr, n+1
		return yield(sr)
	})
	if err != nil {
		return nil, mapErr(err)
	}
	out := parsedOf(st, n)
	if st.NewestFirst { // the ends and the checks oldest first, as Read puts the rows
		first, last = last, first
	}
	out.First, out.Last = first, last
	if c != nil {
		if st.NewestFirst {
			c.Reverse()
		}
		checks, verdict, reasons := c.Verify(st)
		out.Verdict, out.Reasons = verdict, reasons
		for _, c := range checks {
			out.Checks = append(out.Checks, kobo.StatementCheck{Name: c.Name, Passed: c.Passed, Detail: c.Detail})
		}
	}
	return out, nil
}

func parsedOf(st *statementimport.Statement, rows int) *kobo.ParsedStatement {
	return &kobo.ParsedStatement{Format: string(st.Format), Layout: st.Layout, BankName: st.BankName, BankCode: st.BankCode,
		AccountNumber: st.AccountNumber, AccountName: st.AccountName, Currency: st.Currency, PeriodStart: st.PeriodStart, PeriodEnd: st.PeriodEnd,
		Opening: st.Opening, Closing: st.Closing, RowCount: rows}
}

func rowOf(row *statementimport.Row) kobo.StatementRow {
	sr := kobo.StatementRow{Date: row.Date, Balance: row.Balance, Narration: row.Narration, Reference: row.Reference}
	if row.Debit > 0 {
		sr.Type, sr.Amount = kobo.Debit, row.Debit
	} else {
		sr.Type, sr.Amount = kobo.Credit, row.Credit
	}
	return sr
}

// mapErr turns the parsers' errors into kobo's: what the customer can fix
// (a password, another file) is EINVALID with the parser's own sentence.
func mapErr(err error) error {
	var le *statementimport.LayoutError
	switch {
	case errors.Is(err, statementimport.ErrPasswordRequired), errors.Is(err, statementimport.ErrWrongPassword):
		return &kobo.Error{Code: kobo.EINVALID, Message: err.Error(), Fields: map[string]string{"password": "is needed to open this PDF"}, Err: err}
	case errors.Is(err, statementimport.ErrUnknownFormat):
		return &kobo.Error{Code: kobo.EINVALID, Message: err.Error(), Fields: map[string]string{"file": "is not a statement format kobo reads"}, Err: err}
	case errors.Is(err, statementimport.ErrTooLarge):
		return &kobo.Error{Code: kobo.ETOOLARGE, Message: err.Error(), Err: err}
	case errors.As(err, &le):
		return &kobo.StatementUnreadable{Format: string(le.Format), Found: le.Found}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return kobo.Wrap(kobo.EINTERNAL, err, "the statement could not be read")
}

// AnyBankID is the catalog id of "Any bank — upload a statement".
var AnyBankID = stableID("statement/any")

// Catalog returns the catalog entry for accounts at banks kobo has no
// login for: the customer uploads a statement instead.
func Catalog() []kobo.Institution {
	return []kobo.Institution{{
		ID: AnyBankID, Name: "Any bank — upload a statement", Type: kobo.PersonalBanking, Country: "ng",
		Identifier: "kobo.statement_upload", Icon: "/static/institutions/statement.svg", PrimaryColor: "#1F2937",
		Products: []string{"Accounts", "Transactions", "Balance", "Income", "Identity"}, Scopes: []string{"financial_data"},
		Provider: kobo.StatementProvider,
		AuthMethods: []kobo.AuthMethod{{ID: stableID("statement/any/upload"), Type: kobo.AuthStatementUpload, Name: "Upload a statement",
			UI: kobo.UIForm{Title: "Upload a bank statement", Form: []kobo.FormField{
				{Type: "elements.input", Name: "file", Hint: "Statement file (PDF, CSV, Excel, camt.053, OFX, MT940)", ContentType: "file"},
				{Type: "elements.input", Name: "password", Hint: "PDF password, if the file is locked", ContentType: "password"}}}}},
	}}
}

func stableID(name string) string {
	sum := sha256.Sum256([]byte("kobo.catalog/" + name))
	return hex.EncodeToString(sum[:12])
}
