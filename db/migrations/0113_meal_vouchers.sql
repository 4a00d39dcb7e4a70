-- Up Migration
-- Titres-restaurant (French meal vouchers), online and at the counter. An order keeps what a voucher
-- paid of it and its issuer (each issuer its own payment way: src/lib/domain/meal-vouchers.ts); each
-- voucher payment is a row with the card's identity for its daily amount (online, the provider's card
-- fingerprint; at the counter, the reference the staff typed) and its Paris day.
ALTER TABLE orders
  ADD COLUMN meal_voucher_cents integer NOT NULL DEFAULT 0 CHECK (meal_voucher_cents >= 0),
  ADD COLUMN meal_voucher_issuer text CHECK (meal_voucher_issuer IN ('bimpli', 'pluxee', 'up_dejeuner', 'swile', 'edenred'));

-- a shop accepts vouchers on Sundays and public holidays only when its manager says so
ALTER TABLE pizzerias ADD COLUMN meal_vouchers_on_closed_days boolean NOT NULL DEFAULT false;

CREATE TABLE meal_voucher_payments (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id           uuid NOT NULL REFERENCES orders(id),
  pizzeria_id        integer NOT NULL REFERENCES pizzerias(id),
  issuer             text NOT NULL CHECK (issuer IN ('bimpli', 'pluxee', 'up_dejeuner', 'swile', 'edenred')),
  -- 'online': through the provider (Stripe's fr_meal_voucher); 'counter': declared by the staff
  channel            text NOT NULL CHECK (channel IN ('online', 'counter')),
  amount_cents       integer NOT NULL CHECK (amount_cents > 0),
  -- the card's identity for its daily amount: the provider's fingerprint, or the reference declared
  card_ref           text CHECK (length(card_ref) BETWEEN 4 AND 64),
  payment_intent_ref text UNIQUE,
  client_secret      text,
  state              text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'held', 'taken', 'refused', 'released')),
  reason             text,
  paris_day          date NOT NULL,
  declared_by        jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  settled_at         timestamptz
);
-- one voucher part in progress or kept per order
CREATE UNIQUE INDEX meal_voucher_payments_one_per_order ON meal_voucher_payments (order_id) WHERE state IN ('waiting', 'held', 'taken');
-- a card's day, across the chain
CREATE INDEX meal_voucher_payments_card_day ON meal_voucher_payments (card_ref, paris_day) WHERE state IN ('held', 'taken');

-- Down Migration
DROP TABLE meal_voucher_payments;
ALTER TABLE pizzerias DROP COLUMN meal_vouchers_on_closed_days;
ALTER TABLE orders DROP COLUMN meal_voucher_issuer, DROP COLUMN meal_voucher_cents;
