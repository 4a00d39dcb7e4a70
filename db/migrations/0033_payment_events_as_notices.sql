-- Up Migration

-- A payment event is kept as the system reads it (src/lib/server/payments/notices.ts), not in its
-- provider's shape: the provider's webhook reader turns it into a notice at the edge, and the
-- workers process the notice. Events processed already keep the provider's body, as a record.
-- Those still to process (their job lost or queued when this version starts) are read here once,
-- as the Stripe reader reads them (the only provider of earlier versions; the demo page spoke
-- Stripe's protocol), so the workers find a notice in every row they may process.
WITH stripe AS (
  SELECT event_id, type, payload, payload #> '{data,object}' AS intent
  FROM payment_events WHERE processed_at IS NULL AND payload ? 'data'
)
UPDATE payment_events e SET payload = jsonb_build_object(
  'id', s.event_id,
  'provider', 'stripe',
  'providerType', s.type,
  'kind', CASE
    WHEN s.intent ->> 'object' IS DISTINCT FROM 'payment_intent' OR jsonb_typeof(s.intent -> 'id') IS DISTINCT FROM 'string' THEN 'other'
    WHEN s.type = 'payment_intent.amount_capturable_updated'
      THEN CASE WHEN s.intent ->> 'status' = 'requires_capture' AND jsonb_typeof(s.intent -> 'amount_capturable') = 'number'
                 AND (s.intent ->> 'amount_capturable')::numeric > 0 THEN 'held' ELSE 'other' END
    WHEN s.type = 'payment_intent.succeeded' THEN 'taken'
    WHEN s.type = 'payment_intent.canceled' THEN 'released'
    WHEN s.type = 'payment_intent.payment_failed' THEN 'refused'
    ELSE 'other' END,
  'paymentId', CASE WHEN s.intent ->> 'object' = 'payment_intent' THEN s.intent ->> 'id' END,
  'orderId', s.intent #>> '{metadata,order_id}',
  'attempt', CASE WHEN s.intent #>> '{metadata,attempt}' ~ '^[1-9][0-9]{0,8}$' THEN (s.intent #>> '{metadata,attempt}')::int END,
  'heldCents', CASE WHEN jsonb_typeof(s.intent -> 'amount_capturable') = 'number' AND (s.intent ->> 'amount_capturable') ~ '^[0-9]{1,12}$'
                    THEN (s.intent ->> 'amount_capturable')::bigint ELSE 0 END,
  'takenCents', CASE WHEN jsonb_typeof(s.intent -> 'amount_received') = 'number' AND (s.intent ->> 'amount_received') ~ '^[0-9]{1,12}$'
                     THEN (s.intent ->> 'amount_received')::bigint ELSE 0 END,
  'reason', s.intent #>> '{last_payment_error,message}'
)
FROM stripe s WHERE e.event_id = s.event_id;

-- Down Migration

-- an earlier version reads only Stripe's shape: notices still to process are dropped (their
-- provider sends them again, or the reconciler asks it before the order expires)
DELETE FROM payment_events WHERE processed_at IS NULL AND NOT payload ? 'data';
