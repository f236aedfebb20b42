-- The one webhook replay an app may have in flight: when it started. Its
-- deliveries are the app's deliveries created at that instant, found
-- through deliveries_app. The row is also the lock that serialises
-- concurrent replays of one app.
CREATE TABLE webhook_replays (
    app_id     TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL
);
