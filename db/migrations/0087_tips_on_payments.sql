-- Up Migration

-- A tip given by card at checkout rides on the order's own card payment: the hold is the order's
-- total plus this tip, and capturing it takes both. The order's money (paid_cents, the payment's
-- movements, the fiscal journal, the takings' sales) never counts it: the tip's part is followed on
-- its row of `tips` (pending while held, paid once captured, released with a hold let go).
ALTER TABLE orders ADD COLUMN card_tip_cents integer NOT NULL DEFAULT 0
  CHECK (card_tip_cents >= 0 AND card_tip_cents <= 10000);

-- A tip given after the delivery is a payment of its own: the secret its payment form needs, kept
-- beside the provider's id once the workers made it.
ALTER TABLE tips ADD COLUMN client_secret text;

-- what the workers look for: tips paid of delivered orders whose shares are still to write
CREATE INDEX tips_paid_unshared ON tips (order_id) WHERE status = 'paid';

-- Down Migration

DROP INDEX tips_paid_unshared;
ALTER TABLE tips DROP COLUMN client_secret;
ALTER TABLE orders DROP COLUMN card_tip_cents;
