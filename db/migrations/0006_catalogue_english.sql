-- Up Migration

-- English text for the catalogue, shown to visitors who read the site in English.
-- NULL means "no translation yet": the French text is shown instead. The demo chain's
-- English text comes with its seed (db/catalogue.ts), which `migrate` runs right after.
ALTER TABLE products
  ADD COLUMN name_en        text,
  ADD COLUMN description_en text,
  ADD COLUMN steps_en       text[];

ALTER TABLE ingredients
  ADD COLUMN name_en text;
