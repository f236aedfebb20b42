-- Link conversion by institution. A connect session records when it
-- reached each stage (each set once, never moved), and connect_funnel
-- counts sessions per app, mode, UTC day, institution and re-auth flag.
-- The counters are what the funnel reads: sessions are pruned once they
-- expire, the counts are not. A counter moves in the same transaction as
-- the session's stage column, and only when that column was still empty,
-- so each stage of a session counts once even when replicas race.

ALTER TABLE connect_sessions ADD COLUMN started_at timestamptz;
ALTER TABLE connect_sessions ADD COLUMN institution_chosen_at timestamptz;
ALTER TABLE connect_sessions ADD COLUMN submitted_at timestamptz;
ALTER TABLE connect_sessions ADD COLUMN linked_at timestamptz;
ALTER TABLE connect_sessions ADD COLUMN ended_at timestamptz;
ALTER TABLE connect_sessions ADD COLUMN end_reason text NOT NULL DEFAULT '';

CREATE TABLE connect_funnel (
    app_id         text NOT NULL,
    live           boolean NOT NULL,
    day            date NOT NULL, -- UTC
    institution_id text NOT NULL, -- '' before one is chosen
    reauth         boolean NOT NULL,
    started        bigint NOT NULL DEFAULT 0,
    chosen         bigint NOT NULL DEFAULT 0,
    submitted      bigint NOT NULL DEFAULT 0,
    linked         bigint NOT NULL DEFAULT 0,
    exited         bigint NOT NULL DEFAULT 0,
    failed         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, live, day, institution_id, reauth)
);
