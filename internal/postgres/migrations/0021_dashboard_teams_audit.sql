-- The dashboard's correctness pass, teams and the audit log.
--
-- api_keys.expires_at: a rotated key keeps working until then (the
-- overlap a partner chose), so a deploy can pick up the new key first.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;

-- One-time messages a dashboard redirect carries (post/redirect/get),
-- secrets shown once among them. In the database so that whichever
-- replica serves the GET finds it; taken (deleted) when shown.
CREATE TABLE dashboard_flashes (
    id         text PRIMARY KEY,
    partner_id text NOT NULL,
    kind       text NOT NULL,
    message    text NOT NULL,
    payload    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX dashboard_flashes_expiry ON dashboard_flashes (expires_at);

-- Teams: an organisation is the partner that owns the apps; members are
-- other partner logins with a role in it.
CREATE TABLE team_members (
    org_id     text NOT NULL REFERENCES partners (id),
    member_id  text NOT NULL REFERENCES partners (id),
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, member_id)
);
CREATE INDEX team_members_member ON team_members (member_id);

CREATE TABLE team_invites (
    id          text PRIMARY KEY,
    org_id      text NOT NULL REFERENCES partners (id),
    email       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
    token_hash  text NOT NULL UNIQUE,
    invited_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);
CREATE INDEX team_invites_org ON team_invites (org_id, created_at);

-- The audit log: append-only, which the trigger enforces below the code.
CREATE TABLE audit_log (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    app_id      text NOT NULL DEFAULT '',
    actor_id    text NOT NULL,
    actor_email text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    source      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, created_at, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- A live webhook URL apart from the sandbox one: live events go there
-- when it is set, sandbox events to apps.webhook_url.
CREATE TABLE app_live_webhooks (
    app_id     text PRIMARY KEY REFERENCES apps (id),
    url        text NOT NULL,
    updated_at timestamptz NOT NULL
);
