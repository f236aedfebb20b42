-- Sync jobs' results, re-authorisation tokens, webhook deliveries and
-- their attempt log, and webhook endpoint health on apps.

ALTER TABLE jobs ADD COLUMN account_id text NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN result text NOT NULL DEFAULT '';
CREATE INDEX jobs_account ON jobs (account_id, created_at) WHERE account_id <> '';

ALTER TABLE apps ADD COLUMN webhook_failing_since timestamptz;
ALTER TABLE apps ADD COLUMN webhook_disabled_at timestamptz;

CREATE TABLE reauth_tokens (
    hash       text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id     text NOT NULL,
    live       boolean NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               text PRIMARY KEY,
    event_id         text NOT NULL,
    event_seq        bigint NOT NULL,
    event_type       text NOT NULL,
    app_id           text NOT NULL,
    live             boolean NOT NULL,
    account_id       text NOT NULL DEFAULT '',
    status           text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    locked_by        text NOT NULL DEFAULT '',
    locked_until     timestamptz,
    url              text NOT NULL DEFAULT '',
    last_status_code integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    delivered_at     timestamptz
);
CREATE INDEX deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_inflight ON webhook_deliveries (locked_until) WHERE status = 'delivering';
CREATE INDEX deliveries_app ON webhook_deliveries (app_id, created_at DESC, id DESC);
CREATE INDEX deliveries_order ON webhook_deliveries (app_id, account_id, event_seq) WHERE status IN ('pending', 'delivering');
CREATE INDEX deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id            text PRIMARY KEY,
    delivery_id   text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    attempted_at  timestamptz NOT NULL,
    url           text NOT NULL,
    status_code   integer NOT NULL,
    latency_us    bigint NOT NULL,
    response_body text NOT NULL,
    error         text NOT NULL
);
CREATE INDEX attempts_delivery ON webhook_attempts (delivery_id, attempt);
