-- Up Migration

-- A platform order is paid to the platform: its money is recorded as taken that way (usable from
-- the next migration on, and by the services).
ALTER TYPE paid_with ADD VALUE IF NOT EXISTS 'marketplace';

-- A delivery platform may cancel an order the kitchen has already started (the customer cancelled on
-- the platform, or the platform gave up on it): the workers cancel it here too, as the system, with
-- the platform as its reason, so the kitchen hears it was the platform.
INSERT INTO order_transitions VALUES ('preparing', 'cancelled') ON CONFLICT DO NOTHING;
ALTER TABLE orders DROP CONSTRAINT orders_cancel_reason_check,
  ADD CONSTRAINT orders_cancel_reason_check CHECK (cancel_reason IN ('customer', 'shop', 'payment_expired', 'delivery_failed', 'platform'));

-- What each platform store was last told of an item's availability (our ids as pushed: p<id>, o<id>):
-- a sold-out or back-in-stock is sent once, whichever worker notices it, and again after a restart
-- only if it changed meanwhile. An item without a row is on sale, as the menu pushed it.
CREATE TABLE marketplace_availability (
  marketplace  text NOT NULL,
  store_id     text NOT NULL,
  item_id      text NOT NULL,
  available    boolean NOT NULL,
  told_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (marketplace, store_id, item_id)
);

-- The store's status as last told to the platform (open or paused, busy minutes): sent when it changes.
ALTER TABLE marketplace_stores ADD COLUMN told_status jsonb;

-- Down Migration
DROP TABLE marketplace_availability;
ALTER TABLE marketplace_stores DROP COLUMN told_status;
ALTER TABLE orders DROP CONSTRAINT orders_cancel_reason_check,
  ADD CONSTRAINT orders_cancel_reason_check CHECK (cancel_reason IN ('customer', 'shop', 'payment_expired', 'delivery_failed'));
DELETE FROM order_transitions WHERE (from_status, to_status) = ('preparing', 'cancelled');
