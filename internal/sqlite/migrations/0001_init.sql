-- Partners, their bearer tokens, apps, API keys, and the institutions catalog.
-- Timestamps are INTEGER microseconds since the Unix epoch, UTC.

CREATE TABLE partners (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE partner_tokens (
    hash       TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX partner_tokens_partner ON partner_tokens (partner_id);

CREATE TABLE apps (
    id             TEXT PRIMARY KEY,
    partner_id     TEXT NOT NULL REFERENCES partners (id),
    name           TEXT NOT NULL,
    display_name   TEXT NOT NULL DEFAULT '',
    icon           TEXT NOT NULL DEFAULT '',
    live           INTEGER NOT NULL DEFAULT 0,
    webhook_url    TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL,
    sync_frequency INTEGER NOT NULL DEFAULT 24,
    relink         TEXT NOT NULL DEFAULT 'new',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER
) STRICT;
CREATE INDEX apps_partner ON apps (partner_id, created_at) WHERE deleted_at IS NULL;

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    kind       TEXT NOT NULL CHECK (kind IN ('pk', 'sk')),
    mode       TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    prefix     TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_prefix ON api_keys (prefix) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_app ON api_keys (app_id);

CREATE TABLE institutions (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    bank_code     TEXT NOT NULL,
    nip_code      TEXT NOT NULL,
    country       TEXT NOT NULL,
    identifier    TEXT NOT NULL,
    icon          TEXT NOT NULL,
    primary_color TEXT NOT NULL,
    website       TEXT NOT NULL,
    products      TEXT NOT NULL, -- JSON array
    scopes        TEXT NOT NULL, -- JSON array
    auth_methods  TEXT NOT NULL, -- JSON array of {id,type,name,ui}
    provider      TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX institutions_bank_code ON institutions (bank_code);
