-- Up Migration

-- The workers folded every started order's reservation into the stock rows in one transaction
-- every 10 s: in a rush, two thousand orders and ten thousand deleted reservations at once, and
-- every kitchen move of that moment waited 100-200 ms behind its WAL. Now it folds at most
-- `max_orders` started orders a call, and the workers call it again, after a pause, until fewer
-- come back. Returns how many orders were folded and how many stock rows were updated.
CREATE FUNCTION fold_consumed_stock_batch(max_orders integer, OUT orders integer, OUT stock_rows integer)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  orders := 0;
  stock_rows := 0;
  FOR r IN WITH started AS (
             SELECT DISTINCT s.order_id FROM stock_reservations s JOIN orders o ON o.id = s.order_id
             WHERE o.preparing_at IS NOT NULL LIMIT max_orders
           ), used AS (
             DELETE FROM stock_reservations s USING started t WHERE s.order_id = t.order_id
             RETURNING s.order_id, s.pizzeria_id, s.ingredient_id, s.quantity
           )
           SELECT u.pizzeria_id, u.ingredient_id, sum(u.quantity)::integer AS quantity,
                  (SELECT count(DISTINCT order_id) FROM used)::integer AS folded
           FROM used u GROUP BY u.pizzeria_id, u.ingredient_id ORDER BY u.pizzeria_id, u.ingredient_id LOOP
    UPDATE stock SET reserved = reserved - r.quantity, on_hand = on_hand - r.quantity
    WHERE pizzeria_id = r.pizzeria_id AND ingredient_id = r.ingredient_id;
    orders := r.folded;
    stock_rows := stock_rows + 1;
  END LOOP;
END $$;

-- Down Migration

DROP FUNCTION fold_consumed_stock_batch(integer);
