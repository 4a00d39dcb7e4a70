-- Up Migration

-- What a customer thought of an order once it was handed over: the food, and the delivery for a
-- delivery (a pickup rates the food only: there was no ride, and the counter speaks through the
-- food and the comment), with a comment of at most 500 characters, trimmed (none: NULL). One per
-- order. The shop and the driver are kept on the rating, as they were when it was given, so the
-- manager's averages per shop and per driver read this table alone.
CREATE TABLE order_ratings (
  order_id     uuid PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
  pizzeria_id  integer NOT NULL REFERENCES pizzerias(id),
  driver_id    integer REFERENCES users(id),
  fulfilment   order_fulfilment NOT NULL,
  food         smallint NOT NULL CHECK (food BETWEEN 1 AND 5),
  delivery     smallint CHECK (delivery BETWEEN 1 AND 5),
  comment      text CHECK (comment IS NULL OR (char_length(comment) BETWEEN 1 AND 500 AND comment = btrim(comment))),
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((fulfilment = 'delivery') = (delivery IS NOT NULL)),
  CHECK (fulfilment = 'delivery' OR driver_id IS NULL)
);
-- the manager's page: a shop's (or every shop's) ratings of a period, newest first; and a driver's
CREATE INDEX order_ratings_shop ON order_ratings (pizzeria_id, created_at DESC);
CREATE INDEX order_ratings_driver ON order_ratings (driver_id, created_at DESC) WHERE driver_id IS NOT NULL;

-- Down Migration

DROP TABLE order_ratings;
