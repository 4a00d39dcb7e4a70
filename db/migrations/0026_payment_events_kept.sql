-- Up Migration

-- Every payment event the webhook believed is kept here before the webhook answers, with the body
-- as the provider signed it, and processed from here by the workers: a queue that loses the job
-- (Redis coming back empty) loses nothing, since the reconciler queues again every event not yet
-- processed. The table counted processed events only (0021); it now holds them from receipt.
ALTER TABLE processed_payment_events RENAME TO payment_events;
ALTER TABLE payment_events
  ADD COLUMN payload      jsonb,
  ADD COLUMN received_at  timestamptz NOT NULL DEFAULT now(),
  ALTER COLUMN outcome DROP NOT NULL,
  ALTER COLUMN processed_at DROP NOT NULL,
  ALTER COLUMN processed_at DROP DEFAULT;
-- events kept before this version were processed as they arrived
UPDATE payment_events SET received_at = processed_at;
ALTER TABLE payment_events RENAME CONSTRAINT processed_payment_events_pkey TO payment_events_pkey;
CREATE INDEX payment_events_unprocessed ON payment_events (received_at) WHERE processed_at IS NULL;

-- What the reconciler looks for every minute, without reading every order's rows: card holds
-- (the recent ones, to see if any is still to let go) and messages not sent.
CREATE INDEX payment_movements_holds ON payment_movements (created_at) WHERE kind = 'authorised';
CREATE INDEX customer_notifications_unsent ON customer_notifications (order_id) WHERE status <> 'sent';

-- Down Migration

DROP INDEX customer_notifications_unsent;
DROP INDEX payment_movements_holds;
DROP INDEX payment_events_unprocessed;
DELETE FROM payment_events WHERE processed_at IS NULL;
ALTER TABLE payment_events RENAME CONSTRAINT payment_events_pkey TO processed_payment_events_pkey;
ALTER TABLE payment_events
  DROP COLUMN payload,
  DROP COLUMN received_at,
  ALTER COLUMN outcome SET NOT NULL,
  ALTER COLUMN processed_at SET NOT NULL,
  ALTER COLUMN processed_at SET DEFAULT now();
ALTER TABLE payment_events RENAME TO processed_payment_events;
