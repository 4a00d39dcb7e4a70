-- Up Migration

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE pizzerias (
  id          serial PRIMARY KEY,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]+$'),
  name        text NOT NULL,
  address     text NOT NULL,
  lat         double precision NOT NULL,
  lng         double precision NOT NULL,
  phone       text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE user_role AS ENUM ('admin', 'manager', 'counter', 'kitchen', 'driver');

CREATE TABLE users (
  id             serial PRIMARY KEY,
  email          text NOT NULL UNIQUE CHECK (email = lower(email)),
  password_hash  text NOT NULL,
  name           text NOT NULL,
  role           user_role NOT NULL,
  pizzeria_id    integer REFERENCES pizzerias(id),
  on_shift       boolean NOT NULL DEFAULT false,
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- everyone but head office works for one shop
  CHECK ((role = 'admin') = (pizzeria_id IS NULL))
);

CREATE TABLE sessions (
  id          text PRIMARY KEY,            -- sha256 of the cookie token, never the token itself
  user_id     integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TYPE product_category AS ENUM ('pizza', 'drink', 'dessert');

CREATE TABLE products (
  id           serial PRIMARY KEY,
  slug         text NOT NULL UNIQUE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  category     product_category NOT NULL,
  price_cents  integer NOT NULL CHECK (price_cents > 0),
  -- the preparation steps a pizzaiolo reads on the ticket
  steps        text[] NOT NULL DEFAULT '{}',
  active       boolean NOT NULL DEFAULT true,
  sort_order   integer NOT NULL DEFAULT 0
);

CREATE TYPE ingredient_unit AS ENUM ('g', 'ml', 'piece');

CREATE TABLE ingredients (
  id    serial PRIMARY KEY,
  slug  text NOT NULL UNIQUE,
  name  text NOT NULL,
  unit  ingredient_unit NOT NULL
);

CREATE TABLE recipe_ingredients (
  product_id     integer NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  ingredient_id  integer NOT NULL REFERENCES ingredients(id),
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (product_id, ingredient_id)
);

-- on_hand is what is on the shelf; reserved is promised to orders not yet in preparation
CREATE TABLE stock (
  pizzeria_id    integer NOT NULL REFERENCES pizzerias(id),
  ingredient_id  integer NOT NULL REFERENCES ingredients(id),
  on_hand        integer NOT NULL CHECK (on_hand >= 0),
  reserved       integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  low_threshold  integer NOT NULL DEFAULT 0,
  PRIMARY KEY (pizzeria_id, ingredient_id),
  CHECK (reserved <= on_hand)
);

CREATE TYPE order_status AS ENUM
  ('pending_payment', 'received', 'preparing', 'ready', 'out_for_delivery', 'delivered', 'collected', 'cancelled');
CREATE TYPE order_channel AS ENUM ('online', 'phone', 'counter');
CREATE TYPE order_fulfilment AS ENUM ('delivery', 'pickup');
CREATE TYPE payment_method AS ENUM ('online', 'on_delivery');
CREATE TYPE payment_status AS ENUM ('pending', 'paid', 'due', 'failed', 'refunded');

-- the one transition table; the services read it through src/lib/domain, the database through this copy
CREATE TABLE order_transitions (
  from_status  order_status NOT NULL,
  to_status    order_status NOT NULL,
  PRIMARY KEY (from_status, to_status)
);
INSERT INTO order_transitions VALUES
  ('pending_payment', 'received'),
  ('pending_payment', 'cancelled'),
  ('received', 'preparing'),
  ('received', 'cancelled'),
  ('preparing', 'ready'),
  ('ready', 'out_for_delivery'),
  ('ready', 'collected'),
  ('out_for_delivery', 'delivered');

CREATE TABLE order_counters (
  pizzeria_id   integer NOT NULL REFERENCES pizzerias(id),
  business_day  date NOT NULL,
  last_number   integer NOT NULL,
  PRIMARY KEY (pizzeria_id, business_day)
);

CREATE TABLE orders (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pizzeria_id          integer NOT NULL REFERENCES pizzerias(id),
  business_day         date NOT NULL,
  number               integer NOT NULL,
  channel              order_channel NOT NULL,
  fulfilment           order_fulfilment NOT NULL,
  customer_name        text NOT NULL,
  customer_phone       text NOT NULL,
  customer_email       text,
  address_street       text,
  address_postcode     text,
  address_city         text,
  address_lat          double precision,
  address_lng          double precision,
  payment_method       payment_method NOT NULL,
  payment_status       payment_status NOT NULL,
  paid_cents           integer NOT NULL DEFAULT 0,
  total_cents          integer NOT NULL CHECK (total_cents >= 0),
  status               order_status NOT NULL,
  version              integer NOT NULL DEFAULT 1,
  driver_id            integer REFERENCES users(id),
  waiting_for_driver   boolean NOT NULL DEFAULT false,
  late                 boolean NOT NULL DEFAULT false,
  tracking_token       text NOT NULL UNIQUE,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  pending_payment_at   timestamptz,
  received_at          timestamptz,
  preparing_at         timestamptz,
  ready_at             timestamptz,
  out_for_delivery_at  timestamptz,
  delivered_at         timestamptz,
  collected_at         timestamptz,
  cancelled_at         timestamptz,
  UNIQUE (pizzeria_id, business_day, number),
  CHECK (fulfilment = 'pickup' OR (address_street IS NOT NULL AND address_city IS NOT NULL)),
  CHECK (status NOT IN ('out_for_delivery', 'delivered') OR fulfilment = 'delivery'),
  CHECK (status <> 'collected' OR fulfilment = 'pickup')
);
CREATE INDEX orders_active ON orders (pizzeria_id, status) WHERE status NOT IN ('delivered', 'collected', 'cancelled');
CREATE INDEX orders_driver ON orders (driver_id) WHERE driver_id IS NOT NULL;

-- the database refuses what the transition table refuses, and every change bumps the version by one
CREATE FUNCTION orders_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.version <> OLD.version + 1 THEN
    RAISE EXCEPTION 'order % version must go from % to %', OLD.id, OLD.version, OLD.version + 1
      USING ERRCODE = 'serialization_failure';
  END IF;
  IF NEW.status <> OLD.status AND NOT EXISTS (
    SELECT 1 FROM order_transitions WHERE from_status = OLD.status AND to_status = NEW.status
  ) THEN
    RAISE EXCEPTION 'order % cannot move from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER orders_guard BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_guard();

CREATE TABLE order_items (
  id                serial PRIMARY KEY,
  order_id          uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id        integer NOT NULL REFERENCES products(id),
  name              text NOT NULL,
  category          product_category NOT NULL,
  unit_price_cents  integer NOT NULL CHECK (unit_price_cents >= 0),
  quantity          integer NOT NULL CHECK (quantity > 0)
);
CREATE INDEX order_items_order ON order_items (order_id);

-- ids are handed out under a transaction-scoped advisory lock (see src/lib/server/events.ts),
-- so they are in commit order and a reader of "id > N" never skips one
CREATE TABLE order_events (
  id           bigint PRIMARY KEY,
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  pizzeria_id  integer NOT NULL,
  driver_id    integer,
  type         text NOT NULL,
  actor        text NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX order_events_order ON order_events (order_id, id);
CREATE INDEX order_events_pizzeria ON order_events (pizzeria_id, id);
CREATE INDEX order_events_driver ON order_events (driver_id, id) WHERE driver_id IS NOT NULL;

CREATE FUNCTION order_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('order_events', NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER order_events_notify AFTER INSERT ON order_events FOR EACH ROW EXECUTE FUNCTION order_events_notify();

-- the workers' place in the event stream, so they react to every event once after a restart
CREATE TABLE event_cursors (
  name           text PRIMARY KEY,
  last_event_id  bigint NOT NULL DEFAULT 0
);

-- what each order holds back from its shop's stock until preparation starts (or it is cancelled)
CREATE TABLE stock_reservations (
  order_id       uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  pizzeria_id    integer NOT NULL,
  ingredient_id  integer NOT NULL,
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, ingredient_id),
  FOREIGN KEY (pizzeria_id, ingredient_id) REFERENCES stock (pizzeria_id, ingredient_id)
);

CREATE SEQUENCE order_events_id_seq AS bigint;
