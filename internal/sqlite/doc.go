// Package sqlite implements kobo.Store on an embedded SQLite database
// (modernc.org/sqlite: pure Go, so the default binary needs no cgo).
//
// Concurrency follows what River and PocketBase learned: WAL mode, and all
// writes through a pool of exactly one connection whose transactions begin
// IMMEDIATE, so writers queue in Go instead of failing with SQLITE_BUSY and
// a read-then-write transaction can never hit a lock upgrade. Reads use a
// separate pool of read-only connections that WAL lets run beside the
// writer. busy_timeout covers the rare checkpoint contention.
//
// Timestamps are INTEGER microseconds since the epoch (UTC); JSON values
// are TEXT. The schema lives in migrations/, numbered like the Postgres
// adapter's, embedded, applied at Open in one transaction each and recorded
// with a checksum.
package sqlite
