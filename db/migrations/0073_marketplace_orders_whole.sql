-- Up Migration

-- An order of the marketplace channel names its platform and its id there, and is paid to the
-- platform; no other order is (the values migration 0072 added, usable from here).
-- (compared as text: the migrations run in one transaction, where the enum values 0072 added cannot
-- be used as such)
ALTER TABLE orders ADD CONSTRAINT orders_marketplace_whole CHECK (
  (channel::text = 'marketplace') = (marketplace IS NOT NULL AND external_id IS NOT NULL)
  AND (channel::text = 'marketplace') = (payment_method::text = 'marketplace'));

-- Down Migration
ALTER TABLE orders DROP CONSTRAINT orders_marketplace_whole;
