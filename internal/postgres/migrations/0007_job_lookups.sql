-- Job lookups that walked the whole table once it grew.
--
-- The latest job of an account (a manual sync checks it on every call)
-- had only a partial index, WHERE account_id <> '', and a planner cannot
-- prove that a bound account id is not '', so it scanned every job,
-- finished ones included, and sorted them. A plain index, in the order
-- the lookup reads, makes it one seek.
DROP INDEX jobs_account;
CREATE INDEX jobs_account ON jobs (account_id, created_at DESC, id DESC);

-- When the next job is due: the earliest run_at of any available job.
-- jobs_available leads with priority (the claim's order), so min(run_at)
-- read every available entry; under a backlog of first fetches the
-- runner's sleep cost more than its work.
CREATE INDEX jobs_available_at ON jobs (run_at) WHERE status = 'available';
