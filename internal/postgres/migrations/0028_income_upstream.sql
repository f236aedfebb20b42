-- An income analysis an upstream makes (Mono's income v2 for accounts
-- linked through Mono): which provider, when kobo asked it, the date (the
-- upstream's) of the newest report it had before (older ones are an earlier
-- request's), and why an analysis failed.
ALTER TABLE income_records ADD COLUMN provider text NOT NULL DEFAULT '';
ALTER TABLE income_records ADD COLUMN upstream_at timestamptz;
ALTER TABLE income_records ADD COLUMN upstream_after timestamptz;
ALTER TABLE income_records ADD COLUMN error text NOT NULL DEFAULT '';
