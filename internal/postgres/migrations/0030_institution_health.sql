-- Institution health. bank_calls counts kobo's own calls to each bank, per
-- scope ('live', shared by every live app, or 'test:<app id>', one app's
-- sandbox) and minute: the status GET /v3/institutions shows is computed
-- from the last minutes of it, the same on every replica. Counters older
-- than a day are pruned, so the table stays at most scopes x institutions
-- x 1440 rows, and only minutes that saw calls have a row.
CREATE TABLE bank_calls (
    scope          text NOT NULL,
    institution_id text NOT NULL,
    minute         timestamptz NOT NULL,
    calls          integer NOT NULL DEFAULT 0,
    errors         integer NOT NULL DEFAULT 0,
    slow           integer NOT NULL DEFAULT 0,
    last_error_at  timestamptz,
    PRIMARY KEY (scope, institution_id, minute)
);

-- pruning by age across scopes
CREATE INDEX bank_calls_minute ON bank_calls (minute);

-- The operator's note on an institution (planned maintenance, a known
-- outage), shown in place of kobo's own; status '' keeps kobo's own status.
CREATE TABLE institution_notes (
    institution_id text PRIMARY KEY,
    status         text NOT NULL CHECK (status IN ('', 'degraded', 'down')),
    note           text NOT NULL,
    set_by         text NOT NULL,
    updated_at     timestamptz NOT NULL
);
