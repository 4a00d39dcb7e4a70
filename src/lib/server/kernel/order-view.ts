/**
 * An order whole (OrderView in src/lib/shapes/views.ts), built by Postgres
 * in the statement that reads or changes the order: a change writes its event in the same
 * statement, with no read of the order in between. This is the one definition of that shape:
 * getOrder, the lists, the events and the moves all use it.
 *
 * It is an SQL expression over an `orders` row aliased `o` (not a function: a prepared statement
 * plans it once, where a function call would cost more than the rest of a move).
 *
 * It is the whole order, for the screens that may see all of it: what each screen gets is cut from
 * it in src/lib/realtime/audiences.ts. `address.distanceM` is the distance from the shop as the crow
 * flies (haversine, as src/lib/domain/geo.ts), what a driver offered the delivery decides on.
 */

import { MAX_PIN_ATTEMPTS } from '../../domain/delivery-proof.ts';
import { ORDER_STATUSES } from '../../domain/order-states.ts';

/** ISO 8601 in UTC with milliseconds, as JavaScript's toISOString() writes it. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export const ORDER_VIEW = `jsonb_build_object(
  'id', o.id,
  'number', o.number,
  'pizzeriaId', o.pizzeria_id,
  'channel', o.channel,
  'fulfilment', o.fulfilment,
  'marketplace', CASE WHEN o.marketplace IS NULL THEN NULL ELSE jsonb_build_object(
    'id', o.marketplace, 'externalId', o.external_id, 'code', o.external_code, 'note', o.marketplace_note,
    'courier', CASE WHEN o.courier_eta IS NULL AND o.courier_state IS NULL THEN NULL
      ELSE jsonb_build_object('eta', ${iso('o.courier_eta')}, 'state', o.courier_state) END) END,
  'status', o.status,
  'version', o.version,
  'customer', jsonb_build_object('name', o.customer_name, 'phone', o.customer_phone),
  'address', CASE WHEN coalesce(o.address_street, '') = '' THEN NULL ELSE jsonb_build_object(
    'street', o.address_street, 'postcode', o.address_postcode, 'city', o.address_city,
    'lat', o.address_lat, 'lng', o.address_lng, 'locatedBy', o.location_source,
    'doorCode', o.door_code, 'floor', o.floor, 'instructions', o.delivery_instructions,
    'distanceM', (SELECT round(2 * 6371008.8 * asin(least(1, sqrt(
        power(sin(radians(o.address_lat - p.lat) / 2), 2)
        + cos(radians(p.lat)) * cos(radians(o.address_lat)) * power(sin(radians(o.address_lng - p.lng) / 2), 2)))))::int
      FROM pizzerias p WHERE p.id = o.pizzeria_id AND o.address_lat IS NOT NULL AND o.address_lng IS NOT NULL)) END,
  'promisedAt', ${iso('o.promised_at')},
  'scheduled', CASE WHEN o.wanted_at IS NULL THEN NULL ELSE jsonb_build_object(
    'slotAt', ${iso('o.wanted_at')}, 'fireAt', ${iso('o.fire_at')}, 'fired', o.fired_at IS NOT NULL) END,
  'delivery', jsonb_build_object(
    'proof', o.proof_kind,
    'collected', CASE WHEN o.collected_method IS NULL THEN NULL ELSE jsonb_build_object('cents', o.collected_cents, 'method', o.collected_method) END,
    'failure', CASE WHEN o.delivery_failed_at IS NULL THEN NULL ELSE jsonb_build_object(
      'reason', o.delivery_failure, 'note', o.delivery_failure_note, 'at', ${iso('o.delivery_failed_at')}) END,
    'awaitingDecision', o.awaiting_decision,
    'pinLocked', EXISTS (SELECT 1 FROM delivery_pin_attempts a WHERE a.order_id = o.id AND a.wrong >= ${MAX_PIN_ATTEMPTS}),
    'attempts', o.delivery_attempts),
  'payment', jsonb_build_object(
    'method', o.payment_method, 'status', o.payment_status, 'attempt', o.payment_attempt, 'paidWith', o.paid_with, 'tipCents', o.card_tip_cents,
    'tipRefundedCents', CASE WHEN o.card_tip_cents = 0 THEN 0 ELSE coalesce((SELECT sum(t.amount_cents) FROM tips t WHERE t.order_id = o.id AND t.moment = 'checkout' AND t.status = 'refunded'), 0) END,
    'captured', EXISTS (SELECT 1 FROM payment_movements m WHERE m.order_id = o.id AND m.kind = 'captured'),
    'captureFailed', o.capture_failed_at IS NOT NULL,
    'holdAt', CASE WHEN o.payment_status = 'card_saved' THEN ${iso('o.hold_due_at')} END,
    'payBy', CASE WHEN o.payment_status = 'failed' THEN ${iso('o.hold_pay_by')} END,
    'voucher', CASE WHEN o.meal_voucher_cents > 0 THEN jsonb_build_object('cents', o.meal_voucher_cents, 'issuer', o.meal_voucher_issuer) END),
  'totalCents', o.total_cents,
  'paidCents', o.paid_cents,
  'amountDueCents', o.amount_due_cents,
  'refundDueCents', o.refund_due_cents,
  'refundedCents', o.refunded_cents,
  'refundedAt', ${iso('o.refunded_at')},
  'cancelReason', o.cancel_reason,
  'driver', CASE WHEN o.driver_id IS NULL THEN NULL
    ELSE jsonb_build_object('id', o.driver_id, 'name', (SELECT u.name FROM users u WHERE u.id = o.driver_id)) END,
  'offer', CASE WHEN o.offer_driver_id IS NULL THEN NULL ELSE jsonb_build_object('driverId', o.offer_driver_id,
    'name', (SELECT u.name FROM users u WHERE u.id = o.offer_driver_id), 'expiresAt', ${iso('o.offer_expires_at')}) END,
  'waitingForDriver', o.waiting_for_driver,
  'late', o.late,
  'lateExpected', CASE WHEN o.late_expected_at IS NULL THEN NULL ELSE jsonb_build_object(
    'minutes', o.late_expected_minutes, 'at', ${iso('o.late_expected_at')}) END,
  'urgent', o.urgent,
  'allergy', CASE WHEN o.allergy_allergens = '{}' AND o.allergy_note IS NULL THEN NULL ELSE jsonb_build_object(
    'allergens', o.allergy_allergens, 'note', o.allergy_note, 'readAt', ${iso('o.allergy_read_at')},
    'readFirst', o.allergy_read_first) END,
  'items', coalesce((
    SELECT jsonb_agg(jsonb_build_object(
             'id', i.id, 'productId', i.product_id, 'name', i.name, 'category', i.category, 'categoryId', i.category_id,
             'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents, 'options', i.options, 'doneAt', ${iso('i.done_at')}, 'halves', i.halves,
             'allergens', i.allergens, 'allergenKinds', i.allergen_kinds) ORDER BY i.id)
    FROM order_items i WHERE i.order_id = o.id), '[]'::jsonb),
  'timestamps', jsonb_strip_nulls(jsonb_build_object(
    'created', ${iso('o.created_at')},
    ${ORDER_STATUSES.map((s) => `'${s}', ${iso(`o.${s}_at`)}`).join(',\n    ')}))
)`;

/**
 * ORDER_VIEW as json rather than jsonb, for a list sent on as text (head office's board, read by a
 * page as JSON: src/lib/shapes/json-text.ts): the same fields and values, each object's keys in the
 * order written above rather than jsonb's. Without jsonb's sorting of every object's keys it costs
 * Postgres 40 % less a view (150 orders: 7 ms against 12).
 */
export const ORDER_VIEW_JSON = ORDER_VIEW.replaceAll('jsonb_build_object(', 'json_build_object(')
  .replaceAll('jsonb_agg(', 'json_agg(')
  .replaceAll('jsonb_strip_nulls(', 'json_strip_nulls(')
  .replaceAll("'[]'::jsonb", "'[]'::json");
