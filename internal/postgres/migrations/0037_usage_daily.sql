-- Per-day usage of each app (dashboard "Usage", GET /v1/apps/{id}/usage,
-- the operator console): counters every replica adds its own increments
-- to, so a total is never held in one process's memory. Rows are pruned
-- after about 400 days.

CREATE TABLE usage_daily (
    app_id   text NOT NULL,
    mode     text NOT NULL,
    day      date NOT NULL,
    calls    bigint NOT NULL DEFAULT 0,
    errors   bigint NOT NULL DEFAULT 0,
    links    bigint NOT NULL DEFAULT 0,
    syncs    bigint NOT NULL DEFAULT 0,
    webhooks bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, mode, day)
);

-- the prune's range scan
CREATE INDEX usage_daily_day ON usage_daily (day);
