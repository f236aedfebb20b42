-- An account's other names at its bank (IBAN, sort code and number, US
-- routing and number), beside the NUBAN kept in accounts.account_number.
-- value is sealed at rest like the account number (atrest, field
-- account_identifiers.value, row "<account id> <scheme>").
CREATE TABLE account_identifiers (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheme     TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (account_id, scheme)
) STRICT;
