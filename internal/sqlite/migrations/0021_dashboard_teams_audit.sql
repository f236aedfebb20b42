-- The dashboard's correctness pass, teams and the audit log.
--
-- api_keys.expires_at: a rotated key keeps working until then (the
-- overlap a partner chose), so a deploy can pick up the new key first.
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;

-- One-time messages a dashboard redirect carries (post/redirect/get),
-- secrets shown once among them. In the database so that whichever
-- replica serves the GET finds it; taken (deleted) when shown.
CREATE TABLE dashboard_flashes (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX dashboard_flashes_expiry ON dashboard_flashes (expires_at);

-- Teams: an organisation is the partner that owns the apps; members are
-- other partner logins with a role in it.
CREATE TABLE team_members (
    org_id     TEXT NOT NULL REFERENCES partners (id),
    member_id  TEXT NOT NULL REFERENCES partners (id),
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, member_id)
) STRICT;
CREATE INDEX team_members_member ON team_members (member_id);

CREATE TABLE team_invites (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES partners (id),
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
    token_hash  TEXT NOT NULL UNIQUE,
    invited_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER
) STRICT;
CREATE INDEX team_invites_org ON team_invites (org_id, created_at);

-- The audit log: append-only, which the triggers enforce below the code.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    app_id      TEXT NOT NULL DEFAULT '',
    actor_id    TEXT NOT NULL,
    actor_email TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_log_org ON audit_log (org_id, created_at, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- A live webhook URL apart from the sandbox one: live events go there
-- when it is set, sandbox events to apps.webhook_url.
CREATE TABLE app_live_webhooks (
    app_id     TEXT PRIMARY KEY REFERENCES apps (id),
    url        TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
