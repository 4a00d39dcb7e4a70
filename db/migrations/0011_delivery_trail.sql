-- Up Migration

-- Where a driver carrying an order went, sampled (every 15 s or 50 m): the customer's dispute
-- ("the driver never came"), the evening's replay. Live positions themselves stay in Redis and
-- never go through NOTIFY: this table is written while a driver carries orders, and read rarely.
CREATE TABLE delivery_trail (
  order_id    uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  at          timestamptz NOT NULL,
  driver_id   integer NOT NULL REFERENCES users(id),
  lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng         double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  accuracy_m  real NOT NULL CHECK (accuracy_m >= 0),
  PRIMARY KEY (order_id, at)
);

-- Down Migration

DROP TABLE delivery_trail;
