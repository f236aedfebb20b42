-- Connect sessions, customers, accounts with their transactions and
-- identity, the job queue, events, and idempotency records.

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    live       INTEGER NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    id_type    TEXT NOT NULL DEFAULT '',
    id_number  TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX customers_email ON customers (app_id, live, email);

CREATE TABLE connect_sessions (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps (id),
    live            INTEGER NOT NULL,
    institution_id  TEXT NOT NULL,
    auth_method     TEXT NOT NULL,
    scope           TEXT NOT NULL,
    state           TEXT NOT NULL,
    customer_id     TEXT NOT NULL DEFAULT '',
    customer_name   TEXT NOT NULL DEFAULT '',
    customer_email  TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL DEFAULT '',
    account_id      TEXT NOT NULL DEFAULT '',
    form            TEXT NOT NULL,          -- JSON UIForm
    challenge       TEXT NOT NULL DEFAULT '', -- sealed
    bank_session    TEXT NOT NULL DEFAULT '', -- sealed
    accounts        TEXT NOT NULL DEFAULT '', -- sealed
    attempts        INTEGER NOT NULL DEFAULT 0,
    failure         TEXT NOT NULL DEFAULT '',
    code_hash       TEXT UNIQUE,
    code_expires_at INTEGER,
    busy_until      INTEGER,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX connect_sessions_expires ON connect_sessions (expires_at);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps (id),
    live            INTEGER NOT NULL,
    customer_id     TEXT NOT NULL DEFAULT '',
    institution_id  TEXT NOT NULL,
    auth_method     TEXT NOT NULL,
    provider_ref    TEXT NOT NULL,
    name            TEXT NOT NULL,
    account_number  TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    type            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    balance         INTEGER NOT NULL,
    bvn_last4       TEXT NOT NULL DEFAULT '',
    data_status     TEXT NOT NULL,
    retrieved_data  TEXT NOT NULL DEFAULT '[]', -- JSON array
    reauth_required INTEGER NOT NULL DEFAULT 0,
    reference       TEXT NOT NULL DEFAULT '',
    session_id      TEXT NOT NULL DEFAULT '',
    credentials     TEXT NOT NULL DEFAULT '', -- sealed
    last_synced_at  INTEGER,
    next_sync_at    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX accounts_app ON accounts (app_id, live, created_at);
CREATE INDEX accounts_fingerprint ON accounts (app_id, live, fingerprint);
CREATE INDEX accounts_next_sync ON accounts (next_sync_at) WHERE next_sync_at IS NOT NULL;

-- Transactions are keyed by account and the bank's reference, so a merge
-- of repeated or reordered bank rows can never duplicate one. seq orders
-- changes for the sync cursor.
CREATE TABLE transactions (
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('debit', 'credit')),
    amount       INTEGER NOT NULL,
    narration    TEXT NOT NULL,
    date         INTEGER NOT NULL,
    balance      INTEGER,
    currency     TEXT NOT NULL,
    category     TEXT NOT NULL DEFAULT 'unknown',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, provider_ref)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX transactions_id ON transactions (id);
CREATE INDEX transactions_date ON transactions (account_id, date DESC, id DESC);
CREATE INDEX transactions_seq ON transactions (account_id, seq);

CREATE TABLE identities (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    full_name       TEXT NOT NULL,
    email           TEXT NOT NULL,
    phone           TEXT NOT NULL,
    gender          TEXT NOT NULL,
    dob             TEXT NOT NULL,
    bvn             TEXT NOT NULL,
    marital_status  TEXT NOT NULL,
    address_line1   TEXT NOT NULL,
    address_line2   TEXT NOT NULL,
    state_of_origin TEXT NOT NULL,
    lga_of_origin   TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    args         TEXT NOT NULL,
    unique_key   TEXT,
    status       TEXT NOT NULL,
    priority     INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    locked_by    TEXT NOT NULL DEFAULT '',
    locked_until INTEGER,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX jobs_unique ON jobs (unique_key) WHERE unique_key IS NOT NULL AND status IN ('available', 'running');
CREATE INDEX jobs_available ON jobs (priority, run_at) WHERE status = 'available';
CREATE INDEX jobs_running ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    app_id     TEXT NOT NULL,
    live       INTEGER NOT NULL,
    type       TEXT NOT NULL,
    account_id TEXT NOT NULL DEFAULT '',
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_app ON events (app_id, live, seq);
CREATE INDEX events_account ON events (account_id, seq);

CREATE TABLE idempotency_keys (
    app_id       TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    content_type TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (app_id, key)
) STRICT;
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
