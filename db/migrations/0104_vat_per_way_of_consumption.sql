-- Up Migration

-- A product's VAT follows how it is consumed (CGI art. 278-0 bis (A, 1°), 279 (m), 278; BOI-TVA-LIQ-30-20-10;
-- docs/conformite-caisse.md): food made to be eaten at once is at 10 % taken away or delivered, a
-- non-alcoholic drink sold sealed (a can, a bottle that can be kept) at 5.5 %, alcohol at 20 %. The
-- chain sells two ways (order_fulfilment: pickup, delivery; no eat-in yet), so a product carries
-- one rate for each, set by the accountant in the back office. A line keeps the rate it was sold at
-- (order_items.vat_rate, 0023): the orders already taken keep theirs.
ALTER TABLE products
  ADD COLUMN vat_rate_pickup numeric(3, 1) CHECK (vat_rate_pickup IN (5.5, 10, 20)),
  ADD COLUMN vat_rate_delivery numeric(3, 1) CHECK (vat_rate_delivery IN (5.5, 10, 20));

-- the menu as it stands: the soft drinks at 10 % are the sealed cans and bottles the shops sell, at
-- 5.5 % taken away and delivered; every other product keeps its rate both ways
UPDATE products SET
  vat_rate_pickup = CASE WHEN category = 'drink' AND vat_rate = 10 THEN 5.5 ELSE vat_rate END,
  vat_rate_delivery = CASE WHEN category = 'drink' AND vat_rate = 10 THEN 5.5 ELSE vat_rate END;

ALTER TABLE products
  ALTER COLUMN vat_rate_pickup SET NOT NULL, ALTER COLUMN vat_rate_pickup SET DEFAULT 10,
  ALTER COLUMN vat_rate_delivery SET NOT NULL, ALTER COLUMN vat_rate_delivery SET DEFAULT 10,
  DROP COLUMN vat_rate;

-- Down Migration

ALTER TABLE products ADD COLUMN vat_rate numeric(3, 1) NOT NULL DEFAULT 10 CHECK (vat_rate IN (5.5, 10, 20));
UPDATE products SET vat_rate = CASE WHEN category = 'drink' AND vat_rate_delivery = 5.5 THEN 10 ELSE vat_rate_delivery END;
ALTER TABLE products DROP COLUMN vat_rate_delivery, DROP COLUMN vat_rate_pickup;
