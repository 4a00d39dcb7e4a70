-- Up Migration
-- Paying at the door by QR code: the driver's phone shows a code for what the order still owes, the
-- customer pays on their own phone (a Stripe Checkout Session, or the demo's page), and only the
-- provider's signed event marks the order paid; the order records its collected method as 'qr' (its
-- own payment way, door_qr). A session expired or failed leaves the order owing.
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_collected_method_check;
ALTER TABLE orders ADD CONSTRAINT orders_collected_method_check CHECK (collected_method IN ('cash', 'card', 'terminal', 'qr'));

CREATE TABLE door_qr_payments (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id           uuid NOT NULL REFERENCES orders(id),
  pizzeria_id        integer NOT NULL REFERENCES pizzerias(id),
  driver_id          integer NOT NULL REFERENCES users(id),
  -- the provider's session, the page the customer pays on, and the payment it made once paid
  session_ref        text UNIQUE,
  pay_url            text,
  payment_intent_ref text,
  amount_cents       integer NOT NULL CHECK (amount_cents > 0),
  -- open: waiting for the customer; paid: the provider took it; expired/failed: nothing taken;
  -- refund_due, then refunded: paid when the order no longer owed it (taken another way meanwhile), given back
  state              text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paid', 'expired', 'failed', 'refund_due', 'refunded')),
  reason             text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  settled_at         timestamptz
);
-- one code open at a time on an order
CREATE UNIQUE INDEX door_qr_payments_one_open ON door_qr_payments (order_id) WHERE state = 'open';
-- what is still to give back (the webhook's road, and the workers after each event, look for it)
CREATE INDEX door_qr_payments_to_refund ON door_qr_payments (id) WHERE state = 'refund_due';
CREATE INDEX door_qr_payments_day ON door_qr_payments (pizzeria_id, created_at) WHERE state IN ('paid', 'refund_due', 'refunded');

-- Down Migration
DROP TABLE door_qr_payments;
UPDATE orders SET collected_method = 'card' WHERE collected_method = 'qr';
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_collected_method_check;
ALTER TABLE orders ADD CONSTRAINT orders_collected_method_check CHECK (collected_method IN ('cash', 'card', 'terminal'));
