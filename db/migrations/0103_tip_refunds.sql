-- Up Migration

-- A manager refunds a card tip, whole and once, through the payment provider (the same road as an
-- order's refund: a request kept here, the workers' job calls the provider under the key
-- `tip-refund-<tip id>`, its answer settles the row once). While the provider has not answered, the
-- tip is still paid and `refund_state` is 'pending'; once it has, the tip is 'refunded' and the
-- drivers' shares of it are taken back (deleted: every reader of a driver's tips reads the shares,
-- and the `driver_money` notice of migration 0100 tells their phone), what they were kept in
-- `refund_shares` for the audit. A refusal marks it 'failed' (the tip stays paid, the manager may ask
-- again). The request's Idempotency-Key answers a repeat of the same request.
ALTER TABLE tips
  ADD COLUMN refund_state text CHECK (refund_state IN ('pending', 'done', 'failed')),
  ADD COLUMN refund_key text UNIQUE,
  ADD COLUMN refund_requested_by integer REFERENCES users(id),
  ADD COLUMN refund_requested_by_name text,
  ADD COLUMN refund_requested_at timestamptz,
  ADD COLUMN refund_reference text,
  ADD COLUMN refund_failure text CHECK (length(refund_failure) <= 500),
  ADD COLUMN refunded_at timestamptz,
  ADD COLUMN refund_shares jsonb,
  ADD CONSTRAINT tips_refund_of_a_card_tip CHECK (refund_state IS NULL OR way = 'card'),
  ADD CONSTRAINT tips_refunded_when_done CHECK ((status = 'refunded') = (refund_state IS NOT DISTINCT FROM 'done'));

-- what the reconciler looks for: tip refunds the provider has not answered yet
CREATE INDEX tips_refund_pending ON tips (order_id) WHERE refund_state = 'pending';

-- Down Migration

DROP INDEX tips_refund_pending;
ALTER TABLE tips DROP CONSTRAINT tips_refunded_when_done, DROP CONSTRAINT tips_refund_of_a_card_tip,
  DROP COLUMN refund_shares, DROP COLUMN refunded_at, DROP COLUMN refund_failure, DROP COLUMN refund_reference,
  DROP COLUMN refund_requested_at, DROP COLUMN refund_requested_by_name, DROP COLUMN refund_requested_by,
  DROP COLUMN refund_key, DROP COLUMN refund_state;
