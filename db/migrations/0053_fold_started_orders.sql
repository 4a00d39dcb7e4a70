-- Up Migration

-- Folding looked for the started orders among every reservation of the evening: each batch of a
-- hundred joined all the shops' reservations with all their started orders (a hash join over tens
-- of thousands of rows, dead ones included), so in a rush a fold of two thousand started orders
-- was twenty batches of 10-25 ms, a second of Postgres' CPU every ten seconds in the middle of the
-- kitchens' moves. The workers hear of every order the kitchen starts (its event): they now fold
-- those orders by id, through the reservations' primary key; the sweep over everything
-- (fold_consumed_stock_batch) stays, less often, for what an event did not bring (a worker stopped).
-- Same rules: only an order the kitchen started gives up its reservation, each stock row updated
-- once, rows in (shop, ingredient) order (the order every stock lock is taken in).
-- (The orders and their reservations are reached by primary key whatever the tables' statistics
-- say: a hundred orders of a table of thousands, where stale statistics led the planner to read
-- every started order and hash them.)
CREATE FUNCTION fold_consumed_stock_of(order_ids uuid[], OUT orders integer, OUT stock_rows integer)
LANGUAGE plpgsql SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  r record;
BEGIN
  orders := 0;
  stock_rows := 0;
  FOR r IN WITH used AS (
             -- (joined to the ids, not "= ANY": the plan made once for any array read that as a
             -- scan of every reservation)
             DELETE FROM stock_reservations s USING unnest(order_ids) AS t(id), orders o
             WHERE s.order_id = t.id AND o.id = t.id AND o.preparing_at IS NOT NULL
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

DROP FUNCTION fold_consumed_stock_of(uuid[]);
