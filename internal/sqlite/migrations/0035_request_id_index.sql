-- The API log's "request id" filter answers a partner quoting the
-- X-Request-Id of one failed call. Without an index it read every retained
-- row of the app (up to the log's size cap) to find one; with it, a seek.
CREATE INDEX api_requests_request_id ON api_requests (app_id, request_id);
