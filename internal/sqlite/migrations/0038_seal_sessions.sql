-- Sessions' IP address and user agent are personal data: from this
-- version they are sealed at rest like the rest. Listing them here has the
-- upgrade pass seal what older versions stored in plaintext; until it has,
-- reads pass the plaintext through.
INSERT INTO seal_backlog (field) VALUES ('partner_tokens.ip'), ('partner_tokens.user_agent');
