-- Up Migration

-- An order as every screen sees it (OrderView in src/lib/realtime/contract.ts), built where the
-- order is: a change can then write its event in the statement that makes it, with no read of the
-- order in between. The one definition of that shape: getOrder, the lists and the events use it.

-- ISO 8601 in UTC with milliseconds, as JavaScript's toISOString() writes it
CREATE FUNCTION iso_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION order_view(o orders) RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_object(
    'id', o.id,
    'number', o.number,
    'pizzeriaId', o.pizzeria_id,
    'channel', o.channel,
    'fulfilment', o.fulfilment,
    'status', o.status,
    'version', o.version,
    'customer', jsonb_build_object('name', o.customer_name, 'phone', o.customer_phone),
    'address', CASE WHEN o.address_street IS NULL OR o.address_street = '' THEN NULL ELSE jsonb_build_object(
      'street', o.address_street, 'postcode', o.address_postcode, 'city', o.address_city,
      'lat', o.address_lat, 'lng', o.address_lng) END,
    'payment', jsonb_build_object(
      'method', o.payment_method, 'status', o.payment_status, 'attempt', o.payment_attempt, 'paidWith', o.paid_with),
    'totalCents', o.total_cents,
    'paidCents', o.paid_cents,
    'amountDueCents', o.amount_due_cents,
    'refundDueCents', o.refund_due_cents,
    'refundedCents', o.refunded_cents,
    'refundedAt', iso_time(o.refunded_at),
    'cancelReason', o.cancel_reason,
    'driver', CASE WHEN o.driver_id IS NULL THEN NULL
      ELSE jsonb_build_object('id', o.driver_id, 'name', (SELECT u.name FROM users u WHERE u.id = o.driver_id)) END,
    'waitingForDriver', o.waiting_for_driver,
    'late', o.late,
    'items', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'productId', i.product_id, 'name', i.name, 'category', i.category,
               'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) ORDER BY i.id)
      FROM order_items i WHERE i.order_id = o.id), '[]'::jsonb),
    'timestamps', jsonb_strip_nulls(jsonb_build_object(
      'created', iso_time(o.created_at),
      'pending_payment', iso_time(o.pending_payment_at),
      'received', iso_time(o.received_at),
      'preparing', iso_time(o.preparing_at),
      'ready', iso_time(o.ready_at),
      'out_for_delivery', iso_time(o.out_for_delivery_at),
      'delivered', iso_time(o.delivered_at),
      'collected', iso_time(o.collected_at),
      'cancelled', iso_time(o.cancelled_at)))
  )
$$;
