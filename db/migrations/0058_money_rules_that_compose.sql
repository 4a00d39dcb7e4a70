-- Up Migration

-- The line loyalty points bought (the basket's dearest pizza when the order was placed): its refund,
-- and only its refund (or a cancel), gives the points back. Without it a refund of everything that
-- was paid (a drink beside the free pizza) gave the points back with the pizza kept.
ALTER TABLE loyalty_redemptions ADD COLUMN item_id integer REFERENCES order_items(id) ON DELETE SET NULL;
UPDATE loyalty_redemptions r SET item_id = (
  SELECT i.id FROM order_items i WHERE i.order_id = r.order_id AND i.category = 'pizza' AND i.unit_price_cents > 0 AND i.quantity > 0
  ORDER BY i.unit_price_cents DESC, i.id LIMIT 1
);

-- A refund of the free pizza gives back no money (it cost nothing), only the points: a row of 0 is
-- kept for it, so the audit, the history and the line's count say it was refunded.
ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_amount_cents_check;
ALTER TABLE order_refunds ADD CONSTRAINT order_refunds_amount_cents_check CHECK (amount_cents > 0 OR (amount_cents = 0 AND lines IS NOT NULL));

-- An order paid in two ways (online, then the rest at the counter or the door) is refunded the way
-- each part came: one request makes a row per way, under the same Idempotency-Key.
ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_idempotency_key_key;
ALTER TABLE order_refunds ADD CONSTRAINT order_refunds_idempotency_key_method_key UNIQUE (idempotency_key, method);

-- The points spent come back on a cancel only; a refund gives them back when it refunds the line they
-- bought (src/lib/server/refunds.ts), not when it reaches the amount paid. The points earned are still
-- taken back by a refund of everything.
CREATE OR REPLACE FUNCTION loyalty_on_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who bigint;
  s loyalty_scheme%ROWTYPE;
BEGIN
  SELECT customer_id INTO who FROM customer_orders WHERE order_id = NEW.id;
  IF who IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT * INTO s FROM loyalty_scheme;
  IF s.active AND NEW.status IN ('delivered', 'collected') AND OLD.status IS DISTINCT FROM NEW.status AND NEW.total_cents >= s.from_cents THEN
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason) VALUES (who, NEW.id, s.points_per_order, 'earned')
    ON CONFLICT (order_id, reason) DO NOTHING;
  END IF;
  IF (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM NEW.status)
     OR (NEW.granted_refund_cents >= NEW.total_cents AND OLD.granted_refund_cents < OLD.total_cents AND NEW.total_cents > 0) THEN
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason)
    SELECT who, NEW.id, -l.points, 'taken_back' FROM loyalty_ledger l WHERE l.order_id = NEW.id AND l.reason = 'earned'
    ON CONFLICT (order_id, reason) DO NOTHING;
  END IF;
  IF NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM NEW.status THEN
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason)
    SELECT who, NEW.id, -l.points, 'returned' FROM loyalty_ledger l WHERE l.order_id = NEW.id AND l.reason = 'spent'
    ON CONFLICT (order_id, reason) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

-- Down Migration

CREATE OR REPLACE FUNCTION loyalty_on_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who bigint;
  s loyalty_scheme%ROWTYPE;
BEGIN
  SELECT customer_id INTO who FROM customer_orders WHERE order_id = NEW.id;
  IF who IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT * INTO s FROM loyalty_scheme;
  IF s.active AND NEW.status IN ('delivered', 'collected') AND OLD.status IS DISTINCT FROM NEW.status AND NEW.total_cents >= s.from_cents THEN
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason) VALUES (who, NEW.id, s.points_per_order, 'earned')
    ON CONFLICT (order_id, reason) DO NOTHING;
  END IF;
  IF (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM NEW.status)
     OR (NEW.granted_refund_cents >= NEW.total_cents AND OLD.granted_refund_cents < OLD.total_cents AND NEW.total_cents > 0) THEN
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason)
    SELECT who, NEW.id, -l.points, 'taken_back' FROM loyalty_ledger l WHERE l.order_id = NEW.id AND l.reason = 'earned'
    ON CONFLICT (order_id, reason) DO NOTHING;
    INSERT INTO loyalty_ledger (customer_id, order_id, points, reason)
    SELECT who, NEW.id, -l.points, 'returned' FROM loyalty_ledger l WHERE l.order_id = NEW.id AND l.reason = 'spent'
    ON CONFLICT (order_id, reason) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_idempotency_key_method_key;
UPDATE order_refunds SET idempotency_key = NULL
WHERE method = 'cash' AND idempotency_key IN (SELECT idempotency_key FROM order_refunds GROUP BY idempotency_key HAVING count(*) > 1);
ALTER TABLE order_refunds ADD CONSTRAINT order_refunds_idempotency_key_key UNIQUE (idempotency_key);
DELETE FROM order_refunds WHERE amount_cents = 0;
ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_amount_cents_check;
ALTER TABLE order_refunds ADD CONSTRAINT order_refunds_amount_cents_check CHECK (amount_cents > 0);
ALTER TABLE loyalty_redemptions DROP COLUMN item_id;
