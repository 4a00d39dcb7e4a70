-- Up Migration

-- Promo codes made by head office: a percent off the basket, an amount off it, or one product free
-- (its price off, when it is in the basket). A code is known whatever its case. Its rules: a
-- minimum basket (the items, before the delivery fee), dates, the shops it works at (null: all),
-- uses in all and per customer (a signed-in customer by their account, a guest by their phone or
-- email keys on the order). A use is one order; a cancelled order gives its use back.
CREATE TABLE promo_codes (
  id                     serial PRIMARY KEY,
  code                   text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{3,30}$'),
  kind                   text NOT NULL CHECK (kind IN ('percent', 'amount', 'free_product')),
  -- percent: 1 to 100; amount: cents off
  value                  integer NOT NULL DEFAULT 0 CHECK (value >= 0),
  product_id             integer REFERENCES products(id),
  min_basket_cents       integer NOT NULL DEFAULT 0 CHECK (min_basket_cents >= 0),
  starts_at              timestamptz,
  ends_at                timestamptz,
  pizzeria_ids           integer[],
  max_uses               integer CHECK (max_uses IS NULL OR max_uses > 0),
  max_uses_per_customer  integer CHECK (max_uses_per_customer IS NULL OR max_uses_per_customer > 0),
  active                 boolean NOT NULL DEFAULT true,
  created_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'percent' OR value BETWEEN 1 AND 100),
  CHECK (kind <> 'amount' OR value > 0),
  CHECK ((kind = 'free_product') = (product_id IS NOT NULL)),
  CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);
CREATE UNIQUE INDEX promo_codes_code ON promo_codes (lower(code));

-- One code on an order at most; the discount as it was spread over the order's VAT rates
-- ([{rate, cents}], adding up to discount_cents), so receipts and takings take the VAT out of what
-- was paid.
CREATE TABLE promo_redemptions (
  order_id       uuid PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
  promo_code_id  integer NOT NULL REFERENCES promo_codes(id),
  customer_id    bigint REFERENCES customers(id) ON DELETE SET NULL,
  phone_key      text,
  email_key      text,
  discount_cents integer NOT NULL CHECK (discount_cents > 0),
  by_rate        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX promo_redemptions_code ON promo_redemptions (promo_code_id);

-- What the order's total leaves out: total_cents is what is paid, items and delivery fee less this.
ALTER TABLE orders ADD COLUMN discount_cents integer NOT NULL DEFAULT 0 CHECK (discount_cents >= 0);

-- Down Migration

ALTER TABLE orders DROP COLUMN discount_cents;
DROP TABLE promo_redemptions;
DROP TABLE promo_codes;
