-- kobo's own certificates and keys at banks (mTLS client certificates,
-- request-signing keys), imported by the operator with `kobo banks
-- import-cert` and named by entries of the banks file, so every replica
-- reads them from here rather than from files on each host. material is
-- sealed at rest (atrest, field tpp_keys.material, row: the name); the
-- other columns describe the key without revealing it.
CREATE TABLE tpp_keys (
    name        TEXT PRIMARY KEY,
    material    TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    not_after   INTEGER,
    updated_at  INTEGER NOT NULL
) STRICT;
