-- Up Migration

-- The menu kept in the back office: each product's VAT rate (France: 10 % for food and soft drinks
-- served or taken away, 20 % for alcohol, 5.5 % for food sold to keep) and its dietary tags.
ALTER TABLE products
  ADD COLUMN vat_rate numeric(3, 1) NOT NULL DEFAULT 10 CHECK (vat_rate IN (5.5, 10, 20)),
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}' CHECK (tags <@ ARRAY['vegetarian', 'spicy']);

-- Down Migration

ALTER TABLE products DROP COLUMN tags, DROP COLUMN vat_rate;
