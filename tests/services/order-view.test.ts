// The order view is built in SQL (src/lib/server/kernel/order-view.ts) and typed in TypeScript
// (src/lib/shapes/views.ts): every screen reads the one through the other. A key the SQL adds,
// drops or misspells is caught here, and a key the type gains is a compile error in the lists below
// until it is listed (each list must name exactly the type's keys).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { seededProduct, address, createShop, customer, testPool } from '../helpers.ts';
import type { OrderItemView, OrderView } from '../../src/lib/shapes/views.ts';
import { ORDER_STATUSES } from '../../src/lib/domain/order-states.ts';
import { getOrder, listOrders, listOrdersJson } from '../../src/lib/server/orders/index.ts';
import { fromJsonText } from '../../src/lib/shapes/json-text.ts';
import { placeOrder } from '../../src/lib/server/flows/placing.ts';

type Keys<T> = Record<keyof T, true>;
// the view's keys; releasedDriverId is on a release event only (recordRelease), never in the view itself
const VIEW = {
  id: true, number: true, pizzeriaId: true, channel: true, fulfilment: true, marketplace: true, status: true, version: true, customer: true, address: true,
  promisedAt: true, scheduled: true, delivery: true, payment: true, totalCents: true, paidCents: true, amountDueCents: true, refundDueCents: true,
  refundedCents: true, refundedAt: true, cancelReason: true, driver: true, offer: true, waitingForDriver: true, late: true, lateExpected: true, urgent: true, allergy: true, items: true,
  timestamps: true,
} satisfies Omit<Keys<OrderView>, 'releasedDriverId'>;
const ADDRESS = {
  street: true, city: true, distanceM: true, postcode: true, lat: true, lng: true, locatedBy: true, doorCode: true, floor: true, instructions: true,
} satisfies Keys<NonNullable<OrderView['address']>>;
const DELIVERY = { proof: true, collected: true, failure: true, awaitingDecision: true, attempts: true, pinLocked: true } satisfies Keys<OrderView['delivery']>;
const PAYMENT = { method: true, status: true, attempt: true, paidWith: true, captured: true, captureFailed: true, holdAt: true, payBy: true, voucher: true, tipCents: true, tipRefundedCents: true } satisfies Keys<OrderView['payment']>;
const CUSTOMER = { name: true, phone: true } satisfies Keys<OrderView['customer']>;
const ITEM = { id: true, productId: true, name: true, category: true, categoryId: true, quantity: true, unitPriceCents: true, options: true, doneAt: true, halves: true, allergens: true, allergenKinds: true } satisfies Keys<OrderItemView>;

const sorted = (o: object) => Object.keys(o).sort();

let pool: pg.Pool;
let shop: Awaited<ReturnType<typeof createShop>>;
beforeAll(async () => {
  pool = testPool();
  shop = await createShop(pool, 'view');
});
afterAll(async () => {
  await pool.end();
});

describe('the order view, as the database builds it', () => {
  it('has exactly the keys its type names, at every level, for a delivery with its address', async () => {
    const placed = await placeOrder(
      pool,
      {
        pizzeriaId: shop.id, channel: 'online', fulfilment: 'delivery', customer, address,
        items: [{ productId: seededProduct('margherita'), quantity: 2 }], payment: 'on_delivery',
      },
      { kind: 'customer' },
    );
    const view = (await getOrder(pool, placed.order.id))!;
    expect(sorted(view)).toEqual(sorted(VIEW));
    expect(sorted(view.address!)).toEqual(sorted(ADDRESS));
    expect(sorted(view.delivery)).toEqual(sorted(DELIVERY));
    expect(sorted(view.payment)).toEqual(sorted(PAYMENT));
    expect(sorted(view.customer)).toEqual(sorted(CUSTOMER));
    expect(view.items.map(sorted)).toEqual([sorted(ITEM)]);
    // a timestamp per status reached (here: received) and the creation, named as the statuses are
    expect(Object.keys(view.timestamps).every((k) => k === 'created' || (ORDER_STATUSES as readonly string[]).includes(k))).toBe(true);
    expect(view.timestamps.received).toBeDefined();
  });

  it('is the same as json for a list sent on as text (head office\'s board) as the view itself: a delivery with its options, a driver, a pickup', async () => {
    const margherita = seededProduct('margherita');
    const extras = (await pool.query<{ id: number }>(`SELECT id FROM product_options WHERE product_id = $1 AND kind = 'extra' ORDER BY id LIMIT 2`, [margherita])).rows.map((r) => r.id);
    const withOptions = await placeOrder(pool, {
      pizzeriaId: shop.id, channel: 'online', fulfilment: 'delivery', customer, address: { ...address, doorCode: 'B12', instructions: 'sonner deux fois' },
      items: [{ productId: margherita, quantity: 2 }, { productId: margherita, quantity: 1, options: extras }], payment: 'on_delivery',
    }, { kind: 'customer' });
    const driver = (await pool.query<{ id: number }>(`SELECT id FROM users WHERE role = 'driver' ORDER BY id LIMIT 1`)).rows[0].id;
    await pool.query('UPDATE orders SET driver_id = $2, late = true, version = version + 1 WHERE id = $1', [withOptions.order.id, driver]);
    await placeOrder(pool, {
      pizzeriaId: shop.id, channel: 'online', fulfilment: 'pickup', customer, items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'on_delivery',
    }, { kind: 'customer' });
    const filter = { pizzeriaIds: [shop.id], activeOnly: true, limit: 1000 };
    const asText = fromJsonText(await listOrdersJson(pool, filter));
    const views = await listOrders(pool, filter);
    expect(views.length).toBeGreaterThanOrEqual(3);
    expect(asText).toEqual(views);
    expect(asText.find((o) => o.id === withOptions.order.id)).toMatchObject({ driver: { id: driver }, late: true, address: { doorCode: 'B12' } });
    expect(asText.find((o) => o.id === withOptions.order.id)!.items[1].options).toHaveLength(2);
  });
});
