-- Up Migration

-- Card payments with a hold (Stripe's manual capture): the card is authorised when the customer
-- pays, and captured when the kitchen starts the order, so a cancel before that only lets the
-- hold go. An authorised order counts its hold as paid (paid_cents), so what is due at the door
-- and what must be given back read as before; the capture takes what the order then costs.
ALTER TYPE payment_status ADD VALUE IF NOT EXISTS 'authorised' BEFORE 'paid';

ALTER TABLE orders
  -- the provider's payment for the attempt in progress, and the secret its payment form needs
  -- (only the holder of the tracking link is shown it)
  ADD COLUMN payment_intent_id      text,
  ADD COLUMN payment_client_secret  text,
  -- the capture was refused for good (an expired hold, a card blocked meanwhile): a manager decides
  ADD COLUMN capture_failed_at      timestamptz;
CREATE INDEX orders_payment_intent ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- Every movement of money, with the provider's ids: a dispute is answered from here.
CREATE TABLE payment_movements (
  id                 bigserial PRIMARY KEY,
  order_id           uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  kind               text NOT NULL CHECK (kind IN ('authorised', 'captured', 'released', 'refunded', 'failed')),
  amount_cents       integer NOT NULL CHECK (amount_cents >= 0),
  provider           text NOT NULL,
  payment_intent_id  text,
  refund_id          text,
  event_id           text,
  detail             text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_movements_order ON payment_movements (order_id, id);

-- Each provider event counts once in the database, whatever the provider or the queue repeats:
-- its id is written in the transaction that acts on it.
CREATE TABLE processed_payment_events (
  event_id      text PRIMARY KEY,
  type          text NOT NULL,
  order_id      uuid,
  outcome       text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE processed_payment_events;
DROP TABLE payment_movements;
ALTER TABLE orders DROP COLUMN capture_failed_at, DROP COLUMN payment_client_secret, DROP COLUMN payment_intent_id;
-- (a value added to an enum type cannot be dropped; 'authorised' stays, unused)
