-- Up Migration

-- Customer orders for later paid at the door hold their stock from the moment they are placed, days
-- ahead if their slot is: while their fire time is far, they now count with the unpaid online orders
-- against a client's allowance and the shop's unpaid share (src/lib/server/orders/limits.ts). The
-- shop's share reads them at each such order: few rows, found by shop.
CREATE INDEX orders_held_ahead ON orders (pizzeria_id)
  WHERE channel = 'online' AND status = 'received' AND payment_status = 'due' AND fired_at IS NULL AND fire_at IS NOT NULL;

-- Who was refused for holding too much, per shop: the manager's alert "held_stock" (a client trying to
-- hold more than its allowance, or the shop's share of unpaid holdings reached). One row per shop and
-- client (its phone in E.164; '' for the shop's share), counting its refusals since the first of the
-- last twelve hours: what a flood of refusals writes is bounded by the clients it comes from. Rows
-- older than a day are dropped when the shop's next refusal is recorded.
CREATE TABLE held_stock_refusals (
  pizzeria_id integer NOT NULL REFERENCES pizzerias (id) ON DELETE CASCADE,
  client text NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  first_at timestamptz NOT NULL DEFAULT now(),
  last_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pizzeria_id, client)
);

-- Down Migration

DROP TABLE held_stock_refusals;
DROP INDEX orders_held_ahead;
