-- Link conversion by institution. A connect session records when it
-- reached each stage (each set once, never moved), and connect_funnel
-- counts sessions per app, mode, UTC day, institution and re-auth flag.
-- The counters are what the funnel reads: sessions are pruned once they
-- expire, the counts are not. A counter moves in the same transaction as
-- the session's stage column, and only when that column was still empty,
-- so each stage of a session counts once even when replicas race.

ALTER TABLE connect_sessions ADD COLUMN started_at INTEGER;
ALTER TABLE connect_sessions ADD COLUMN institution_chosen_at INTEGER;
ALTER TABLE connect_sessions ADD COLUMN submitted_at INTEGER;
ALTER TABLE connect_sessions ADD COLUMN linked_at INTEGER;
ALTER TABLE connect_sessions ADD COLUMN ended_at INTEGER;
ALTER TABLE connect_sessions ADD COLUMN end_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE connect_funnel (
    app_id         TEXT NOT NULL,
    live           INTEGER NOT NULL,
    day            TEXT NOT NULL, -- YYYY-MM-DD, UTC
    institution_id TEXT NOT NULL, -- '' before one is chosen
    reauth         INTEGER NOT NULL,
    started        INTEGER NOT NULL DEFAULT 0,
    chosen         INTEGER NOT NULL DEFAULT 0,
    submitted      INTEGER NOT NULL DEFAULT 0,
    linked         INTEGER NOT NULL DEFAULT 0,
    exited         INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, live, day, institution_id, reauth)
) STRICT, WITHOUT ROWID;
