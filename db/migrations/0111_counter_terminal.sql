-- Up Migration
-- A card terminal at the counter (Stripe Terminal, server-driven): each shop's readers, and each
-- payment sent to one. The order is paid only when the provider says the card was approved; a
-- pickup handed over that way records its collected method as 'terminal' (its own payment way).
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_collected_method_check;
ALTER TABLE orders ADD CONSTRAINT orders_collected_method_check CHECK (collected_method IN ('cash', 'card', 'terminal'));

CREATE TABLE terminal_readers (
  id            bigserial PRIMARY KEY,
  pizzeria_id   integer NOT NULL REFERENCES pizzerias(id),
  -- the provider's ids: the reader, and the location it was registered at (one per shop)
  reader_ref    text NOT NULL UNIQUE,
  location_ref  text NOT NULL,
  label         text NOT NULL CHECK (length(label) BETWEEN 1 AND 60),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX terminal_readers_shop ON terminal_readers (pizzeria_id);

CREATE TABLE terminal_payments (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id           uuid NOT NULL REFERENCES orders(id),
  pizzeria_id        integer NOT NULL REFERENCES pizzerias(id),
  reader_id          bigint NOT NULL REFERENCES terminal_readers(id),
  payment_intent_ref text UNIQUE,
  amount_cents       integer NOT NULL CHECK (amount_cents > 0),
  state              text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'approved', 'declined', 'cancelled')),
  reason             text,
  -- who sent it to the reader: the handover is theirs once the card is approved
  started_by         jsonb NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  settled_at         timestamptz
);
-- one payment at a time on an order, and on a reader
CREATE UNIQUE INDEX terminal_payments_one_per_order ON terminal_payments (order_id) WHERE state = 'waiting';
CREATE UNIQUE INDEX terminal_payments_one_per_reader ON terminal_payments (reader_id) WHERE state = 'waiting';
CREATE INDEX terminal_payments_day ON terminal_payments (pizzeria_id, created_at);

-- Down Migration
DROP TABLE terminal_payments;
DROP TABLE terminal_readers;
UPDATE orders SET collected_method = 'card' WHERE collected_method = 'terminal';
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_collected_method_check;
ALTER TABLE orders ADD CONSTRAINT orders_collected_method_check CHECK (collected_method IN ('cash', 'card'));
