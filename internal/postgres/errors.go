package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// classify turns driver errors into kobo codes by SQLSTATE, never by
// message text. It is the only place that knows Postgres error codes.
func classify(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return &kobo.Error{Code: kobo.ECONFLICT, Message: "already exists", Err: err}
	case "23503": // foreign_key_violation
		return &kobo.Error{Code: kobo.ENOTFOUND, Message: "referenced object not found", Err: err}
	case "23514", "23502", "22P02", "22001": // check, not null, invalid text representation, string too long
		return &kobo.Error{Code: kobo.EINVALID, Message: "invalid value", Err: err}
	case "40001", "40P01", "55P03": // serialization failure, deadlock, lock not available
		return &kobo.Error{Code: kobo.EUNAVAILABLE, Message: "database is busy, please retry", Err: err}
	}
	return err
}
