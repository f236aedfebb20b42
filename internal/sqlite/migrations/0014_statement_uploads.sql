-- Statement uploads: a customer's own statement files, and the accounts
-- built from them. The file is kept in 1 MiB chunks so no request or job
-- holds more than one chunk of it at a time and every replica can read
-- it; both go with the account (ON DELETE CASCADE) when it is unlinked.
CREATE TABLE statement_uploads (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    live        INTEGER NOT NULL,
    account_id  TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL DEFAULT '',
    file_name   TEXT NOT NULL,
    file_hash   TEXT NOT NULL,
    size        INTEGER NOT NULL,
    format      TEXT NOT NULL DEFAULT '',
    bank_code   TEXT NOT NULL DEFAULT '',
    reference   TEXT NOT NULL DEFAULT '',
    password    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    report      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- the same file twice in one app and mode is refused, unless the first failed
CREATE UNIQUE INDEX statement_uploads_hash ON statement_uploads (app_id, live, file_hash) WHERE status <> 'FAILED';
CREATE INDEX statement_uploads_account ON statement_uploads (account_id, created_at) WHERE account_id IS NOT NULL;

CREATE TABLE statement_upload_chunks (
    upload_id TEXT NOT NULL REFERENCES statement_uploads (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
