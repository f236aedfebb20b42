-- Abuse controls (security audit, issue 14).
--
-- Idempotency keys were scoped to the app only, so a sandbox request and
-- a live request with the same key replayed each other's response. The
-- mode is part of the key now. Records in flight keep working in both
-- modes for the rest of their 24 hours: each is copied to both.
ALTER TABLE idempotency_keys ADD COLUMN live boolean NOT NULL DEFAULT false;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
INSERT INTO idempotency_keys (app_id, live, key, request_hash, status, body, content_type, created_at)
    SELECT app_id, true, key, request_hash, status, body, content_type, created_at FROM idempotency_keys;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (app_id, live, key);
ALTER TABLE idempotency_keys ALTER COLUMN live DROP DEFAULT;

-- Throttle counters every replica shares: failed logins by (email,
-- address) and by email, signups by address, wrong current passwords by
-- token, connect sessions and customers by public key. One row per key
-- and fixed window; expired rows are pruned.
CREATE TABLE throttle_hits (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX throttle_hits_expires ON throttle_hits (expires_at);
