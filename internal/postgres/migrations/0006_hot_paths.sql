-- The SQLite schema clusters transactions by (account_id, date, id) in
-- this migration. PostgreSQL tables are heaps, so the read order is
-- already served by transactions_date; what carries over is dropping the
-- global unique index on id: nothing looks a transaction up by id alone,
-- ids carry 64 random bits, and one fewer index makes every ingested row
-- cheaper.

DROP INDEX IF EXISTS transactions_id;
