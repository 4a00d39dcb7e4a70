-- Up Migration

-- An order of the marketplace channel names its platform and its id there, and is paid to the
-- platform; no other order is. Compared as text: the migrations run in one transaction, and the
-- enum values migration 0072 added cannot be used as such before it commits.
ALTER TABLE orders ADD CONSTRAINT orders_marketplace_whole CHECK (
  (channel::text = 'marketplace') = (marketplace IS NOT NULL AND external_id IS NOT NULL)
  AND (channel::text = 'marketplace') = (payment_method::text = 'marketplace'));

-- Down Migration
ALTER TABLE orders DROP CONSTRAINT orders_marketplace_whole;
