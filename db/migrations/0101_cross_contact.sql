-- Up Migration

-- What a shop says of cross-contact ("peut contenir"): one kitchen, one oven, one flour, so traces
-- of every allergen of the menu are possible in any recipe. Head office may word it for each shop,
-- in French and in English; empty, the chain's statement is shown (src/lib/i18n: allergyNote.crossContact).
-- It is shown before ordering (the storefront, beside the allergen filter) and printed on each box's label.
ALTER TABLE pizzerias
  ADD COLUMN cross_contact_fr text CHECK (char_length(cross_contact_fr) <= 400),
  ADD COLUMN cross_contact_en text CHECK (char_length(cross_contact_en) <= 400);

-- Down Migration

ALTER TABLE pizzerias DROP COLUMN cross_contact_en, DROP COLUMN cross_contact_fr;
