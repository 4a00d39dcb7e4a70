-- Up Migration

-- Proof of delivery: the PIN the customer read to the driver, a photo at the door, or a manager
-- who vouches for it; what the driver collected at the door and how.
ALTER TABLE orders
  ADD COLUMN proof_kind text CHECK (proof_kind IN ('pin', 'photo', 'manager')),
  ADD COLUMN collected_cents integer CHECK (collected_cents >= 0),
  ADD COLUMN collected_method text CHECK (collected_method IN ('cash', 'card')),
  -- a delivery that failed at the door comes back to the shop (status ready, no driver) and waits
  -- there for the manager's decision: send it again, or cancel it
  ADD COLUMN delivery_failed_at timestamptz,
  ADD COLUMN delivery_failure text CHECK (delivery_failure IN ('absent', 'refused', 'wrong_address')),
  ADD COLUMN delivery_failure_note text CHECK (length(delivery_failure_note) <= 300),
  ADD COLUMN delivery_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN awaiting_decision boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT awaiting_decision_at_the_shop CHECK (NOT awaiting_decision OR (status IN ('ready', 'cancelled') AND driver_id IS NULL));

-- wrong PINs typed at the door (five, then a photo is needed): beside the order, whose every
-- change is a new version the screens follow, and a wrong PIN is not one
CREATE TABLE delivery_pin_attempts (
  order_id  uuid PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
  wrong     integer NOT NULL CHECK (wrong > 0)
);

CREATE TABLE delivery_photos (
  order_id      uuid PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
  driver_id     integer NOT NULL REFERENCES users(id),
  content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  bytes         bytea NOT NULL CHECK (octet_length(bytes) <= 3145728),
  taken_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE orders DROP CONSTRAINT orders_cancel_reason_check,
  ADD CONSTRAINT orders_cancel_reason_check CHECK (cancel_reason IN ('customer', 'shop', 'payment_expired', 'delivery_failed'));

-- the moves a failed delivery adds: back to the shop, and a cancel once there
INSERT INTO order_transitions VALUES ('out_for_delivery', 'ready'), ('ready', 'cancelled');

-- Down Migration

ALTER TABLE orders DROP CONSTRAINT orders_cancel_reason_check,
  ADD CONSTRAINT orders_cancel_reason_check CHECK (cancel_reason IN ('customer', 'shop', 'payment_expired'));
DELETE FROM order_transitions WHERE (from_status, to_status) IN (('out_for_delivery', 'ready'), ('ready', 'cancelled'));
DROP TABLE delivery_photos;
DROP TABLE delivery_pin_attempts;
ALTER TABLE orders DROP CONSTRAINT awaiting_decision_at_the_shop,
  DROP COLUMN awaiting_decision, DROP COLUMN delivery_attempts, DROP COLUMN delivery_failure_note, DROP COLUMN delivery_failure,
  DROP COLUMN delivery_failed_at, DROP COLUMN collected_method, DROP COLUMN collected_cents, DROP COLUMN proof_kind;
