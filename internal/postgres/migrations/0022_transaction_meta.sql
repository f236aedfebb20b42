-- A transaction's detail beyond Mono's shape (kobo.TxnMeta): the
-- open-banking standards' counterparty, merchant, references and codes, as
-- a JSON object of strings. NULL for sources that have none. Account and
-- card numbers appear in it only as their last 4 characters, so nothing in
-- it is sealed at rest.
ALTER TABLE transactions ADD COLUMN meta text;
