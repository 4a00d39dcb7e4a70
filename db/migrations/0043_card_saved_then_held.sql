-- Up Migration

-- An order paid online for a slot far ahead (src/lib/domain/card-holds.ts) is not held at
-- checkout: the customer saves the card (a SetupIntent for off-session use, on a customer of the
-- provider), the order is taken once the card is saved ('card_saved'), and the workers place the
-- hold off-session about a day before the slot (`hold_due_at`). A hold refused then (declined,
-- authentication required) asks the customer to pay on the payment page by `hold_pay_by`, or the
-- order is cancelled as an unpaid one. The saved card is forgotten (detached) once the order ends.
-- (A value added to an enum cannot be used in the migration that adds it: nothing below does.)
ALTER TYPE payment_status ADD VALUE IF NOT EXISTS 'card_saved' BEFORE 'authorised';

ALTER TABLE orders
  -- the provider's customer the card is saved on, its SetupIntent, and the card saved
  ADD COLUMN card_customer_id      text,
  ADD COLUMN setup_intent_id       text,
  ADD COLUMN saved_payment_method  text,
  -- when the workers place the hold (set when the card is saved)
  ADD COLUMN hold_due_at           timestamptz,
  -- what the hold asks, fixed when the workers first ask for it: a retry asks the same amount with
  -- the same idempotency key, so the provider makes one hold whatever the job repeats
  ADD COLUMN hold_cents            integer CHECK (hold_cents > 0),
  -- the hold was refused: the customer pays on the payment page by hold_pay_by, or the order is cancelled
  ADD COLUMN hold_failed_at        timestamptz,
  ADD COLUMN hold_pay_by           timestamptz,
  -- the saved card detached from the provider's customer (the order ended)
  ADD COLUMN card_forgotten_at     timestamptz,
  ADD CONSTRAINT orders_hold_after_saved CHECK (hold_due_at IS NULL OR saved_payment_method IS NOT NULL);

CREATE INDEX orders_setup_intent ON orders (setup_intent_id) WHERE setup_intent_id IS NOT NULL;
-- what the reconciler derives the workers' hold jobs from: saved cards of orders still open
CREATE INDEX orders_saved_cards ON orders (hold_due_at) WHERE saved_payment_method IS NOT NULL AND card_forgotten_at IS NULL;

-- Down Migration

DROP INDEX orders_saved_cards;
DROP INDEX orders_setup_intent;
ALTER TABLE orders DROP CONSTRAINT orders_hold_after_saved,
  DROP COLUMN card_forgotten_at, DROP COLUMN hold_pay_by, DROP COLUMN hold_failed_at, DROP COLUMN hold_cents,
  DROP COLUMN hold_due_at, DROP COLUMN saved_payment_method, DROP COLUMN setup_intent_id, DROP COLUMN card_customer_id;
-- ('card_saved' stays in payment_status, unused: a value cannot be dropped from an enum)
