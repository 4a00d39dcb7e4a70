-- Up Migration

-- Orders from the delivery platforms (src/lib/server/marketplaces/): a channel and a way of paying
-- of their own (the customer pays the platform, the platform pays the shop less its commission).
-- The values are used from the next migration on (a new enum value cannot be used in the
-- transaction that adds it).
ALTER TYPE order_channel ADD VALUE IF NOT EXISTS 'marketplace';
ALTER TYPE payment_method ADD VALUE IF NOT EXISTS 'marketplace';

-- A shop's store on a platform: the platform's id of it, and how the shop deals with its orders.
-- The platform's credentials are settings (config.ts), never rows or files of the repository.
CREATE TABLE marketplace_stores (
  -- the provider's id (src/lib/server/marketplaces/registry.ts); the core never reads it
  marketplace       text NOT NULL CHECK (marketplace ~ '^[a-z_]+$'),
  store_id          text NOT NULL CHECK (length(store_id) BETWEEN 1 AND 100),
  pizzeria_id       integer NOT NULL REFERENCES pizzerias(id),
  enabled           boolean NOT NULL DEFAULT true,
  -- accepted without a person when the shop can make it by the platform's time
  auto_accept       boolean NOT NULL DEFAULT true,
  -- the menu's prices on the platform: ours plus this share (a product's own price there wins)
  price_markup_pct  numeric(5,2) NOT NULL DEFAULT 0 CHECK (price_markup_pct BETWEEN 0 AND 100),
  -- the platform's commission on an order's total, until its report says what it took
  commission_pct    numeric(5,2) NOT NULL DEFAULT 30 CHECK (commission_pct BETWEEN 0 AND 100),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (marketplace, store_id),
  UNIQUE (marketplace, pizzeria_id)
);

-- Every webhook a platform sent, by the platform's own id of it: processed once.
CREATE TABLE marketplace_webhooks (
  marketplace  text NOT NULL,
  event_id     text NOT NULL,
  kind         text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (marketplace, event_id)
);
CREATE INDEX marketplace_webhooks_by_age ON marketplace_webhooks (received_at);

-- A platform's order as it came, until it is an order on our make line (order_id), or denied,
-- cancelled or let expire. One row per platform order.
CREATE TYPE marketplace_order_state AS ENUM
  ('received', 'needs_mapping', 'awaiting_manager', 'accepted', 'denied', 'cancelled', 'expired');
CREATE TABLE marketplace_orders (
  id            bigserial PRIMARY KEY,
  marketplace   text NOT NULL,
  external_id   text NOT NULL,
  store_id      text NOT NULL,
  pizzeria_id   integer NOT NULL REFERENCES pizzerias(id),
  state         marketplace_order_state NOT NULL DEFAULT 'received',
  -- the order in our terms (MarketplaceOrderIn, src/lib/server/marketplaces/provider.ts)
  payload       jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  -- the platform cancels it by itself if it is not accepted by then
  accept_by     timestamptz,
  order_id      uuid UNIQUE REFERENCES orders(id),
  -- why it waits or was denied: unmapped items, a paused shop, an item out
  problems      jsonb NOT NULL DEFAULT '[]'::jsonb,
  decided_at    timestamptz,
  decided_by    text,
  deny_reason   text,
  UNIQUE (marketplace, external_id)
);
CREATE INDEX marketplace_orders_waiting ON marketplace_orders (pizzeria_id, received_at)
  WHERE state IN ('received', 'needs_mapping', 'awaiting_manager');

-- The order on our make line keeps the platform's id of it (its external id) and the courier's way.
ALTER TABLE orders
  ADD COLUMN marketplace text,
  ADD COLUMN external_id text,
  -- the short code the platform's courier says at the counter
  ADD COLUMN external_code text,
  -- the platform's courier: when they are expected at the shop, and where they are
  ADD COLUMN courier_eta timestamptz,
  ADD COLUMN courier_state text CHECK (courier_state IN ('assigned', 'arriving', 'arrived', 'collected')),
  -- what the platform keeps of the order's total (its commission), as known when accepted
  ADD COLUMN marketplace_commission_cents integer CHECK (marketplace_commission_cents >= 0);
CREATE UNIQUE INDEX orders_by_external_id ON orders (marketplace, external_id) WHERE marketplace IS NOT NULL;

-- What a platform's order names (an item or an option, by the platform's id) in our menu. The menu
-- we push names our products and options by our own ids; what the platform names otherwise waits
-- here for a manager to map it (the mapping page).
CREATE TABLE marketplace_items (
  marketplace  text NOT NULL,
  external_id  text NOT NULL,
  -- the name the platform gave it, for the manager
  name         text NOT NULL,
  product_id   integer REFERENCES products(id),
  option_id    integer REFERENCES product_options(id),
  first_seen   timestamptz NOT NULL DEFAULT now(),
  mapped_at    timestamptz,
  mapped_by    text,
  PRIMARY KEY (marketplace, external_id),
  CHECK (product_id IS NULL OR option_id IS NULL)
);

-- A product's own price on a platform (else ours plus the store's markup).
CREATE TABLE marketplace_prices (
  marketplace  text NOT NULL,
  product_id   integer NOT NULL REFERENCES products(id),
  price_cents  integer NOT NULL CHECK (price_cents BETWEEN 1 AND 100000),
  PRIMARY KEY (marketplace, product_id)
);

-- The platforms' payout reports, a store and week at a time, as fetched (the reconciliation page).
CREATE TABLE marketplace_reports (
  marketplace  text NOT NULL,
  store_id     text NOT NULL,
  week_start   date NOT NULL,
  fetched_at   timestamptz NOT NULL DEFAULT now(),
  report       jsonb NOT NULL,
  PRIMARY KEY (marketplace, store_id, week_start)
);

-- Down Migration
DROP TABLE marketplace_reports, marketplace_prices, marketplace_items, marketplace_orders, marketplace_webhooks, marketplace_stores;
DROP TYPE marketplace_order_state;
DROP INDEX IF EXISTS orders_by_external_id;
ALTER TABLE orders DROP COLUMN marketplace, DROP COLUMN external_id, DROP COLUMN external_code, DROP COLUMN courier_eta,
  DROP COLUMN courier_state, DROP COLUMN marketplace_commission_cents;
