-- Data lifecycle (security audit findings 5 and 8).
--
-- A deleted app's data is purged after a grace period: apps carry when
-- (purge_at) and whether it happened (purged_at).
ALTER TABLE apps ADD COLUMN purge_at INTEGER;
ALTER TABLE apps ADD COLUMN purged_at INTEGER;
CREATE INDEX apps_purge ON apps (purge_at) WHERE purge_at IS NOT NULL AND purged_at IS NULL;
-- Its accounts are announced unlinked in batches after the delete commits:
-- unlink_after is the last account announced ('' before the first), NULL
-- once all are, so an interrupted run resumes where it stopped.
ALTER TABLE apps ADD COLUMN unlink_after TEXT;
CREATE INDEX apps_unlink ON apps (id) WHERE unlink_after IS NOT NULL;

-- Personal data and secrets are sealed at rest from now on: account
-- numbers, BVNs and the rest of the identity a bank reports, customers'
-- names, phones and id numbers, webhook secrets, event payloads, stored
-- idempotent responses and statement PDFs. SQL cannot encrypt, so
-- this migration only lists the fields whose existing plaintext must be
-- sealed; kobo seals them in Go right after migrating (kobo migrate up, or
-- serve at start), a batch at a time, and clears each row here when its
-- field is done. Reads accept a value not yet sealed until then, so an
-- upgrade is safe to interrupt and resume.
CREATE TABLE seal_backlog (
    field TEXT PRIMARY KEY
) STRICT;
INSERT INTO seal_backlog (field) VALUES
    ('accounts.account_number'), ('identities.bvn'), ('customers.id_number'), ('apps.webhook_secret'),
    ('events.payload'), ('idempotency_keys.body'), ('statements.pdf'),
    ('identities.full_name'), ('identities.email'), ('identities.phone'), ('identities.dob'),
    ('identities.address_line1'), ('identities.address_line2'), ('customers.name'), ('customers.phone');

-- Keys derived from the master key for other purposes (the HMAC of
-- account fingerprints, the signature of statement and Connect links) are
-- kept here, sealed, so they survive a master-key rotation: a fingerprint
-- made before it still finds its account after. kobo stores each one the
-- first time it starts with this table, derived as it always was.
CREATE TABLE derived_keys (
    purpose TEXT PRIMARY KEY,
    value   TEXT NOT NULL
) STRICT;

-- What retention prunes by age, and the lookups purges and pruning make.
CREATE INDEX events_created ON events (created_at);
CREATE INDEX deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX statements_created ON statements (created_at);
CREATE INDEX partner_tokens_expires ON partner_tokens (expires_at);
CREATE INDEX reauth_tokens_expires ON reauth_tokens (expires_at);
CREATE INDEX customers_updated ON customers (updated_at);
CREATE INDEX customers_app ON customers (app_id, id);
CREATE INDEX accounts_customer ON accounts (customer_id);
CREATE INDEX accounts_app_id ON accounts (app_id, id);
CREATE INDEX connect_sessions_customer ON connect_sessions (customer_id);
CREATE INDEX deliveries_event_app ON webhook_deliveries (app_id, event_type);
