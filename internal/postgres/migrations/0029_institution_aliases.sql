-- What customers search a bank by besides its name (short names such as
-- "GTB", former names such as "Guaranty Trust Bank"), and its place in the
-- widget's popular banks (1 first; 0 is not among them). Catalog data,
-- seeded with the institutions.
ALTER TABLE institutions ADD COLUMN aliases text[] NOT NULL DEFAULT '{}';
ALTER TABLE institutions ADD COLUMN popularity integer NOT NULL DEFAULT 0;
