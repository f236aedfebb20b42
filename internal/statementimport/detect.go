package statementimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// Structured returns the parsers of the structured formats, in the order
// they are tried: the strictest signatures first, CSV (which accepts
// almost any text) last. The PDF parser is added by whoever wires the
// Reader.
func Structured() []Parser {
	return []Parser{Camt{}, OFX{}, MBS{}, MT940{}, XLSX{}, CSV{}}
}

// Reader detects a file's format and parses it with the right Parser.
type Reader struct {
	Parsers []Parser
}

// sniffBytes is how much of the file format detection looks at.
const sniffBytes = 8 << 10

// Detect returns the parser for a file, by its first bytes and name.
func (rd Reader) Detect(head []byte, name string) (Parser, error) {
	for _, p := range rd.Parsers {
		if p.Sniff(head, name) {
			return p, nil
		}
	}
	if bytes.HasPrefix(bytes.TrimSpace(head), []byte("%PDF-")) {
		return nil, &LayoutError{Format: FormatPDF, Found: "a PDF, and this kobo has no PDF statement reader configured"}
	}
	return nil, ErrUnknownFormat
}

// Read detects the format of the file in r, parses it and settles the
// bank: the code the file's layout gives, else the one its printed bank
// name gives, else the customer's choice. A panic in a parser (a bug on
// hostile input) becomes a LayoutError instead of taking the process down.
func (rd Reader) Read(ctx context.Context, r io.ReaderAt, size int64, name string, opts Options) (st *Statement, err error) {
	return rd.read(ctx, r, size, name, opts, nil)
}

// rowStreamer is a parser that can hand rows over as it reads them.
type rowStreamer interface {
	parseStream(ctx context.Context, r io.ReaderAt, size int64, opts Options, emit func(*Row) error) (*Statement, error)
}

// Stream is Read for a caller that takes the rows one at a time: yield
// gets each row (valid only during the call; copy what is kept), and the
// Statement returned holds everything but Rows. A format whose reader
// streams (CSV) never holds more than one row, so a 20 MB export's
// 300,000 rows are never in memory at once; the others are read whole
// and then handed over. Rows come in file order, which for an export
// printed newest first is newest first. An error from yield stops the
// read and is returned. yield may have taken rows before a later one
// proves the file bad: a caller that must write nothing for a bad file
// reads it with Read first.
func (rd Reader) Stream(ctx context.Context, r io.ReaderAt, size int64, name string, opts Options, yield func(*Row) error) (*Statement, error) {
	return rd.read(ctx, r, size, name, opts, yield)
}

func (rd Reader) read(ctx context.Context, r io.ReaderAt, size int64, name string, opts Options, yield func(*Row) error) (st *Statement, err error) {
	head := make([]byte, min(size, sniffBytes))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read head: %w", err)
	}
	if size == 0 {
		return nil, ErrUnknownFormat
	}
	p, err := rd.Detect(head, name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if v := recover(); v != nil {
			st, err = nil, &LayoutError{Format: p.Format(), Found: fmt.Sprintf("a file kobo's %s reader failed on (%v)", p.Format(), v)}
		}
	}()
	if s, ok := p.(rowStreamer); ok && yield != nil {
		st, err = s.parseStream(ctx, r, size, opts, yield)
	} else {
		st, err = p.Parse(ctx, r, size, opts)
	}
	if err != nil {
		return nil, err
	}
	if yield != nil && st.Rows != nil { // read whole: hand the rows over
		rows := st.Rows
		st.Rows = nil
		for i := range rows {
			if err := yield(&rows[i]); err != nil {
				return nil, err
			}
		}
	}
	st.ChosenBankCode = opts.BankCode
	if st.BankCode == "" {
		if b, ok := bankInText(st.BankName); ok {
			st.BankCode = b.Code
		}
	}
	if st.BankCode == "" {
		st.BankCode = opts.BankCode
	}
	if st.BankName == "" {
		if b, ok := bankByCode(st.BankCode); ok {
			st.BankName = b.Name
		}
	}
	if st.Currency == "" {
		st.Currency = "NGN"
	}
	return st, nil
}
