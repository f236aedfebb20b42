-- Financial data reads: per-account transaction counters (so totals never
-- count a million rows), change tracking for the sync cursor, PDF
-- statement jobs and income analyses.

ALTER TABLE accounts ADD COLUMN txn_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN txn_seq INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET
    txn_count = (SELECT count(*) FROM transactions t WHERE t.account_id = accounts.id),
    txn_seq = (SELECT coalesce(max(seq), 0) FROM transactions t WHERE t.account_id = accounts.id);

ALTER TABLE transactions ADD COLUMN created_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transactions ADD COLUMN removed_at INTEGER;
UPDATE transactions SET created_seq = seq;

CREATE TABLE statements (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id     TEXT NOT NULL,
    live       INTEGER NOT NULL,
    status     TEXT NOT NULL,
    period     TEXT NOT NULL,
    from_at    INTEGER NOT NULL,
    to_at      INTEGER NOT NULL,
    pdf        BLOB,
    error      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    built_at   INTEGER
) STRICT;
CREATE INDEX statements_account ON statements (account_id, created_at);

CREATE TABLE income_records (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id     TEXT NOT NULL,
    status     TEXT NOT NULL,
    months     INTEGER NOT NULL,
    result     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    done_at    INTEGER
) STRICT;
CREATE INDEX income_records_account ON income_records (account_id, created_at);
CREATE INDEX transactions_removed ON transactions (account_id) WHERE removed_at IS NOT NULL;
