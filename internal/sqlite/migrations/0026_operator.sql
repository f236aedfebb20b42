-- What the deployment's operator decides: add-ons granted to live apps one
-- by one (Mono's "Add-Ons", e.g. headless Connect), and holds on partners
-- and apps. In their own tables so that reading an app or a partner stays
-- as it was; a missing row means "never asked" and "not suspended".
CREATE TABLE app_addons (
    app_id       TEXT NOT NULL,
    addon        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'denied', 'revoked')),
    reason       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    requested_at INTEGER NOT NULL,
    decided_at   INTEGER,
    decided_by   TEXT NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (app_id, addon)
) STRICT;

-- the operator's queue of pending requests
CREATE INDEX app_addons_status ON app_addons (status, requested_at);

CREATE TABLE suspensions (
    kind       TEXT NOT NULL CHECK (kind IN ('partner', 'app')),
    subject_id TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    by_whom    TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, subject_id)
) STRICT;
