-- Statement uploads: a customer's own statement files, and the accounts
-- built from them. The file is kept in 1 MiB chunks so no request or job
-- holds more than one chunk of it at a time and every replica can read
-- it; both go with the account (ON DELETE CASCADE) when it is unlinked.
CREATE TABLE statement_uploads (
    id          text PRIMARY KEY,
    app_id      text NOT NULL,
    live        boolean NOT NULL,
    account_id  text REFERENCES accounts (id) ON DELETE CASCADE,
    customer_id text NOT NULL DEFAULT '',
    file_name   text NOT NULL,
    file_hash   text NOT NULL,
    size        bigint NOT NULL,
    format      text NOT NULL DEFAULT '',
    bank_code   text NOT NULL DEFAULT '',
    reference   text NOT NULL DEFAULT '',
    password    text NOT NULL DEFAULT '',
    status      text NOT NULL,
    report      text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
-- the same file twice in one app and mode is refused, unless the first failed
CREATE UNIQUE INDEX statement_uploads_hash ON statement_uploads (app_id, live, file_hash) WHERE status <> 'FAILED';
CREATE INDEX statement_uploads_account ON statement_uploads (account_id, created_at) WHERE account_id IS NOT NULL;

CREATE TABLE statement_upload_chunks (
    upload_id text NOT NULL REFERENCES statement_uploads (id) ON DELETE CASCADE,
    seq       integer NOT NULL,
    data      bytea NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
