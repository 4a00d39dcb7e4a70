-- Up Migration

-- The loyalty scheme, as head office states it on the back office (one row, audited): points per
-- order from an amount paid, and the reward they buy: at reward_points, one pizza of the basket
-- free (its price, up to reward_max_cents). Turned off, nobody earns or spends; balances stay.
CREATE TABLE loyalty_scheme (
  id                boolean PRIMARY KEY DEFAULT true CHECK (id),
  active            boolean NOT NULL DEFAULT true,
  points_per_order  integer NOT NULL DEFAULT 10 CHECK (points_per_order BETWEEN 1 AND 1000),
  from_cents        integer NOT NULL DEFAULT 1000 CHECK (from_cents BETWEEN 0 AND 1000000),
  reward_points     integer NOT NULL DEFAULT 60 CHECK (reward_points BETWEEN 1 AND 100000),
  reward_max_cents  integer NOT NULL DEFAULT 1500 CHECK (reward_max_cents BETWEEN 1 AND 1000000),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
INSERT INTO loyalty_scheme DEFAULT VALUES;

-- Points spent on an order (a negative row), and given back when that order is cancelled or refunded whole.
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_reason_check;
ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_reason_check CHECK (reason IN ('earned', 'taken_back', 'spent', 'returned'));

-- What points took off an order, spread over its VAT rates as placed ([{rate, cents}]): kept apart
-- from the ledger (which goes with an erased account) so the takings and receipts stay whole.
CREATE TABLE loyalty_redemptions (
  order_id        uuid PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
  points          integer NOT NULL CHECK (points > 0),
  discount_cents  integer NOT NULL CHECK (discount_cents > 0),
  by_rate         jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every discount on an order (a promo code or points, one at most), as receipts, refunds and takings read them.
CREATE VIEW order_discounts AS
  SELECT r.order_id, 'promo'::text AS kind, c.code, NULL::integer AS points, r.discount_cents, r.by_rate
  FROM promo_redemptions r JOIN promo_codes c ON c.id = r.promo_code_id
  UNION ALL
  SELECT l.order_id, 'loyalty', NULL, l.points, l.discount_cents, l.by_rate FROM loyalty_redemptions l;

-- The trigger reads the scheme; a cancel or a whole refund also gives back the points spent on the order.
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

-- Down Migration

CREATE OR REPLACE FUNCTION loyalty_on_order() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP VIEW order_discounts;
DROP TABLE loyalty_redemptions;
DELETE FROM loyalty_ledger WHERE reason IN ('spent', 'returned');
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_reason_check;
ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_reason_check CHECK (reason IN ('earned', 'taken_back'));
DROP TABLE loyalty_scheme;
