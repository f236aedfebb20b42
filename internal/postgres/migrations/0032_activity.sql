-- The API request log keeps, for a 4xx or 5xx, the error body kobo
-- answered with (kobo's own public message, at most 1 KiB, masked), so a
-- partner can read why a call failed without reproducing it.

ALTER TABLE api_requests ADD COLUMN error_body text NOT NULL DEFAULT '';
