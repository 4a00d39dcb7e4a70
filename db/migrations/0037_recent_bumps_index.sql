-- Up Migration

-- The kitchen's last bumps, one tap away (GET /api/shops/:id/recent-bumps): a shop's orders whose
-- latest move out of the oven or over the counter (ready, collected, out for delivery) was in the
-- last 15 minutes. Without this, every look at the strip reads the shop's whole history.
-- (0035 added orders.urgent and the ready → preparing recall; a recall clears ready_at, so a
-- recalled order leaves this index's recent end until it is bumped again.)
CREATE INDEX orders_last_bump ON orders (pizzeria_id, (greatest(ready_at, collected_at, out_for_delivery_at)));

-- Down Migration

DROP INDEX orders_last_bump;
