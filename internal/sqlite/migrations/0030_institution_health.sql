-- Institution health. bank_calls counts kobo's own calls to each bank, per
-- scope ('live', shared by every live app, or 'test:<app id>', one app's
-- sandbox) and minute: the status GET /v3/institutions shows is computed
-- from the last minutes of it, the same on every replica. Counters older
-- than a day are pruned, so the table stays at most scopes x institutions
-- x 1440 rows, and only minutes that saw calls have a row.
CREATE TABLE bank_calls (
    scope          TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    minute         INTEGER NOT NULL,
    calls          INTEGER NOT NULL DEFAULT 0,
    errors         INTEGER NOT NULL DEFAULT 0,
    slow           INTEGER NOT NULL DEFAULT 0,
    last_error_at  INTEGER,
    PRIMARY KEY (scope, institution_id, minute)
) STRICT;

-- pruning by age across scopes
CREATE INDEX bank_calls_minute ON bank_calls (minute);

-- The operator's note on an institution (planned maintenance, a known
-- outage), shown in place of kobo's own; status '' keeps kobo's own status.
CREATE TABLE institution_notes (
    institution_id TEXT PRIMARY KEY,
    status         TEXT NOT NULL CHECK (status IN ('', 'degraded', 'down')),
    note           TEXT NOT NULL,
    set_by         TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
