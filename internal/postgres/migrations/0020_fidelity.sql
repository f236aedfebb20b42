-- Mono fidelity, round 2 (issue 18).
--
-- Customers as Mono's /v2/customers has them: an address (sealed, like the
-- name and phone) and whether the customer is an individual or a business.
ALTER TABLE customers ADD COLUMN address text NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN kind text NOT NULL DEFAULT 'individual';
CREATE INDEX customers_list ON customers (app_id, live, created_at);

-- Enrichment jobs of a linked account: statement insights,
-- credit-worthiness, transaction categorisation and metadata. args is the
-- request (JSON), result what the job computed (JSON).
CREATE TABLE enrichments (
    id         text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id     text NOT NULL,
    kind       text NOT NULL,
    status     text NOT NULL,
    args       text NOT NULL DEFAULT '',
    result     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    done_at    timestamptz
);
CREATE INDEX enrichments_account ON enrichments (account_id, kind, created_at);

-- The address joins the sealed fields. No kobo before this one stored an
-- address, so the upgrade pass finds nothing to seal and clears the entry;
-- listing it keeps the address in step with every other sealed field
-- (the plaintext reads of an unfinished upgrade, then strict reads).
INSERT INTO seal_backlog (field) VALUES ('customers.address');
