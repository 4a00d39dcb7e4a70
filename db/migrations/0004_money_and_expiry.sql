-- Up Migration

-- How an order was paid when not through the payment provider (a manager marking it paid), or 'online'.
CREATE TYPE paid_with AS ENUM ('online', 'cash', 'card', 'phone');

ALTER TABLE orders
  -- an online payment is asked for one amount; changing the order while it is pending starts a new attempt
  ADD COLUMN payment_attempt     integer NOT NULL DEFAULT 1 CHECK (payment_attempt > 0),
  -- when the current attempt started (NULL: when the order entered pending_payment); the expiry counts from it
  ADD COLUMN payment_started_at  timestamptz,
  -- the provider's reference of the payment that was confirmed
  ADD COLUMN payment_reference   text,
  ADD COLUMN paid_with           paid_with,
  ADD COLUMN refunded_cents      integer NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
  ADD COLUMN refunded_at         timestamptz,
  -- why a cancelled order was cancelled: 'customer', 'shop' or 'payment_expired'
  ADD COLUMN cancel_reason       text CHECK (cancel_reason IN ('customer', 'shop', 'payment_expired')),
  ADD CONSTRAINT orders_refund_within_paid CHECK (refunded_cents <= paid_cents);

-- what is owed is the total, or nothing once cancelled; the difference with what was kept is an
-- explicit amount either way: collected at the door or counter, or refunded
ALTER TABLE orders
  ADD COLUMN amount_due_cents integer GENERATED ALWAYS AS (
    GREATEST(0, (CASE WHEN status = 'cancelled' THEN 0 ELSE total_cents END) - (paid_cents - refunded_cents))
  ) STORED,
  ADD COLUMN refund_due_cents integer GENERATED ALWAYS AS (
    GREATEST(0, (paid_cents - refunded_cents) - (CASE WHEN status = 'cancelled' THEN 0 ELSE total_cents END))
  ) STORED;

CREATE INDEX orders_refund_due ON orders (id) WHERE refund_due_cents > 0;

-- every confirmation the payment provider sent, matched or not: a repeat of one reference changes nothing
CREATE TABLE payment_confirmations (
  reference     text PRIMARY KEY,
  order_id      uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  attempt       integer NOT NULL,
  amount_cents  integer NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('paid', 'ignored')),
  reason        text,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_confirmations_order ON payment_confirmations (order_id);
