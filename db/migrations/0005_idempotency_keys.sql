-- Up Migration

-- Idempotency-Key of POST /api/orders: a retried or double-tapped checkout finds the order its
-- first attempt placed. Written in the order's own transaction, so a key never exists without its
-- order; the body hash tells a replay from a different request that reuses the key. Housekeeping
-- deletes keys older than a day (deleteExpiredIdempotencyKeys).
CREATE TABLE idempotency_keys (
  key           text PRIMARY KEY CHECK (key ~ '^[A-Za-z0-9_-]{8,100}$'),
  request_hash  text NOT NULL,
  order_id      uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
