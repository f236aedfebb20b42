-- Per-day usage of each app (dashboard "Usage", GET /v1/apps/{id}/usage,
-- the operator console): counters every replica adds its own increments
-- to, so a total is never held in one process's memory. day is the UTC
-- date as YYYY-MM-DD, which sorts as it reads. Rows are pruned after
-- about 400 days.

CREATE TABLE usage_daily (
    app_id   TEXT NOT NULL,
    mode     TEXT NOT NULL,
    day      TEXT NOT NULL,
    calls    INTEGER NOT NULL DEFAULT 0,
    errors   INTEGER NOT NULL DEFAULT 0,
    links    INTEGER NOT NULL DEFAULT 0,
    syncs    INTEGER NOT NULL DEFAULT 0,
    webhooks INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, mode, day)
) STRICT;

-- the prune's range scan
CREATE INDEX usage_daily_day ON usage_daily (day);
