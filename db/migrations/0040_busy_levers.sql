-- Up Migration

-- The manager's "busy" lever on the live page: minutes added to every promise of the shop's new
-- orders in a rush (+10, +20), besides pausing online orders. A change tells every hub
-- (shop_changed), which tells the shop's open storefronts and screens at once.
ALTER TABLE pizzerias ADD COLUMN busy_minutes integer NOT NULL DEFAULT 0 CHECK (busy_minutes BETWEEN 0 AND 60);

-- Down Migration

ALTER TABLE pizzerias DROP COLUMN busy_minutes;
