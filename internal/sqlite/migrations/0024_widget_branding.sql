-- What an app's Connect widget shows besides its name and logo: the
-- partner's privacy policy and terms (linked from the consent screen, as
-- Plaid and Mono do) and an accent colour. Empty means not set: the
-- widget links kobo's own terms and uses its default colour.
ALTER TABLE apps ADD COLUMN privacy_url TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN terms_url TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN brand_color TEXT NOT NULL DEFAULT '';
