package statementimport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// CSV reads comma, semicolon, tab or pipe separated exports.
type CSV struct{}

func (CSV) Format() Format { return FormatCSV }

func (CSV) Sniff(head []byte, name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".csv" || ext == ".tsv" {
		return true
	}
	if ext != ".txt" && ext != "" {
		return false
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(trimPartialRune(head)) || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	t := bytes.TrimSpace(head)
	if len(t) == 0 || t[0] == '<' || t[0] == '{' || t[0] == ':' || bytes.HasPrefix(t, []byte("OFXHEADER")) {
		return false
	}
	d := sniffDelimiter(head)
	return bytes.Count(head, []byte{byte(d)}) >= 2
}

func trimPartialRune(b []byte) []byte {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// sniffDelimiter picks the separator that splits the first lines into the
// most equal, widest columns.
func sniffDelimiter(head []byte) rune {
	lines := bytes.Split(head, []byte("\n"))
	if len(lines) > 30 {
		lines = lines[:30]
	}
	best, bestScore := ',', -1
	for _, d := range []rune{',', ';', '\t', '|'} {
		counts := map[int]int{}
		for _, l := range lines {
			if n := bytes.Count(l, []byte(string(d))); n > 0 {
				counts[n]++
			}
		}
		score := 0
		for n, lines := range counts {
			if s := n * lines; s > score {
				score = s
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

func (c CSV) Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Statement, error) {
	return c.parseStream(ctx, r, size, opts, nil)
}

// parseStream is Parse handing each row to emit as it is read (nil:
// into st.Rows); see Reader.Stream.
func (CSV) parseStream(ctx context.Context, r io.ReaderAt, size int64, opts Options, emit func(*Row) error) (*Statement, error) {
	head := make([]byte, min(size, 16<<10))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(head)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	rows := func(yield func(int, []string) error) error {
		for i := 1; ; i++ {
			if i%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			rec, err := cr.Read()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return &LayoutError{Format: FormatCSV, Found: "a line kobo cannot split into columns: " + pe.Error()}
				}
				return err
			}
			line, _ := cr.FieldPos(0)
			if err := yield(line, rec); err != nil {
				return err
			}
		}
	}
	lines := 0
	if emit == nil { // only a slice of rows needs sizing
		var err error
		if lines, err = countLines(r, size); err != nil {
			return nil, err
		}
	}
	return parseTable(FormatCSV, rows, lines, opts, emit)
}

// countLines counts the file's lines long enough to be a statement row
// (24 bytes: a date, an amount and a balance), reading it in chunks: an
// upper bound on its rows, for sizing them. A file of blank or tiny lines
// counts none, so it cannot make the parser reserve memory for rows it
// does not have; at most maxPresized.
func countLines(r io.ReaderAt, size int64) (int, error) {
	const minRow, maxPresized = 24, 400_000
	buf := make([]byte, 64<<10)
	n, cur := 0, 0 // lines counted, length of the line being read
	for off := int64(0); off < size; {
		k, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for b := buf[:k]; len(b) > 0; {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				cur += len(b)
				break
			}
			if cur+i >= minRow {
				n++
			}
			cur, b = 0, b[i+1:]
		}
		off += int64(k)
		if k == 0 || (err != nil && !errors.Is(err, io.EOF)) {
			if err != nil && !errors.Is(err, io.EOF) {
				return 0, err
			}
			break
		}
	}
	if cur >= minRow {
		n++
	}
	return min(n, maxPresized), nil
}
