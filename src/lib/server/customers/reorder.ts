// "The same again": a signed-in customer's earlier order placed anew in one tap, at the same shop,
// the same way (delivered to the same door, or collected) and paid the same way, with what the shop
// cannot sell now left out and named, never silently.
import type { Locale } from '../../i18n/core.ts';
import type { LineRequest } from '../../domain/pricing.ts';
import { getMenu } from '../catalogue.ts';
import type { Db } from '../db.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import { placeOrder, type PlaceOptions, type PlacedOrder } from '../placing.ts';

interface PastLine {
  productId: number;
  /** A half-and-half's right half (productId its left one); null: a whole product. */
  secondHalfId: number | null;
  name: string;
  quantity: number;
  options: { id: number; name: string }[];
}

export interface Reordered extends PlacedOrder {
  /** The lines of the earlier order the shop cannot sell now (sold out, off tonight, withdrawn): not in the new order. */
  leftOut: { productId: number; name: string; quantity: number }[];
}

/** Sold-out lines are left out and the rest tried again, at most this many times (stock can run out between two tries). */
const TRIES = 3;

export async function reorder(
  db: Db,
  customerId: string,
  orderId: string,
  opts: PlaceOptions & { onlinePayment: boolean; locale: Locale },
): Promise<Reordered> {
  const { rows } = await db.query(
    `SELECT o.pizzeria_id, o.fulfilment, o.payment_method, o.customer_name, o.customer_phone, o.customer_email, o.customer_lang,
            o.address_street, o.address_postcode, o.address_city, o.address_lat, o.address_lng, o.door_code, o.floor, o.delivery_instructions,
            (SELECT json_agg(json_build_object('productId', i.product_id, 'secondHalfId', (i.halves->'right'->>'productId')::int, 'name', i.name, 'quantity', i.quantity,
                     'options', (SELECT coalesce(json_agg(json_build_object('id', (x->>'id')::int, 'name', x->>'name')), '[]') FROM jsonb_array_elements(i.options) x))
                     ORDER BY i.id)
             FROM order_items i WHERE i.order_id = o.id) AS lines
     FROM customer_orders co JOIN orders o ON o.id = co.order_id WHERE co.order_id = $1 AND co.customer_id = $2`,
    [orderId, customerId],
  );
  const past = rows[0];
  if (!past) throw notFound('order');
  const lines = past.lines as PastLine[];
  // what the shop's menu sells now (an option withdrawn or out counts as the line unavailable)
  const menu = new Map((await getMenu(db, past.pizzeria_id, opts.locale)).map((p) => [p.id, p]));
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
  const address = past.fulfilment === 'delivery'
    ? {
        street: past.address_street, postcode: past.address_postcode ?? '', city: past.address_city,
        ...(past.address_lat !== null && past.address_lng !== null ? { lat: past.address_lat, lng: past.address_lng, locatedBy: 'pin' as const } : {}),
        doorCode: past.door_code ?? undefined, floor: past.floor ?? undefined, instructions: past.delivery_instructions ?? undefined,
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
          pizzeriaId: past.pizzeria_id,
          channel: 'online',
          fulfilment: past.fulfilment,
          customer: { name: past.customer_name, phone: past.customer_phone, ...(past.customer_email ? { email: past.customer_email } : {}) },
          address,
          items: items.map(({ name: _name, ...line }) => line),
          payment: past.payment_method === 'online' && opts.onlinePayment ? 'online' : 'on_delivery',
          lang: past.customer_lang,
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
      for (const l of items.filter(isGone)) leftOut.push({ productId: l.productId, secondHalfId: l.secondHalfId ?? null, name: l.name, quantity: l.quantity, options: [] });
      items = items.filter((i) => !isGone(i));
    }
  }
}
