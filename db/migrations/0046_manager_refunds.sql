-- Up Migration

-- Refunds a manager grants on a paid order (a missing item, a burnt pizza, a late delivery): part
-- or all of what was paid, through the payment provider for an order paid online, as cash given
-- back at the shop otherwise. A row is written first (pending) and the money moves after, under an
-- idempotency key of the row (the provider refunds it once, however often the job runs); the row
-- is then done, or failed with the provider's reason. A request's Idempotency-Key is kept on it, so
-- a repeat answers the same refund.
CREATE TABLE order_refunds (
  id                    bigserial PRIMARY KEY,
  order_id              uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  pizzeria_id           integer NOT NULL REFERENCES pizzerias(id),
  amount_cents          integer NOT NULL CHECK (amount_cents > 0),
  reason                text NOT NULL CHECK (reason IN ('missing_item', 'quality', 'late', 'other')),
  note                  text CHECK (note IS NULL OR char_length(note) BETWEEN 1 AND 500),
  method                text NOT NULL CHECK (method IN ('provider', 'cash')),
  -- the lines refunded when chosen: [{ "itemId", "quantity", "cents" }] (NULL: an amount)
  lines                 jsonb,
  -- what was refunded per VAT rate, taxes included: [{ "rate", "grossCents" }], adding up to the amount
  vat                   jsonb NOT NULL,
  status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  requested_by          integer REFERENCES users(id),
  requested_by_name     text NOT NULL,
  idempotency_key       text UNIQUE,
  request_hash          text,
  provider              text,
  provider_refund_id    text,
  failure               text,
  -- the order's refunded_cents once this refund is done: the customer's message is keyed by it
  refunded_after_cents  integer,
  created_at            timestamptz NOT NULL DEFAULT now(),
  settled_at            timestamptz,
  CHECK ((status = 'pending') = (settled_at IS NULL))
);
CREATE INDEX order_refunds_order ON order_refunds (order_id, id);
CREATE INDEX order_refunds_pending ON order_refunds (id) WHERE status = 'pending';

-- What the shop gave back of its own will lowers what the order is owed; without this, a partial
-- refund would read as money still to collect at the door, and a cancel after it would refund the
-- whole payment again.
ALTER TABLE orders ADD COLUMN granted_refund_cents integer NOT NULL DEFAULT 0 CHECK (granted_refund_cents >= 0);
ALTER TABLE orders DROP COLUMN amount_due_cents, DROP COLUMN refund_due_cents;
ALTER TABLE orders
  ADD COLUMN amount_due_cents integer GENERATED ALWAYS AS (
    GREATEST(0, (CASE WHEN status = 'cancelled' THEN 0 ELSE total_cents - granted_refund_cents END) - (paid_cents - refunded_cents))
  ) STORED,
  ADD COLUMN refund_due_cents integer GENERATED ALWAYS AS (
    GREATEST(0, (paid_cents - refunded_cents) - (CASE WHEN status = 'cancelled' THEN 0 ELSE total_cents - granted_refund_cents END))
  ) STORED;
CREATE INDEX orders_refund_due ON orders (id) WHERE refund_due_cents > 0;

-- Down Migration

ALTER TABLE orders DROP COLUMN amount_due_cents, DROP COLUMN refund_due_cents;
ALTER TABLE orders
  ADD COLUMN amount_due_cents integer GENERATED ALWAYS AS (
    GREATEST(0, (CASE WHEN status = 'cancelled' THEN 0 ELSE total_cents END) - (paid_cents - refunded_cents))
  ) STORED,
  ADD COLUMN refund_due_cents integer GENERATED ALWAYS AS (
    GREATEST(0, (paid_cents - refunded_cents) - (CASE WHEN status = 'cancelled' THEN 0 ELSE total_cents END))
  ) STORED;
CREATE INDEX orders_refund_due ON orders (id) WHERE refund_due_cents > 0;
ALTER TABLE orders DROP COLUMN granted_refund_cents;
DROP TABLE order_refunds;
