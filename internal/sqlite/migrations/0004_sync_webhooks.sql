-- Sync jobs' results, re-authorisation tokens, webhook deliveries and
-- their attempt log, and webhook endpoint health on apps.

ALTER TABLE jobs ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN result TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_account ON jobs (account_id, created_at) WHERE account_id <> '';

ALTER TABLE apps ADD COLUMN webhook_failing_since INTEGER;
ALTER TABLE apps ADD COLUMN webhook_disabled_at INTEGER;

CREATE TABLE reauth_tokens (
    hash       TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id     TEXT NOT NULL,
    live       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL,
    event_seq        INTEGER NOT NULL,
    event_type       TEXT NOT NULL,
    app_id           TEXT NOT NULL,
    live             INTEGER NOT NULL,
    account_id       TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    locked_by        TEXT NOT NULL DEFAULT '',
    locked_until     INTEGER,
    url              TEXT NOT NULL DEFAULT '',
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    delivered_at     INTEGER
) STRICT;
CREATE INDEX deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_inflight ON webhook_deliveries (locked_until) WHERE status = 'delivering';
CREATE INDEX deliveries_app ON webhook_deliveries (app_id, created_at DESC, id DESC);
CREATE INDEX deliveries_order ON webhook_deliveries (app_id, account_id, event_seq) WHERE status IN ('pending', 'delivering');
CREATE INDEX deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id            TEXT PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,
    attempted_at  INTEGER NOT NULL,
    url           TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    latency_us    INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    error         TEXT NOT NULL
) STRICT;
CREATE INDEX attempts_delivery ON webhook_attempts (delivery_id, attempt);
