package statementimport

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// XLSX reads Excel exports (the first sheet with a statement table).
type XLSX struct{}

func (XLSX) Format() Format { return FormatXLSX }

func (XLSX) Sniff(head []byte, name string) bool {
	if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return false
	}
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".xlsx" || ext == ".xlsm" || bytes.Contains(head, []byte("xl/")) || bytes.Contains(head, []byte("[Content_Types].xml"))
}

// Limits on what a zip may expand to. A statement workbook of a million
// rows is well under these; a zip bomb is far over.
const (
	maxUnzipped      = 256 << 20 // all parts together
	maxUnzippedPart  = 128 << 20 // one part (a sheet)
	maxZipRatio      = 200       // uncompressed / compressed, per part over 1 MiB
	maxZipParts      = 10000
	excelEpochOffset = 25569 // days from 1899-12-30 to 1970-01-01
)

// checkZip refuses an archive whose directory says it expands past the
// limits, before anything is inflated. The directory can lie, so the
// library's own inflate limits are set from the same numbers.
func checkZip(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return &LayoutError{Format: FormatXLSX, Found: "a file that starts like a workbook but is not a readable zip archive"}
	}
	if len(zr.File) > maxZipParts {
		return fmt.Errorf("%w: the workbook has %d parts", ErrTooLarge, len(zr.File))
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxUnzippedPart || total > maxUnzipped {
			return fmt.Errorf("%w: the workbook expands to more than %d MiB", ErrTooLarge, maxUnzipped>>20)
		}
		if f.UncompressedSize64 > 1<<20 && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > maxZipRatio {
			return fmt.Errorf("%w: %s is compressed %d to 1, which no statement is", ErrTooLarge, f.Name, f.UncompressedSize64/f.CompressedSize64)
		}
	}
	return nil
}

func (XLSX) Parse(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Statement, error) {
	if err := checkZip(r, size); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzippedPart, Password: opts.Password})
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "size limit") {
			return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
		}
		return nil, &LayoutError{Format: FormatXLSX, Found: "a workbook kobo cannot open: " + err.Error()}
	}
	defer f.Close()
	var lastErr error
	for _, sheet := range f.GetSheetList() {
		rows := func(yield func(int, []string) error) error {
			it, err := f.Rows(sheet)
			if err != nil {
				return err
			}
			defer it.Close()
			for line := 1; it.Next(); line++ {
				if line%4096 == 0 && ctx.Err() != nil {
					return ctx.Err()
				}
				cells, err := it.Columns(excelize.Options{RawCellValue: false})
				if err != nil {
					return err
				}
				for i, c := range cells {
					cells[i] = serialDate(c)
				}
				if err := yield(line, cells); err != nil {
					return err
				}
			}
			return it.Error()
		}
		st, err := parseTable(FormatXLSX, rows, 0, opts, nil)
		if err == nil {
			return st, nil
		}
		if _, ok := err.(*LayoutError); !ok {
			return nil, err
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = &LayoutError{Format: FormatXLSX, Found: "a workbook with no sheets"}
	}
	return nil, lastErr
}

// serialDate turns an unformatted Excel date serial ("45992" or
// "45992.3425") into a date string; other cells pass through.
func serialDate(c string) string {
	if len(c) < 5 || c[0] < '3' || c[0] > '7' {
		return c
	}
	v, err := strconv.ParseFloat(c, 64)
	if err != nil || v < 30000 || v > 80000 || strings.ContainsAny(c, ",") {
		return c
	}
	if !strings.Contains(c, ".") {
		return c // a whole number this size is more often an amount; dates come formatted
	}
	secs := int64((v - excelEpochOffset) * 86400)
	return time.Unix(secs, 0).UTC().Format("2006-01-02 15:04:05")
}
