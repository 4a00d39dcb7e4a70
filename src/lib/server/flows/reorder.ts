// "The same again": a signed-in customer's earlier order brought back. The storefront opens it as a
// review (`reorderDraft`: its checkout filled with the order's lines, the way it went, its door and
// contacts, nothing placed until the customer confirms there, as any order); the API can still place
// it anew in one call (`reorder`), at the same shop, the same way and paid the same way, with what
// the shop cannot sell now left out and named, never silently.
import type { Locale } from '../../i18n/core.ts';
import type { LineRequest } from '../../domain/pricing.ts';
import type { DeliveryAddress, Fulfilment } from '../../domain/order-states.ts';
import { getMenu } from '../shops/catalogue.ts';
import type { CallerLine } from '../customers/callers.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import { AppError, conflict, notFound } from '../kernel/errors.ts';
import { placeOrder, type PlaceOptions, type PlacedOrder } from './placing.ts';

type PastLine = CallerLine;

export interface Reordered extends PlacedOrder {
  /** The lines of the earlier order the shop cannot sell now (sold out, off tonight, withdrawn): not in the new order. */
  leftOut: { productId: number; name: string; quantity: number }[];
}

/** An earlier order as the storefront's checkout takes it back for review: nothing placed, nothing held. */
export interface ReorderDraft {
  orderId: string;
  number: number;
  placedAt: string;
  pizzeriaId: number;
  fulfilment: Fulfilment;
  payment: 'online' | 'on_delivery';
  customer: { name: string; phone: string; email: string | null };
  /** The language its messages went in. */
  lang: Locale;
  /** Its door, for a delivery (with the spot it had). */
  address: DeliveryAddress | null;
  /** Its lines as sold (the checkout prices them on tonight's menu and says what it cannot make). */
  lines: PastLine[];
}

/** A signed-in customer's earlier order, as the review takes it (null: not theirs, or no such order). */
export async function reorderDraft(q: Queryable, customerId: string, orderId: string): Promise<ReorderDraft | null> {
  const { rows } = await q.query(
    `SELECT o.id, o.number, o.created_at, o.pizzeria_id, o.fulfilment, o.payment_method, o.customer_name, o.customer_phone, o.customer_email, o.customer_lang,
            o.address_street, o.address_postcode, o.address_city, o.address_lat, o.address_lng, o.door_code, o.floor, o.delivery_instructions,
            (SELECT coalesce(json_agg(json_build_object('productId', i.product_id, 'secondHalfId', (i.halves->'right'->>'productId')::int,
                      'name', i.name, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents,
                      'options', (SELECT coalesce(json_agg(json_build_object('id', (x->>'id')::int, 'kind', x->>'kind', 'name', x->>'name')), '[]')
                                  FROM jsonb_array_elements(i.options) x)) ORDER BY i.id), '[]')
             FROM order_items i WHERE i.order_id = o.id) AS lines
     FROM customer_orders co JOIN orders o ON o.id = co.order_id WHERE co.order_id = $1 AND co.customer_id = $2`,
    [orderId, customerId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    orderId: r.id,
    number: r.number,
    placedAt: new Date(r.created_at).toISOString(),
    pizzeriaId: r.pizzeria_id,
    fulfilment: r.fulfilment,
    payment: r.payment_method === 'online' ? 'online' : 'on_delivery',
    customer: { name: r.customer_name, phone: r.customer_phone, email: r.customer_email },
    lang: r.customer_lang,
    address: r.fulfilment === 'delivery' && r.address_street
      ? {
          street: r.address_street, postcode: r.address_postcode ?? '', city: r.address_city ?? '', lat: r.address_lat, lng: r.address_lng,
          doorCode: r.door_code, floor: r.floor, instructions: r.delivery_instructions,
        }
      : null,
    lines: r.lines,
  };
}

/** Sold-out lines are left out and the rest tried again, at most this many times (stock can run out between two tries). */
const TRIES = 3;

export async function reorder(
  db: Db,
  customerId: string,
  orderId: string,
  opts: PlaceOptions & { onlinePayment: boolean; locale: Locale },
): Promise<Reordered> {
  const draft = await reorderDraft(db, customerId, orderId);
  if (!draft) throw notFound('order');
  const lines = draft.lines;
  // what the shop's menu sells now (an option withdrawn or out counts as the line unavailable)
  const menu = new Map((await getMenu(db, draft.pizzeriaId, opts.locale)).map((p) => [p.id, p]));
  const sellable = (l: PastLine) => {
    const p = menu.get(l.productId);
    // a half-and-half: both its halves
    const second = l.secondHalfId === null ? null : menu.get(l.secondHalfId);
    if (second !== null && (!second || !second.available || second.offTonight)) return false;
    return !!p && p.available && !p.offTonight && l.options.every((o) => p.options.some((m) => m.id === o.id && m.available));
  };
  const leftOut = lines.filter((l) => !sellable(l));
  let items: (LineRequest & { name: string })[] = lines
    .filter(sellable)
    .map((l) => ({
      productId: l.productId, quantity: l.quantity, name: l.name, ...(l.options.length ? { options: l.options.map((o) => o.id) } : {}),
      ...(l.secondHalfId !== null ? { secondHalfId: l.secondHalfId } : {}),
    }));
  const a = draft.address;
  const address = a
    ? {
        street: a.street, postcode: a.postcode, city: a.city,
        ...(a.lat !== null && a.lng !== null ? { lat: a.lat, lng: a.lng, locatedBy: 'pin' as const } : {}),
        doorCode: a.doorCode ?? undefined, floor: a.floor ?? undefined, instructions: a.instructions ?? undefined,
      }
    : null;
  for (let attempt = 1; ; attempt++) {
    if (!items.length) {
      throw conflict('nothing_available', 'nothing of that order can be made right now', { items: leftOut.map((l) => ({ productId: l.productId, name: l.name })) });
    }
    try {
      const placed = await placeOrder(
        db,
        {
          pizzeriaId: draft.pizzeriaId,
          channel: 'online',
          fulfilment: draft.fulfilment,
          customer: { name: draft.customer.name, phone: draft.customer.phone, ...(draft.customer.email ? { email: draft.customer.email } : {}) },
          address,
          items: items.map(({ name: _name, ...line }) => line),
          payment: draft.payment === 'online' && opts.onlinePayment ? 'online' : 'on_delivery',
          lang: draft.lang,
        },
        { kind: 'customer' },
        { ...opts, customerId },
      );
      return { ...placed, leftOut: leftOut.map((l) => ({ productId: l.productId, name: l.name, quantity: l.quantity })) };
    } catch (err) {
      // sold out between the menu's reading and the reservation: those lines out, and the rest again
      const short = err instanceof AppError && err.code === 'unavailable' ? (err.details.items as { productId: number }[] | undefined) : undefined;
      if (!short?.length || attempt >= TRIES) throw err;
      const gone = new Set(short.map((s) => s.productId));
      const isGone = (i: LineRequest) => gone.has(i.productId) || (i.secondHalfId !== undefined && gone.has(i.secondHalfId));
      for (const l of items.filter(isGone)) leftOut.push({ productId: l.productId, secondHalfId: l.secondHalfId ?? null, name: l.name, quantity: l.quantity, unitPriceCents: 0, options: [] });
      items = items.filter((i) => !isGone(i));
    }
  }
}
