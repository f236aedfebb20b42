-- Abuse controls (security audit, issue 14).
--
-- Idempotency keys were scoped to the app only, so a sandbox request and
-- a live request with the same key replayed each other's response. The
-- mode is part of the key now. Records in flight keep working in both
-- modes for the rest of their 24 hours: each is copied to both.
CREATE TABLE idempotency_keys_new (
    app_id       TEXT NOT NULL,
    live         INTEGER NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    content_type TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (app_id, live, key)
) STRICT;
INSERT INTO idempotency_keys_new (app_id, live, key, request_hash, status, body, content_type, created_at)
    SELECT app_id, m.live, key, request_hash, status, body, content_type, created_at
    FROM idempotency_keys, (SELECT 0 AS live UNION ALL SELECT 1) AS m;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
CREATE INDEX idempotency_created ON idempotency_keys (created_at);

-- Throttle counters every replica shares: failed logins by (email,
-- address) and by email, signups by address, wrong current passwords by
-- token, connect sessions and customers by public key. One row per key
-- and fixed window; expired rows are pruned.
CREATE TABLE throttle_hits (
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) STRICT;
CREATE INDEX throttle_hits_expires ON throttle_hits (expires_at);
