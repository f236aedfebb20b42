-- The SQLite schema clusters transactions by (account_id, date, id) in
-- this migration. PostgreSQL tables are heaps, so the read order is
-- already served by transactions_date; what carries over is dropping the
-- global unique index on id: nothing looks a transaction up by id alone,
-- ids carry 64 random bits, and one fewer index makes every ingested row
-- cheaper.

DROP INDEX IF EXISTS transactions_id;

-- Webhook deliveries carry whether they may go (ready): see the SQLite
-- migration. On PostgreSQL the rule is kept under a per-account advisory
-- lock, so a delivery recorded while the one before it finishes on
-- another replica is never left waiting.
ALTER TABLE webhook_deliveries ADD COLUMN ready boolean NOT NULL DEFAULT true;
UPDATE webhook_deliveries d SET ready = false
WHERE d.status = 'pending' AND d.attempts = 0 AND EXISTS (
    SELECT 1 FROM webhook_deliveries e
    WHERE e.app_id = d.app_id AND e.account_id = d.account_id AND e.event_seq < d.event_seq
      AND e.status IN ('pending', 'delivering') AND (e.status = 'delivering' OR e.attempts = 0));
DROP INDEX IF EXISTS deliveries_due;
CREATE INDEX deliveries_ready ON webhook_deliveries (next_attempt_at) WHERE status = 'pending' AND ready;
-- Nothing looks deliveries up by event; the index only cost every insert.
DROP INDEX IF EXISTS deliveries_event;
