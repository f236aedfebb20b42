-- The partner's experience of a deployment: where each session was made
-- and last used (the Sessions page), password reset links, the
-- deployment's settings that every replica must agree on (the go-live
-- policy), go-live reviews by the operator, and epochs: counters a
-- replica reads to learn cheaply that something it caches has changed.

ALTER TABLE partner_tokens ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE partner_tokens ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE partner_tokens ADD COLUMN last_seen_at INTEGER;

-- only the SHA-256 of a reset token is kept
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
CREATE INDEX password_resets_partner ON password_resets (partner_id);

CREATE TABLE deployment_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
) STRICT;

-- a missing row: the app went live without review (or never asked)
CREATE TABLE golive_reviews (
    app_id              TEXT PRIMARY KEY,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    legal_name          TEXT NOT NULL DEFAULT '',
    registration_number TEXT NOT NULL DEFAULT '',
    country             TEXT NOT NULL DEFAULT '',
    website             TEXT NOT NULL DEFAULT '',
    contact_email       TEXT NOT NULL DEFAULT '',
    use_case            TEXT NOT NULL DEFAULT '',
    submitted_at        INTEGER NOT NULL,
    submitted_by        TEXT NOT NULL DEFAULT '',
    decided_at          INTEGER,
    decided_by          TEXT NOT NULL DEFAULT '',
    reason              TEXT NOT NULL DEFAULT '',
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX golive_reviews_status ON golive_reviews (status, submitted_at);

CREATE TABLE epochs (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
