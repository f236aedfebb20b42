package sqlite

import (
	"errors"

	"github.com/kobo-oss/kobo/internal/kobo"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// classify turns driver errors into kobo codes by SQLite's extended result
// code, never by message text. It is the only place that knows SQLite's
// error numbers.
func classify(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &kobo.Error{Code: kobo.ECONFLICT, Message: "already exists", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &kobo.Error{Code: kobo.ENOTFOUND, Message: "referenced object not found", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return &kobo.Error{Code: kobo.EINVALID, Message: "invalid value", Err: err}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
		return &kobo.Error{Code: kobo.EUNAVAILABLE, Message: "database is busy, please retry", Err: err}
	}
	return err
}
