-- State every replica must agree on, which used to live in each process
-- (see the PostgreSQL migration of the same number).
CREATE TABLE vault_key_checks (
    key_id      TEXT PRIMARY KEY,
    check_value TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sandbox_state (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL DEFAULT x'',
    n          INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
