-- Connect sessions, customers, accounts with their transactions and
-- identity, the job queue, events, and idempotency records.

CREATE TABLE customers (
    id         text PRIMARY KEY,
    app_id     text NOT NULL REFERENCES apps (id),
    live       boolean NOT NULL,
    name       text NOT NULL DEFAULT '',
    email      text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    id_type    text NOT NULL DEFAULT '',
    id_number  text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX customers_email ON customers (app_id, live, email);

CREATE TABLE connect_sessions (
    id              text PRIMARY KEY,
    app_id          text NOT NULL REFERENCES apps (id),
    live            boolean NOT NULL,
    institution_id  text NOT NULL,
    auth_method     text NOT NULL,
    scope           text NOT NULL,
    state           text NOT NULL,
    customer_id     text NOT NULL DEFAULT '',
    customer_name   text NOT NULL DEFAULT '',
    customer_email  text NOT NULL DEFAULT '',
    reference       text NOT NULL DEFAULT '',
    account_id      text NOT NULL DEFAULT '',
    form            jsonb NOT NULL,
    challenge       text NOT NULL DEFAULT '',
    bank_session    text NOT NULL DEFAULT '',
    accounts        text NOT NULL DEFAULT '',
    attempts        integer NOT NULL DEFAULT 0,
    failure         text NOT NULL DEFAULT '',
    code_hash       text UNIQUE,
    code_expires_at timestamptz,
    busy_until      timestamptz,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX connect_sessions_expires ON connect_sessions (expires_at);

CREATE TABLE accounts (
    id              text PRIMARY KEY,
    app_id          text NOT NULL REFERENCES apps (id),
    live            boolean NOT NULL,
    customer_id     text NOT NULL DEFAULT '',
    institution_id  text NOT NULL,
    auth_method     text NOT NULL,
    provider_ref    text NOT NULL,
    name            text NOT NULL,
    account_number  text NOT NULL,
    fingerprint     text NOT NULL,
    type            text NOT NULL,
    currency        text NOT NULL,
    balance         bigint NOT NULL,
    bvn_last4       text NOT NULL DEFAULT '',
    data_status     text NOT NULL,
    retrieved_data  jsonb NOT NULL DEFAULT '[]',
    reauth_required boolean NOT NULL DEFAULT false,
    reference       text NOT NULL DEFAULT '',
    session_id      text NOT NULL DEFAULT '',
    credentials     text NOT NULL DEFAULT '',
    last_synced_at  timestamptz,
    next_sync_at    timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX accounts_app ON accounts (app_id, live, created_at);
CREATE INDEX accounts_fingerprint ON accounts (app_id, live, fingerprint);
CREATE INDEX accounts_next_sync ON accounts (next_sync_at) WHERE next_sync_at IS NOT NULL;

CREATE TABLE transactions (
    account_id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id           text NOT NULL,
    provider_ref text NOT NULL,
    seq          bigint NOT NULL,
    type         text NOT NULL CHECK (type IN ('debit', 'credit')),
    amount       bigint NOT NULL,
    narration    text NOT NULL,
    date         timestamptz NOT NULL,
    balance      bigint,
    currency     text NOT NULL,
    category     text NOT NULL DEFAULT 'unknown',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, provider_ref)
);
CREATE UNIQUE INDEX transactions_id ON transactions (id);
CREATE INDEX transactions_date ON transactions (account_id, date DESC, id DESC);
CREATE INDEX transactions_seq ON transactions (account_id, seq);

CREATE TABLE identities (
    account_id      text PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    full_name       text NOT NULL,
    email           text NOT NULL,
    phone           text NOT NULL,
    gender          text NOT NULL,
    dob             text NOT NULL,
    bvn             text NOT NULL,
    marital_status  text NOT NULL,
    address_line1   text NOT NULL,
    address_line2   text NOT NULL,
    state_of_origin text NOT NULL,
    lga_of_origin   text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE jobs (
    id           text PRIMARY KEY,
    kind         text NOT NULL,
    args         text NOT NULL,
    unique_key   text,
    status       text NOT NULL,
    priority     integer NOT NULL DEFAULT 0,
    attempt      integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    run_at       timestamptz NOT NULL,
    locked_by    text NOT NULL DEFAULT '',
    locked_until timestamptz,
    last_error   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
CREATE UNIQUE INDEX jobs_unique ON jobs (unique_key) WHERE unique_key IS NOT NULL AND status IN ('available', 'running');
CREATE INDEX jobs_available ON jobs (priority, run_at) WHERE status = 'available';
CREATE INDEX jobs_running ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE events (
    seq        bigserial PRIMARY KEY,
    id         text NOT NULL UNIQUE,
    app_id     text NOT NULL,
    live       boolean NOT NULL,
    type       text NOT NULL,
    account_id text NOT NULL DEFAULT '',
    payload    text NOT NULL, -- exact bytes: replays send what was rendered
    created_at timestamptz NOT NULL
);
CREATE INDEX events_app ON events (app_id, live, seq);
CREATE INDEX events_account ON events (account_id, seq);

CREATE TABLE idempotency_keys (
    app_id       text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       integer NOT NULL DEFAULT 0,
    body         bytea,
    content_type text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (app_id, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
