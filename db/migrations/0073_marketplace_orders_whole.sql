-- Up Migration

-- An order of the marketplace channel names its platform and its id there, and is paid to the
-- platform; no other order is (the values migration 0072 added, usable from here).
ALTER TABLE orders ADD CONSTRAINT orders_marketplace_whole CHECK (
  (channel = 'marketplace') = (marketplace IS NOT NULL AND external_id IS NOT NULL)
  AND (channel = 'marketplace') = (payment_method = 'marketplace'));

-- Down Migration
ALTER TABLE orders DROP CONSTRAINT orders_marketplace_whole;
