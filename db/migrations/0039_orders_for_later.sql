-- Up Migration

-- Orders for later, and the kitchen's capacity per 15-minute slot.
--
-- A product takes the oven's time: its make and bake minutes (NULL: its kind's, see
-- src/lib/domain/slots.ts: a pizza 3 + 6, anything else none); a size scales them (a 40 cm pizza
-- takes longer to stretch and bake than a 30 cm one). A shop can make so many oven minutes per
-- 15-minute slot (two pizzaiolos and an oven of six: 120 by default).
ALTER TABLE products
  ADD COLUMN make_minutes numeric(4, 1) CHECK (make_minutes BETWEEN 0 AND 120),
  ADD COLUMN bake_minutes numeric(4, 1) CHECK (bake_minutes BETWEEN 0 AND 120);
ALTER TABLE product_options
  ADD COLUMN time_factor numeric(3, 2) NOT NULL DEFAULT 1 CHECK (time_factor BETWEEN 0.25 AND 4);
UPDATE product_options SET time_factor = 1.3 WHERE kind = 'size';
ALTER TABLE pizzerias
  ADD COLUMN oven_minutes_per_slot integer NOT NULL DEFAULT 120 CHECK (oven_minutes_per_slot BETWEEN 10 AND 5000);

-- An order takes its oven minutes from one slot: the one it is due in (an order for as soon as
-- possible: its promise; an order for later: the slot its customer chose, `wanted_at`). An order
-- for later waits to be fired (`fire_at`: when it enters the make line so that it is at the door in
-- its slot); the workers fire it then (`fired_at`), or a manager before. A cancelled order frees its
-- slot (the load counts what is not cancelled).
ALTER TABLE orders
  ADD COLUMN oven_minutes numeric(6, 1) NOT NULL DEFAULT 0,
  ADD COLUMN slot_at timestamptz,
  ADD COLUMN wanted_at timestamptz,
  ADD COLUMN fire_at timestamptz,
  ADD COLUMN fired_at timestamptz,
  ADD CONSTRAINT orders_for_later CHECK ((wanted_at IS NULL) = (fire_at IS NULL));
UPDATE orders SET slot_at = to_timestamp(floor(extract(epoch FROM coalesce(promised_at, created_at)) / 900) * 900)
  WHERE status NOT IN ('delivered', 'collected', 'cancelled');
CREATE INDEX orders_slot_load ON orders (pizzeria_id, slot_at) INCLUDE (oven_minutes) WHERE status <> 'cancelled';
-- what the workers fire next
CREATE INDEX orders_to_fire ON orders (fire_at) WHERE fire_at IS NOT NULL AND fired_at IS NULL AND status IN ('pending_payment', 'received');

-- Down Migration

DROP INDEX orders_to_fire;
DROP INDEX orders_slot_load;
ALTER TABLE orders DROP CONSTRAINT orders_for_later,
  DROP COLUMN fired_at, DROP COLUMN fire_at, DROP COLUMN wanted_at, DROP COLUMN slot_at, DROP COLUMN oven_minutes;
ALTER TABLE pizzerias DROP COLUMN oven_minutes_per_slot;
ALTER TABLE product_options DROP COLUMN time_factor;
ALTER TABLE products DROP COLUMN bake_minutes, DROP COLUMN make_minutes;
