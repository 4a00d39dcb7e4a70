-- Up Migration

-- Offers: the dispatcher offers a ready delivery to the best driver for a limited time; the driver
-- accepts or declines, and an offer left unanswered expires and goes to the next driver. The open
-- offer sits on the order (every screen sees it move); every offer made is kept with its outcome.
ALTER TABLE orders
  ADD COLUMN offer_driver_id integer REFERENCES users(id),
  ADD COLUMN offer_expires_at timestamptz,
  ADD CONSTRAINT offer_complete CHECK ((offer_driver_id IS NULL) = (offer_expires_at IS NULL)),
  ADD CONSTRAINT offer_only_unassigned CHECK (offer_driver_id IS NULL OR (driver_id IS NULL AND status = 'ready'));
CREATE INDEX orders_offer_driver ON orders (offer_driver_id) WHERE offer_driver_id IS NOT NULL;

CREATE TABLE delivery_offers (
  id          bigserial PRIMARY KEY,
  order_id    uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  driver_id   integer NOT NULL REFERENCES users(id),
  -- which trip of the order (a failed delivery sent out again is a new one)
  round       integer NOT NULL,
  offered_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  -- 'unassigned': a manager took the order off this driver (the dispatcher passes them over this trip)
  outcome     text CHECK (outcome IN ('accepted', 'declined', 'expired', 'withdrawn', 'unassigned')),
  decided_at  timestamptz,
  -- a manager's hand: who assigned or took it off
  by_user     integer REFERENCES users(id)
);
CREATE INDEX delivery_offers_order ON delivery_offers (order_id, round);
CREATE UNIQUE INDEX delivery_offers_one_open ON delivery_offers (order_id) WHERE outcome IS NULL;

-- an order that leaves 'ready' some other way (cancelled at the shop) takes its open offer with it
CREATE FUNCTION orders_withdraw_offer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.offer_driver_id IS NOT NULL AND NEW.status <> 'ready' THEN
    NEW.offer_driver_id := NULL;
    NEW.offer_expires_at := NULL;
    UPDATE delivery_offers SET outcome = 'withdrawn', decided_at = now() WHERE order_id = NEW.id AND outcome IS NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER orders_withdraw_offer BEFORE UPDATE OF status ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_withdraw_offer();

-- a driver lent to a neighbouring shop for the evening works for that shop until the loan ends
ALTER TABLE users ADD COLUMN lent_to integer REFERENCES pizzerias(id),
  ADD CONSTRAINT lent_drivers_only CHECK (lent_to IS NULL OR role = 'driver');

-- Down Migration

ALTER TABLE users DROP CONSTRAINT lent_drivers_only, DROP COLUMN lent_to;
DROP TRIGGER orders_withdraw_offer ON orders;
DROP FUNCTION orders_withdraw_offer();
DROP TABLE delivery_offers;
DROP INDEX orders_offer_driver;
ALTER TABLE orders DROP CONSTRAINT offer_only_unassigned, DROP CONSTRAINT offer_complete,
  DROP COLUMN offer_expires_at, DROP COLUMN offer_driver_id;
