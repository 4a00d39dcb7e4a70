-- Up Migration

-- A shop's stock rows (one per ingredient: every pizza needs the mozzarella) were the chain's
-- busiest rows: each order that went into the oven updated them, and held them until it committed,
-- so a shop's moves queued behind each other. Free stock is on_hand - reserved, and consuming an
-- order's reservation lowers both by the same amount: it changes nothing anyone can see. So the
-- kitchen starting an order now writes nothing to the stock: an order's reservation counts as
-- consumed once the order has started (preparing_at is set), and the workers fold consumed
-- reservations into the stock rows every few seconds, many orders in one update.

-- Reserves an order's needs in one call: each ingredient only if the shop still has it free, the
-- rows locked in ingredient order (so two orders of one shop never deadlock). Returns the
-- ingredients that were short; then nothing is recorded and the caller refuses the order (its
-- transaction rolls back what was reserved before the shortage).
CREATE FUNCTION reserve_stock(p_order uuid, p_shop integer, p_ingredients integer[], p_quantities integer[])
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
  need record;
BEGIN
  FOR need IN SELECT i.id, q.qty FROM unnest(p_ingredients) WITH ORDINALITY AS i(id, n)
                JOIN unnest(p_quantities) WITH ORDINALITY AS q(qty, n) USING (n) ORDER BY i.id LOOP
    UPDATE stock SET reserved = reserved + need.qty
    WHERE pizzeria_id = p_shop AND ingredient_id = need.id AND on_hand - reserved >= need.qty;
    IF NOT FOUND THEN
      RETURN ARRAY(SELECT s.id FROM unnest(p_ingredients) WITH ORDINALITY AS s(id, n)
                   JOIN unnest(p_quantities) WITH ORDINALITY AS q(qty, n) USING (n)
                   WHERE NOT EXISTS (SELECT 1 FROM stock t WHERE t.pizzeria_id = p_shop AND t.ingredient_id = s.id
                                       AND t.on_hand - t.reserved >= q.qty));
    END IF;
  END LOOP;
  INSERT INTO stock_reservations (order_id, pizzeria_id, ingredient_id, quantity)
  SELECT p_order, p_shop, i.id, q.qty FROM unnest(p_ingredients) WITH ORDINALITY AS i(id, n)
    JOIN unnest(p_quantities) WITH ORDINALITY AS q(qty, n) USING (n);
  RETURN '{}';
END $$;

-- Gives back what an order holds (a cancel, a change before the kitchen starts), stock rows in
-- ingredient order. What the kitchen already used stays used.
CREATE FUNCTION release_stock(p_order uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN WITH gone AS (
             DELETE FROM stock_reservations s USING orders o
             WHERE s.order_id = p_order AND o.id = s.order_id AND o.preparing_at IS NULL
             RETURNING s.pizzeria_id, s.ingredient_id, s.quantity)
           SELECT * FROM gone ORDER BY ingredient_id LOOP
    UPDATE stock SET reserved = reserved - r.quantity WHERE pizzeria_id = r.pizzeria_id AND ingredient_id = r.ingredient_id;
  END LOOP;
END $$;

-- Folds consumed reservations (of orders the kitchen started) into the stock rows (on hand and
-- reserved both go down), one update per stock row, rows in (shop, ingredient) order. Returns the
-- number of stock rows updated.
CREATE FUNCTION fold_consumed_stock() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  FOR r IN WITH used AS (
             DELETE FROM stock_reservations s USING orders o
             WHERE o.id = s.order_id AND o.preparing_at IS NOT NULL
             RETURNING s.pizzeria_id, s.ingredient_id, s.quantity)
           SELECT pizzeria_id, ingredient_id, sum(quantity)::integer AS quantity FROM used
           GROUP BY pizzeria_id, ingredient_id ORDER BY pizzeria_id, ingredient_id LOOP
    UPDATE stock SET reserved = reserved - r.quantity, on_hand = on_hand - r.quantity
    WHERE pizzeria_id = r.pizzeria_id AND ingredient_id = r.ingredient_id;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;

-- The shop's stock as a person counts it: on the shelf (what is not yet used by the kitchen),
-- held by orders not yet in the oven, and free to sell.
CREATE VIEW stock_levels AS
SELECT s.pizzeria_id, s.ingredient_id, s.low_threshold,
       s.on_hand - coalesce(c.used, 0) AS on_hand,
       s.reserved - coalesce(c.used, 0) AS reserved,
       s.on_hand - s.reserved AS free
FROM stock s
LEFT JOIN (SELECT s.pizzeria_id, s.ingredient_id, sum(s.quantity)::integer AS used
           FROM stock_reservations s JOIN orders o ON o.id = s.order_id
           WHERE o.preparing_at IS NOT NULL GROUP BY s.pizzeria_id, s.ingredient_id) c
  USING (pizzeria_id, ingredient_id);
