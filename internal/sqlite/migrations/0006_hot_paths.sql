-- Transactions clustered in the order partners read them. The table was
-- keyed by (account_id, provider_ref) with a separate (account_id, date, id)
-- index, so every row of a page cost an index probe plus a lookup into the
-- table; keyed by (account_id, date DESC, id DESC), a page is one
-- contiguous range of the table. The bank reference stays unique per
-- account (the merge's conflict target), and the global unique index on id
-- goes: nothing looks a transaction up by id alone, ids carry 64 random
-- bits, and one fewer b-tree makes every ingested row cheaper.

CREATE TABLE transactions_new (
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    date         INTEGER NOT NULL,
    id           TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    created_seq  INTEGER NOT NULL DEFAULT 0,
    type         TEXT NOT NULL CHECK (type IN ('debit', 'credit')),
    amount       INTEGER NOT NULL,
    narration    TEXT NOT NULL,
    balance      INTEGER,
    currency     TEXT NOT NULL,
    category     TEXT NOT NULL DEFAULT 'unknown',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    removed_at   INTEGER,
    PRIMARY KEY (account_id, date DESC, id DESC)
) STRICT, WITHOUT ROWID;

INSERT INTO transactions_new (account_id, date, id, provider_ref, seq, created_seq, type, amount, narration, balance, currency, category, created_at, updated_at, removed_at)
SELECT account_id, date, id, provider_ref, seq, created_seq, type, amount, narration, balance, currency, category, created_at, updated_at, removed_at FROM transactions;

DROP TABLE transactions;
ALTER TABLE transactions_new RENAME TO transactions;
CREATE UNIQUE INDEX transactions_ref ON transactions (account_id, provider_ref);
CREATE INDEX transactions_seq ON transactions (account_id, seq);
CREATE INDEX transactions_removed ON transactions (account_id) WHERE removed_at IS NOT NULL;

-- The API request log takes a row per API call. Keyed by how the
-- dashboard lists it (app, mode, newest first), with one index for
-- pruning by age, each row costs two b-tree inserts instead of four (the
-- rowid table, its id index and two listing indexes).
CREATE TABLE api_requests_new (
    app_id     TEXT NOT NULL,
    live       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    id         TEXT NOT NULL,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    route      TEXT NOT NULL,
    status     INTEGER NOT NULL,
    latency_us INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (app_id, live, created_at DESC, id DESC)
) STRICT, WITHOUT ROWID;
INSERT INTO api_requests_new (app_id, live, created_at, id, method, path, route, status, latency_us, request_id)
SELECT app_id, live, created_at, id, method, path, route, status, latency_us, request_id FROM api_requests;
DROP TABLE api_requests;
ALTER TABLE api_requests_new RENAME TO api_requests;
CREATE INDEX api_requests_created ON api_requests (created_at);

-- Webhook deliveries carry whether they may go (ready): an account's
-- delivery waits while an earlier one of the same account is in flight or
-- not yet tried. Claiming used to check that rule for every due delivery
-- it looked at, so a burst of thousands of events on a few accounts made
-- each claim read a thousand rows to find a few dozen it could send. Now
-- the rule is applied when a delivery is recorded and when the one before
-- it finishes, and a claim reads only deliveries that may go.
ALTER TABLE webhook_deliveries ADD COLUMN ready INTEGER NOT NULL DEFAULT 1;
UPDATE webhook_deliveries SET ready = 0
WHERE status = 'pending' AND attempts = 0 AND EXISTS (
    SELECT 1 FROM webhook_deliveries e
    WHERE e.app_id = webhook_deliveries.app_id AND e.account_id = webhook_deliveries.account_id
      AND e.event_seq < webhook_deliveries.event_seq AND e.status IN ('pending', 'delivering')
      AND (e.status = 'delivering' OR e.attempts = 0));
DROP INDEX deliveries_due;
CREATE INDEX deliveries_ready ON webhook_deliveries (next_attempt_at) WHERE status = 'pending' AND ready = 1;
-- Nothing looks deliveries up by event; the index only cost every insert.
DROP INDEX deliveries_event;
