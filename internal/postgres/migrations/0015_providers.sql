-- The provider framework: which connectors reach an institution, an app's
-- own keys at each provider and its choice of provider per institution,
-- each account's consent (kind, provider, expiry), and the pending flag
-- and provider-id-ness of transactions from real sources.
ALTER TABLE institutions ADD COLUMN providers text[] NOT NULL DEFAULT '{}'; -- the default first

-- An app's keys at a provider, sealed by the app layer under the vault
-- (aad "app_provider:<app>:<provider>"); fields lists the names only, for
-- GET /v1/apps/{id}/providers. Health is the last credential check.
CREATE TABLE app_providers (
    app_id         text NOT NULL REFERENCES apps (id),
    provider       text NOT NULL,
    credentials    text NOT NULL,
    fields         text[] NOT NULL,
    health_ok      boolean NOT NULL DEFAULT false,
    health_message text NOT NULL DEFAULT '',
    checked_at     timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (app_id, provider)
);

-- An app's choice of provider for an institution (none: the default).
CREATE TABLE app_institution_providers (
    app_id         text NOT NULL REFERENCES apps (id),
    institution_id text NOT NULL,
    provider       text NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (app_id, institution_id)
);

-- An account's consent: the provider it was linked through and when the
-- grant ends (NULL: a credential login, no expiry). notified_at records
-- the consent_expiring event, once per consent: a re-consent with a new
-- expiry clears it.
CREATE TABLE account_consents (
    account_id  text PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    provider    text NOT NULL,
    expires_at  timestamptz,
    notified_at timestamptz,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX account_consents_expiring ON account_consents (expires_at) WHERE expires_at IS NOT NULL AND notified_at IS NULL;

-- pending: the bank has not posted it; provider_id: provider_ref is the
-- source's own id (merge by it), not one kobo made from the row's content.
ALTER TABLE transactions ADD COLUMN pending boolean NOT NULL DEFAULT false;
ALTER TABLE transactions ADD COLUMN provider_id boolean NOT NULL DEFAULT false;
