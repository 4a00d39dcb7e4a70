-- Up Migration

-- The VAT rate each line was sold at (the product's, options included), kept with the order: a
-- receipt shows the VAT per rate as it was charged, even after head office changes the rate.
ALTER TABLE order_items ADD COLUMN vat_rate numeric(3, 1) NOT NULL DEFAULT 10 CHECK (vat_rate IN (5.5, 10, 20));
UPDATE order_items i SET vat_rate = p.vat_rate FROM products p WHERE p.id = i.product_id AND i.vat_rate <> p.vat_rate;

-- Down Migration

ALTER TABLE order_items DROP COLUMN vat_rate;
