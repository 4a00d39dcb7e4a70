-- Up Migration

-- Loyalty points of signed-in customers (a guest earns none): a ledger, so a balance is a sum.
-- The scheme (src/lib/domain/loyalty.ts): 10 points for an order of the customer's account paid at
-- least 10 EUR, earned when it is handed over (delivered or collected: then it is paid, whichever way
-- it was paid), taken back if it is cancelled or refunded in full after. One row per order and
-- reason, so a repeated move never earns twice.
CREATE TABLE loyalty_ledger (
  id           bigserial PRIMARY KEY,
  customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  order_id     uuid REFERENCES orders(id) ON DELETE SET NULL,
  points       integer NOT NULL CHECK (points <> 0),
  reason       text NOT NULL CHECK (reason IN ('earned', 'taken_back')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, reason)
);
CREATE INDEX loyalty_ledger_customer ON loyalty_ledger (customer_id, created_at DESC);

-- Earned in the transaction that hands the order over; taken back in the one that cancels it or
-- refunds it whole. In the database, beside the order's own columns, so every road that moves an
-- order (the API, the driver's app, the workers) counts it once.
CREATE FUNCTION loyalty_on_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who bigint;
BEGIN
  SELECT customer_id INTO who FROM customer_orders WHERE order_id = NEW.id;
  IF who IS NULL THEN
    RETURN NULL;
  END IF;
  IF NEW.status IN ('delivered', 'collected') AND OLD.status IS DISTINCT FROM NEW.status AND NEW.total_cents >= 1000 THEN
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason) VALUES (who, NEW.id, 10, 'earned')
    ON CONFLICT (order_id, reason) DO NOTHING;
  END IF;
  IF (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM NEW.status)
     OR (NEW.granted_refund_cents >= NEW.total_cents AND OLD.granted_refund_cents < OLD.total_cents AND NEW.total_cents > 0) THEN
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason)
    SELECT who, NEW.id, -l.points, 'taken_back' FROM loyalty_ledger l WHERE l.order_id = NEW.id AND l.reason = 'earned'
    ON CONFLICT (order_id, reason) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER orders_loyalty AFTER UPDATE OF status, granted_refund_cents ON orders
  -- only the moves that end an order (and a refund) wake it: the kitchen's and the road's moves in between pay nothing for it
  FOR EACH ROW WHEN ((OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('delivered', 'collected', 'cancelled'))
    OR OLD.granted_refund_cents IS DISTINCT FROM NEW.granted_refund_cents)
  EXECUTE FUNCTION loyalty_on_order();

-- Down Migration

DROP TRIGGER orders_loyalty ON orders;
DROP FUNCTION loyalty_on_order();
DROP TABLE loyalty_ledger;
