-- Up Migration

-- Customers who sign in without a password: a one-time code sent to their email or their phone
-- proves they hold it. A customer is known by the contacts they proved (an email, a phone in E.164,
-- or both); guest orders placed earlier with a proved contact join their history at sign-in.
CREATE TABLE customers (
  id          bigserial PRIMARY KEY,
  email       text UNIQUE CHECK (email IS NULL OR email = lower(email)),
  phone       text UNIQUE CHECK (phone IS NULL OR phone ~ '^\+[0-9]{6,16}$'),
  name        text CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 80),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (email IS NOT NULL OR phone IS NOT NULL)
);

-- A code asked for one destination: only its hash is kept (sha256 of the row's salt and the code);
-- it works once, before it expires, and dies after too many wrong tries. The rows stay a day after,
-- so that a destination's codes can be counted (at most one a minute, a few an hour and a day).
CREATE TABLE customer_codes (
  id           bigserial PRIMARY KEY,
  channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
  destination  text NOT NULL,
  salt         text NOT NULL,
  code_hash    text NOT NULL,
  client       text NOT NULL,
  attempts     smallint NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX customer_codes_destination ON customer_codes (destination, created_at DESC);

-- A signed-in customer's sessions: the cookie holds a random token, this table its HMAC (as staff sessions).
CREATE TABLE customer_sessions (
  id           text PRIMARY KEY,
  customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX customer_sessions_customer ON customer_sessions (customer_id);
CREATE INDEX customer_sessions_expires_at ON customer_sessions (expires_at);

-- The addresses a customer had delivered to (kept when an order is placed signed in), with the
-- spot the driver found and the door's details; the same street and postcode is one address.
CREATE TABLE customer_addresses (
  id            bigserial PRIMARY KEY,
  customer_id   bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  street        text NOT NULL,
  postcode      text NOT NULL,
  city          text NOT NULL,
  lat           double precision,
  lng           double precision,
  door_code     text,
  floor         text,
  instructions  text,
  last_used_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, street, postcode)
);

CREATE TABLE customer_favourites (
  customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  product_id   integer NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, product_id)
);

-- An order placed signed in (or a guest order of a proved contact) belongs to its customer, kept
-- beside the order (the order's own row, and its version that every screen follows, do not change
-- for it); a deleted customer's orders stay (the takings need them), without their customer.
CREATE TABLE customer_orders (
  order_id     uuid PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
  customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  placed_at    timestamptz NOT NULL
);
CREATE INDEX customer_orders_customer ON customer_orders (customer_id, placed_at DESC);
-- a guest's orders found by the email proved at sign-in (by the phone: orders_by_phone, 0047)
CREATE INDEX orders_by_email ON orders (lower(customer_email)) WHERE customer_email IS NOT NULL;

-- Down Migration

DROP INDEX orders_by_email;
DROP TABLE customer_orders;
DROP TABLE customer_favourites;
DROP TABLE customer_addresses;
DROP TABLE customer_sessions;
DROP TABLE customer_codes;
DROP TABLE customers;
