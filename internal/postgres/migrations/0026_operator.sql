-- What the deployment's operator decides: add-ons granted to live apps one
-- by one (Mono's "Add-Ons", e.g. headless Connect), and holds on partners
-- and apps. In their own tables so that reading an app or a partner stays
-- as it was; a missing row means "never asked" and "not suspended".
CREATE TABLE app_addons (
    app_id       text NOT NULL,
    addon        text NOT NULL,
    status       text NOT NULL CHECK (status IN ('requested', 'approved', 'denied', 'revoked')),
    reason       text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    requested_at timestamptz NOT NULL,
    decided_at   timestamptz,
    decided_by   text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (app_id, addon)
);

-- the operator's queue of pending requests
CREATE INDEX app_addons_status ON app_addons (status, requested_at);

CREATE TABLE suspensions (
    kind       text NOT NULL CHECK (kind IN ('partner', 'app')),
    subject_id text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    by_whom    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (kind, subject_id)
);
