-- Financial data reads: per-account transaction counters (so totals never
-- count a million rows), change tracking for the sync cursor, PDF
-- statement jobs and income analyses.

ALTER TABLE accounts ADD COLUMN txn_count bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN txn_seq bigint NOT NULL DEFAULT 0;
UPDATE accounts SET
    txn_count = (SELECT count(*) FROM transactions t WHERE t.account_id = accounts.id),
    txn_seq = (SELECT coalesce(max(seq), 0) FROM transactions t WHERE t.account_id = accounts.id);

ALTER TABLE transactions ADD COLUMN created_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE transactions ADD COLUMN removed_at timestamptz;
UPDATE transactions SET created_seq = seq;

CREATE TABLE statements (
    id         text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id     text NOT NULL,
    live       boolean NOT NULL,
    status     text NOT NULL,
    period     text NOT NULL,
    from_at    timestamptz NOT NULL,
    to_at      timestamptz NOT NULL,
    pdf        bytea,
    error      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    built_at   timestamptz
);
CREATE INDEX statements_account ON statements (account_id, created_at);

CREATE TABLE income_records (
    id         text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id     text NOT NULL,
    status     text NOT NULL,
    months     integer NOT NULL,
    result     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    done_at    timestamptz
);
CREATE INDEX income_records_account ON income_records (account_id, created_at);
CREATE INDEX transactions_removed ON transactions (account_id) WHERE removed_at IS NOT NULL;
