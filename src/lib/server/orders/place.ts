// Placing an order: checked, priced, located, promised, numbered, written with its lines and its
// stock reserved, in as few round trips as the shop's counter row can bear. What the features add
// (limits, slots, promo codes, loyalty points, a customer's history) runs as the steps it is given
// (steps.ts), in their order; the list is composed outside orders (src/lib/server/flows/placing.ts).
import { randomBytes, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { type OrderStatus } from '../../domain/order-states.ts';
import { DEFAULT_ETA_SETTINGS, promisedMinutes } from '../../domain/eta.ts';
import { distanceM } from '../../domain/geo.ts';
import { transaction, type Db, type Tx } from '../kernel/db.ts';
import { AppError, forbidden, invalid } from '../kernel/errors.ts';
import { claimIdempotencyKey, requestHash } from '../kernel/idempotency.ts';
import { locateDelivery, refuseIfClosed } from '../road/places.ts';
import { type OrderActor, actorLabel, canActOnShop } from '../kernel/actors.ts';
import { getOrder } from './read.ts';
import { recordEvent } from './record.ts';
import { refuseShort, readBeforePlacing, checkLineQuantities, priceLines, pizzaCount, lineColumns, linesFrom, halvesColumn, productIdsOf } from './lines.ts';
import { clientKeys } from './limits.ts';
import { heldAhead } from '../../domain/unpaid-holds.ts';
import { ovenMinutesOf, planForSlot } from './slots.ts';
import { roadAt } from '../road/road-model.ts';
import { asapPromise } from '../../domain/slots.ts';
import type { MarketplacePlacing, Placing, PlaceOptions, PlaceOrderInput, PlacedOrder, PlacingContext, PreparedOrder } from './steps.ts';
import { lineKey } from '../../domain/marketplaces.ts';
import { can, may } from '../../domain/permissions.ts';

export type { PlaceOptions, PlaceOrderInput, PlacedOrder } from './steps.ts';


/** Who may place it, and whether it is whole: refused before anything is read. */
function checkPlacing(input: PlaceOrderInput, actor: OrderActor): void {
  // a platform's order: placed by the workers for the platform, paid to it, and nothing else is
  const fromPlatform = input.channel === 'marketplace';
  if (fromPlatform !== (input.payment === 'marketplace') || fromPlatform !== !!input.marketplace) throw invalid({ channel: 'only a platform order is paid to a platform' });
  if (fromPlatform) {
    if (actor.kind !== 'system') throw forbidden('platform orders are placed by the workers');
  } else if (input.channel !== 'online') {
    if (actor.kind !== 'staff' || !may(actor.role, can.takeOrders)) {
      throw forbidden('phone and counter orders are taken by shop staff');
    }
  }
  if (actor.kind === 'staff' && !canActOnShop(actor, input.pizzeriaId)) throw forbidden('not your shop');
  if (input.fulfilment === 'delivery' && !input.address) throw invalid({ address: 'a delivery needs an address' });
  checkLineQuantities(input.items);
}

/** What is known of an order before its transaction: its shop, its price, where it goes, who asks. */
async function prepare(dbp: Db, input: PlaceOrderInput, actor: OrderActor, opts: PlaceOptions, placing: Placing): Promise<PreparedOrder> {
  // the shop, its queue and what it sells of the order, in one read before the transaction: what is
  // read here only prices the order and shapes its promise; the stock is decided by `reserve`
  // and the road its drivers make at this hour (learned from its own deliveries, cached)
  const [known, road] = await Promise.all([
    readBeforePlacing(dbp, input.pizzeriaId, productIdsOf(input.items)),
    roadAt(dbp, input.pizzeriaId, { mode: opts.travelMode ?? 'scooter', eta: opts.eta ?? DEFAULT_ETA_SETTINGS }),
  ]);
  // an order for later is for a slot within the shop's hours (planForSlot), whether it is open now or not
  if (input.channel === 'online' && !input.slot) refuseIfClosed(known.shop);
  const check = priceLines(known.catalogue, input.items, input.fulfilment, known.shop.halfAndHalfPricing);
  if (input.marketplace) atPlatformPrices(check.priced, input.marketplace);
  // where it goes, before the transaction (a geocoder is a network call): refused outside the shop's zone
  const spot =
    input.fulfilment === 'delivery'
      ? await locateDelivery(dbp, { shop: known.shop, address: input.address!, takenByStaff: actor.kind === 'staff', geocoder: opts.geocoder ?? null, log: opts.log })
      : null;
  // a customer's address (staff orders come from the shop's own, and are not counted against anyone)
  // (an IPv4 address mapped into IPv6 kept as the IPv4 one)
  const clientAddress = actor.kind === 'customer' && opts.clientAddress && isIP(opts.clientAddress) ? opts.clientAddress.replace(/^::ffff:(?=\d+\.)/i, '') : null;
  const pizzas = pizzaCount(check.priced.lines);
  const rule = promisedMinutes(
    {
      items: pizzas,
      itemsAhead: known.ahead,
      delivery: spot ? { distanceM: spot.at ? distanceM(known.shop, spot.at) : 2000, mode: road.mode } : null,
    },
    road.eta,
  );
  // a delivery: behind the orders the shop's drivers already have (its plan), not only the oven's queue
  const promised = spot ? await placing.promiseDelivery(dbp, opts.positions ?? null, known.shop, spot.at, rule, road) : rule;
  const who = clientKeys(clientAddress, input.customer.phone, input.customer.email);
  const ovenMinutes = ovenMinutesOf(check.priced.lines, known.catalogue);
  // as soon as possible: the rule, what the manager added in a rush, and later still when the oven is full
  const asap = asapPromise({
    ruleMinutes: promised, busyMinutes: known.shop.busyMinutes, need: ovenMinutes, capacity: known.shop.ovenMinutesPerSlot, load: known.loads, now: Date.now(),
  });
  const distance = spot?.at ? distanceM(known.shop, spot.at) : null;
  const later = input.slot
    ? planForSlot(input.slot, { shop: known.shop, pizzas, fulfilment: input.fulfilment, distanceM: distance, paysByCard: input.payment === 'online' }, road.eta)
    : null;
  // a platform's order is promised by the platform's time (the intake checked the kitchen can keep it)
  const minutes = input.marketplace ? Math.max(1, Math.ceil((input.marketplace.promisedAt.getTime() - Date.now()) / 60_000)) : asap.minutes;
  return { shop: known.shop, check, spot, clientAddress, pizzas, promised: minutes, who, ovenMinutes, later };
}

/** A platform's order at the prices its customer paid there: each line's, and the total. */
function atPlatformPrices(priced: ReturnType<typeof priceLines>['priced'], m: MarketplacePlacing) {
  for (const l of priced.lines) {
    l.unitPriceCents = m.unitPrices[lineKey(l.productId, l.options.map((o) => o.id))] ?? l.unitPriceCents;
    l.lineTotalCents = l.unitPriceCents * l.quantity;
  }
  // no delivery fee of ours: the platform charged its customer its own
  priced.deliveryFeeCents = 0;
  priced.subtotalCents = priced.totalCents = m.totalCents;
}

/** The order an earlier request with the same key placed; the same key with another request: 422. */
async function placedEarlier(tx: Tx, idempotency: { key: string; requestHash: string }): Promise<PlacedOrder | null> {
  const earlier = await claimIdempotencyKey(tx, idempotency.key);
  if (earlier && earlier.requestHash !== idempotency.requestHash) {
    throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different order', {
      fields: { 'Idempotency-Key': 'already used for a different order: send a new key for a new order' },
    });
  }
  if (!earlier) return null;
  const order = (await getOrder(tx, earlier.orderId))!;
  const { rows: t } = await tx.query<{ tracking_token: string }>('SELECT tracking_token FROM orders WHERE id = $1', [earlier.orderId]);
  return { order, trackingToken: t[0].tracking_token, replayed: true };
}

/** The least a card payment takes (Stripe's minimum in euros). */
export const MIN_CARD_PAYMENT_CENTS = 50;

/**
 * The order's number of the day, the order, its lines and what it holds of the shop's stock, in
 * one statement: the shop's counter row and its stock rows are locked from here to the commit
 * (every order of the shop takes its number and its ingredients from them), so as few round trips
 * as possible follow it. The stock is reserved by reserve_stock (db/migrations/0009) once the
 * order row exists, each ingredient only if the shop still has it free.
 */
async function insertOrder(tx: Tx, input: PlaceOrderInput, p: PreparedOrder, trackingToken: string, discountCents: number): Promise<{ id: string; short: number[] }> {
  // nothing left to pay (a discount took it all): nothing to pay online either, so no payment page
  const payment = input.payment === 'online' && p.check.priced.totalCents - discountCents <= 0 ? 'on_delivery' : input.payment;
  // 1 to 49 cents: card payments take no less than 0,50 € (Stripe: amount_too_small), so such an
  // order would wait for a payment that cannot be made, then be cancelled; refused here, said why
  const toPay = p.check.priced.totalCents - discountCents;
  if (payment === 'online' && toPay > 0 && toPay < MIN_CARD_PAYMENT_CENTS) {
    const message = `${toPay} cents left to pay: a card payment takes at least ${MIN_CARD_PAYMENT_CENTS} cents; pay at the door or the counter, or change the basket`;
    throw new AppError(422, 'online_amount_too_small', message, { fields: { payment: message } });
  }
  const paysOnline = payment === 'online';
  const status: OrderStatus = paysOnline ? 'pending_payment' : 'received';
  const mk = input.marketplace ?? null;
  const a = input.fulfilment === 'delivery' ? input.address! : null;
  const { priced, needs } = p.check;
  const ingredients = [...needs.keys()];
  const { rows } = await tx.query<{ id: string; short: number[] }>({
    name: `insert-order-${status}`,
    text: `WITH numbered AS (
       INSERT INTO order_counters (pizzeria_id, business_day, last_number)
       -- an order for later is numbered in the day of its slot, among that day's orders
       VALUES ($1, (coalesce($37::timestamptz - interval '15 minutes', now()) AT TIME ZONE 'Europe/Paris')::date, 1)
       ON CONFLICT (pizzeria_id, business_day) DO UPDATE SET last_number = order_counters.last_number + 1
       RETURNING last_number, business_day
     ), placed AS (
       INSERT INTO orders (pizzeria_id, business_day, number, channel, fulfilment, customer_name, customer_phone, customer_email,
         address_street, address_postcode, address_city, address_lat, address_lng,
         payment_method, payment_status, total_cents, status, tracking_token, ${status}_at,
         door_code, floor, delivery_instructions, location_source, delivery_pin, promised_at, customer_lang, client_address, phone_key, email_key, pizzas,
         oven_minutes, slot_at, wanted_at, fire_at, discount_cents,
         marketplace, external_id, external_code, marketplace_commission_cents, paid_cents, paid_with, marketplace_note)
       SELECT $1, n.business_day, n.last_number, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now(),
         $17, $18, $19, $20, $21, coalesce($37::timestamptz, now() + make_interval(mins => $22)), $23, $24, $25, $26, $27,
         $39, coalesce($37::timestamptz - interval '15 minutes',
           to_timestamp(floor(extract(epoch FROM now() + make_interval(mins => $22)) / 900) * 900)), $37::timestamptz - interval '15 minutes', $38, $41,
         $42, $43, $44, $45, CASE WHEN $42::text IS NULL THEN 0 ELSE $14::int END, CASE WHEN $42::text IS NULL THEN NULL ELSE 'marketplace'::paid_with END, $46
       FROM numbered n
       RETURNING id
     ), lined AS (
       INSERT INTO order_items (order_id, product_id, name, category, unit_price_cents, quantity, options, vat_rate, category_id, halves)
       SELECT placed.id, l.product_id, l.name, l.category, l.unit_price_cents, l.quantity, l.options, l.vat_rate,
             (SELECT p.category_id FROM products p WHERE p.id = l.product_id), l.halves
       FROM placed, ${linesFrom(28, 40)}
       ORDER BY l.n
     ), reserved AS (
       SELECT reserve_stock(placed.id, $1, $35::int[], $36::int[]) AS short FROM placed
     )
     SELECT placed.id, reserved.short FROM placed, reserved`,
    values: [
      input.pizzeriaId, input.channel, input.fulfilment,
      input.customer.name, input.customer.phone, input.customer.email ?? null,
      a?.street ?? null, a?.postcode ?? null, a?.city ?? null, p.spot?.at?.lat ?? null, p.spot?.at?.lng ?? null,
      // what is paid: a promo code's discount off
      payment, paysOnline ? 'pending' : mk ? 'paid' : 'due', priced.totalCents - discountCents, status, trackingToken,
      a?.doorCode ?? null, a?.floor ?? null, a?.instructions ?? null, p.spot?.source ?? null,
      // the proof of delivery the customer reads to the driver
      a ? String(randomInt(0, 10_000)).padStart(4, '0') : null,
      p.promised,
      input.lang ?? 'fr',
      p.clientAddress,
      p.who.phone,
      p.who.email,
      p.pizzas,
      ...lineColumns(priced.lines),
      ingredients,
      ingredients.map((id) => needs.get(id)!),
      // an order for later: promised by its slot's end, fired at its fire time
      p.later?.promisedAt ?? null,
      p.later?.fireAt ?? null,
      p.ovenMinutes,
      halvesColumn(priced.lines),
      discountCents,
      // a platform's order: the platform's ids, what it keeps, and paid to it
      mk?.id ?? null, mk?.externalId ?? null, mk?.code ?? null, mk?.commissionCents ?? null, mk?.note ?? null,
    ],
  });
  return rows[0];
}

/**
 * Places an order. With an `idempotencyKey`, a repeat of the same request (same actor, same input)
 * returns the order the first one placed, and the same key with anything else is refused; the key
 * is stored in the order's transaction, so concurrent repeats wait for each other and place one.
 */
export async function placeOrderWith(placing: Placing, dbp: Db, input: PlaceOrderInput, actor: OrderActor, opts: PlaceOptions = {}): Promise<PlacedOrder> {
  checkPlacing(input, actor);
  for (const step of placing.steps) step.check?.(input, opts);
  const prepared = await prepare(dbp, input, actor, opts, placing);
  const idempotency = opts.idempotencyKey ? { key: opts.idempotencyKey, requestHash: requestHash({ actor: actorLabel(actor), input }) } : null;
  const paysOnline = input.payment === 'online';
  const limits = actor.kind === 'customer' ? opts.limits : undefined;
  // an order for later paid at the door holds its stock from now to its fire time: unpaid while that is far
  const ahead = !paysOnline && !!limits && input.channel === 'online' && heldAhead(prepared.later?.fireAt.getTime() ?? null, Date.now(), limits.aheadHours);
  const ctx: PlacingContext = { input, actor, opts, prepared, limits, ahead, unpaid: paysOnline || ahead, idempotency, discountCents: null };
  return transaction(dbp, async (tx) => {
    const earlier = idempotency && (await placedEarlier(tx, idempotency));
    if (earlier) return earlier;
    // each hook in the order of the steps; a transaction tried again judges again
    ctx.discountCents = null;
    const judged: unknown[] = [];
    for (const step of placing.steps) {
      const j = step.judge ? await step.judge(tx, ctx) : null;
      if (j !== null && step.discount && ctx.discountCents === null) ctx.discountCents = step.discount(j);
      judged.push(j);
    }
    const trackingToken = randomBytes(24).toString('base64url');
    const placed = await insertOrder(tx, input, prepared, trackingToken, ctx.discountCents ?? 0);
    refuseShort(prepared.check, placed.short);
    for (const [i, step] of placing.steps.entries()) await step.record?.(tx, ctx, placed, judged[i]);
    const { order } = await recordEvent(tx, placed.id, 'order.placed', actor, { announce: opts.announce });
    return { order, trackingToken };
  }).catch(async (err: unknown) => {
    for (const step of placing.steps) await step.refused?.(dbp, ctx, err);
    throw err;
  });
}
