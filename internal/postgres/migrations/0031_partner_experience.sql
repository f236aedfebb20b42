-- The partner's experience of a deployment: where each session was made
-- and last used (the Sessions page), password reset links, the
-- deployment's settings that every replica must agree on (the go-live
-- policy), go-live reviews by the operator, and epochs: counters a
-- replica reads to learn cheaply that something it caches has changed.

ALTER TABLE partner_tokens ADD COLUMN user_agent text NOT NULL DEFAULT '';
ALTER TABLE partner_tokens ADD COLUMN ip text NOT NULL DEFAULT '';
ALTER TABLE partner_tokens ADD COLUMN last_seen_at timestamptz;

-- only the SHA-256 of a reset token is kept
CREATE TABLE password_resets (
    token_hash text PRIMARY KEY,
    partner_id text NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_partner ON password_resets (partner_id);

CREATE TABLE deployment_settings (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL DEFAULT ''
);

-- a missing row: the app went live without review (or never asked)
CREATE TABLE golive_reviews (
    app_id              text PRIMARY KEY,
    status              text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    legal_name          text NOT NULL DEFAULT '',
    registration_number text NOT NULL DEFAULT '',
    country             text NOT NULL DEFAULT '',
    website             text NOT NULL DEFAULT '',
    contact_email       text NOT NULL DEFAULT '',
    use_case            text NOT NULL DEFAULT '',
    submitted_at        timestamptz NOT NULL,
    submitted_by        text NOT NULL DEFAULT '',
    decided_at          timestamptz,
    decided_by          text NOT NULL DEFAULT '',
    reason              text NOT NULL DEFAULT '',
    updated_at          timestamptz NOT NULL
);
CREATE INDEX golive_reviews_status ON golive_reviews (status, submitted_at);

CREATE TABLE epochs (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);
