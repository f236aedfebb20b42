-- The per-app API request log the dashboard shows (method, path, status,
-- latency; never bodies or keys), an index for listing an app's accounts
-- newest first, and the mark on connect sessions opened by a Connect Link
-- (kobo exchanges their code itself, and the partner may exchange it again).

CREATE TABLE api_requests (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    live       INTEGER NOT NULL,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    route      TEXT NOT NULL,
    status     INTEGER NOT NULL,
    latency_us INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX api_requests_app ON api_requests (app_id, live, created_at DESC);
CREATE INDEX api_requests_created ON api_requests (created_at);
CREATE INDEX accounts_app_created ON accounts (app_id, live, created_at DESC);

ALTER TABLE connect_sessions ADD COLUMN via_link INTEGER NOT NULL DEFAULT 0;
