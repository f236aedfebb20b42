-- State every replica must agree on, which used to live in each process.
--
-- vault_key_checks: one row per master key the database accepts (an HMAC
-- of a fixed label under the key, never the key), recorded at first
-- start, so a replica with another KOBO_MASTER_KEY refuses to start.
CREATE TABLE vault_key_checks (
    key_id      text PRIMARY KEY,
    check_value text NOT NULL,
    created_at  timestamptz NOT NULL
);

-- sandbox_state: the sandbox bank's clock offsets, "next login needs MFA"
-- flags and custom test users, so every replica's simulator sees the same
-- bank and a deploy does not reset an app's sandbox clock.
CREATE TABLE sandbox_state (
    kind       text NOT NULL,
    key        text NOT NULL,
    value      bytea NOT NULL DEFAULT '',
    n          bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);
