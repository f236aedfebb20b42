-- Providers that push events (Mono's webhooks) name the account by their
-- own id: find it per app without scanning the app's accounts.
CREATE INDEX accounts_provider_ref ON accounts (app_id, provider_ref);
