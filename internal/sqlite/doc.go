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
// What the pure-Go SQLite makes expensive, and what the adapter does
// about it (each measured by kobo bench):
//   - Preparing a statement costs about as much as running a primary-key
//     lookup, so statements are prepared once per connection and reused
//     (stmts.go); inside a write transaction a new text runs unprepared
//     once and is prepared after the transaction. Keeping them only pays
//     if the texts are few and SQLite never compiles them again: batches
//     come in four fixed sizes, IN lists are padded, and no plan reads a
//     bound value (texts.go; TestNoStatementIsRecompiled checks every
//     statement the conformance suite runs).
//   - Every column of every row costs a call into the transpiled C, so the
//     hot reads touch as few rows and columns as they can: transactions
//     are clustered by (account, date, id), so a page is one range of the
//     table rather than an index probe plus a lookup per row, and the
//     transactions path checks the account with six columns
//     (AccountState), not thirty.
//   - The one writer is the bottleneck under load, so the write gate
//     (gate.go) orders it: requests first, background work a bounded share
//     of the time, one waiter woken per release; and checkpoints run on
//     their own connection (the writer has wal_autocheckpoint off), so no
//     commit pays for copying the WAL back and fsyncing the file.
//
// Timestamps are INTEGER microseconds since the epoch (UTC); JSON values
// are TEXT. The schema lives in migrations/, numbered like the Postgres
// adapter's, embedded, applied at Open in one transaction each and recorded
// with a checksum.
package sqlite
