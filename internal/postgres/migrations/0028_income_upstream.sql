-- An income analysis an upstream makes (Mono's income v2 for accounts
-- linked through Mono): which provider, when kobo asked it (reports it made
-- before are an earlier request's), and why an analysis failed.
ALTER TABLE income_records ADD COLUMN provider text NOT NULL DEFAULT '';
ALTER TABLE income_records ADD COLUMN upstream_at timestamptz;
ALTER TABLE income_records ADD COLUMN error text NOT NULL DEFAULT '';
