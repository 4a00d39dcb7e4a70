-- Up Migration

-- Tips for the drivers. A customer tips by card at checkout (with the order's own payment) or on the
-- tracking page after the delivery (a payment of its own); a driver declares the cash tips handed to
-- them at the door. A tip is never a sale: it is not in the order's total, the takings' sales nor the
-- fiscal journal; the shop only passes it on to the driver who delivered.
CREATE TABLE tips (
  id                 bigserial PRIMARY KEY,
  order_id           uuid NOT NULL REFERENCES orders(id),
  pizzeria_id        integer NOT NULL REFERENCES pizzerias(id),
  -- how it was paid, and when it was given
  way                text NOT NULL CHECK (way IN ('card', 'cash')),
  moment             text NOT NULL CHECK (moment IN ('checkout', 'after_delivery', 'declared')),
  amount_cents       integer NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 10000),
  -- a card tip: waiting for its money, paid (captured), let go (the order was cancelled), refunded
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'released', 'refunded')),
  payment_intent_id  text UNIQUE,
  declared_by        integer REFERENCES users(id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  settled_at         timestamptz,
  CHECK ((way = 'cash') = (moment = 'declared')),
  CHECK (moment <> 'declared' OR declared_by IS NOT NULL),
  UNIQUE (order_id, moment)
);
CREATE INDEX tips_shop_time ON tips (pizzeria_id, created_at);

-- What each driver earned of a tip: the driver who delivered, or the drivers who carried a
-- reassigned trip, split as src/lib/domain/tip-split.ts documents. Written once the tip is paid and
-- the order delivered, whichever comes last; the pay and the payroll export read only these rows.
CREATE TABLE tip_shares (
  tip_id        bigint NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
  driver_id     integer NOT NULL REFERENCES users(id),
  pizzeria_id   integer NOT NULL REFERENCES pizzerias(id),
  way           text NOT NULL CHECK (way IN ('card', 'cash')),
  amount_cents  integer NOT NULL CHECK (amount_cents >= 0),
  earned_at     timestamptz NOT NULL,
  PRIMARY KEY (tip_id, driver_id)
);
CREATE INDEX tip_shares_driver_time ON tip_shares (driver_id, earned_at);

-- Down Migration

DROP TABLE tip_shares;
DROP TABLE tips;
