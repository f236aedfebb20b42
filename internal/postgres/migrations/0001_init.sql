-- Partners, their bearer tokens, apps, API keys, and the institutions catalog.

CREATE TABLE partners (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE partner_tokens (
    hash       text PRIMARY KEY,
    partner_id text NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX partner_tokens_partner ON partner_tokens (partner_id);

CREATE TABLE apps (
    id             text PRIMARY KEY,
    partner_id     text NOT NULL REFERENCES partners (id),
    name           text NOT NULL,
    display_name   text NOT NULL DEFAULT '',
    icon           text NOT NULL DEFAULT '',
    live           boolean NOT NULL DEFAULT false,
    webhook_url    text NOT NULL DEFAULT '',
    webhook_secret text NOT NULL,
    sync_frequency integer NOT NULL DEFAULT 24,
    relink         text NOT NULL DEFAULT 'new',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    deleted_at     timestamptz
);
CREATE INDEX apps_partner ON apps (partner_id, created_at) WHERE deleted_at IS NULL;

CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    app_id     text NOT NULL REFERENCES apps (id),
    kind       text NOT NULL CHECK (kind IN ('pk', 'sk')),
    mode       text NOT NULL CHECK (mode IN ('test', 'live')),
    prefix     text NOT NULL,
    hash       text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_prefix ON api_keys (prefix) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_app ON api_keys (app_id);

CREATE TABLE institutions (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    type          text NOT NULL,
    bank_code     text NOT NULL,
    nip_code      text NOT NULL,
    country       text NOT NULL,
    identifier    text NOT NULL,
    icon          text NOT NULL,
    primary_color text NOT NULL,
    website       text NOT NULL,
    products      jsonb NOT NULL,
    scopes        jsonb NOT NULL,
    auth_methods  jsonb NOT NULL,
    provider      text NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX institutions_bank_code ON institutions (bank_code);
