-- How many months of history an app's first fetch reads (Mono reads
-- 12). Per app, because a lender scoring on two years of statements and
-- a budgeting app that shows last month want different things; bounded
-- because a longer first fetch is slower for every partner on the queue.
ALTER TABLE apps ADD COLUMN history_months INTEGER NOT NULL DEFAULT 12 CHECK (history_months BETWEEN 1 AND 24);
