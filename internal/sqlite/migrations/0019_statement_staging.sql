-- Widget uploads are staged in their connect session until the partner
-- exchanges the code: the session they belong to, and the index the
-- pruning of abandoned ones (and the exchange) reads.
ALTER TABLE statement_uploads ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
CREATE INDEX statement_uploads_staged ON statement_uploads (session_id, created_at) WHERE status = 'STAGED';
