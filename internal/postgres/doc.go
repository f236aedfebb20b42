// Package postgres implements kobo.Store on PostgreSQL with a pgx v5 pool,
// for production installs and for running several kobo replicas against
// one database.
//
// Its SQL is written for PostgreSQL (jsonb, timestamptz, FOR UPDATE SKIP
// LOCKED, advisory locks) rather than shared with the SQLite adapter; the
// conformance suite in internal/storetest keeps the two in step. Migrations
// are numbered like SQLite's, embedded, applied one transaction each under
// an advisory lock (so replicas started together with --migrate cannot race)
// and recorded with a checksum.
package postgres
