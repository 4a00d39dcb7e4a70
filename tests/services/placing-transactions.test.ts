// What placing an order and moving it cost Postgres in transactions, as Postgres itself counts them
// (pg_stat_database: commits and rollbacks of the file's own database, which nothing else uses):
// placing with every feature of the storefront at once (a delivery for later, a promo code or
// loyalty points, a signed-in customer's history and saved address, the limits on a client, an
// Idempotency-Key, a remembered allergy note, a tip by card) takes at most three, its repeat too;
// a kitchen's move one when the order is known (the API's hubs hold it), two when it is read first.
// Issue 59: cost that grows with the orders, counted per unit of work. A shop's first order reads
// what placing keeps a minute (the road at this hour, the drivers' plan): each count below comes
// after one order of the shop, as on a shop's evening.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, createShop, seededProduct } from '../helpers.ts';
import { fileDatabase } from '../file-database.ts';
import { placeOrder, type PlaceOptions, type PlaceOrderInput } from '../../src/lib/server/flows/placing.ts';
import { advanceOrder, type StaffActor } from '../../src/lib/server/orders/index.ts';
import { readBeforePlacing } from '../../src/lib/server/orders/lines.ts';
import { openSlots } from '../../src/lib/server/orders/slots.ts';
import { createPromo } from '../../src/lib/server/offers/promos.ts';
import type { OrderView } from '../../src/lib/shapes/views.ts';

const margherita = seededProduct('margherita');
const reine = seededProduct('reine');
const peroni = seededProduct('peroni');

/**
 * Postgres adds a connection's transactions to the database's figures when the connection goes
 * idle, at most once a second, and only with statistics of some table to report beside them,
 * unless asked to do it at once (pg_stat_force_next_flush). The placing pool's one connection asks
 * before and after the work, and each reading asks in its own statement, each reading a table, so
 * a reading sees every transaction before it, the earlier readings once each.
 */
const FLUSHED = 'SELECT pg_stat_force_next_flush() FROM pg_class LIMIT 1';
const flushed = (q: pg.Pool) => q.query(FLUSHED);

let reader: pg.Client;
async function transactionsSoFar(): Promise<number> {
  const { rows } = await reader.query<{ n: string }>(
    `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()) AS n FROM (${FLUSHED}) f`,
  );
  return Number(rows[0].n);
}

/**
 * The pool placing goes through: one connection, kept for the whole file, as a server keeps its
 * pool (what placing keeps a minute per shop is kept with the pool).
 */
let placing: pg.Pool;

/** The transactions `work` makes on the placing pool, less what counting itself makes (measured with no work). */
let counting = 0;
async function transactionsOf(work: (pool: pg.Pool) => Promise<unknown>): Promise<number> {
  await flushed(placing);
  const before = await transactionsSoFar();
  await work(placing);
  await flushed(placing);
  return (await transactionsSoFar()) - before - counting;
}

let shop: Awaited<ReturnType<typeof createShop>>;
let kitchen: StaffActor;
let customerId: string;
let promo: string;
const limits = { ordersPerClient: 5, itemsPerClient: 40, stockShare: 0.5, aheadHours: 24, ordersPerContactPerHour: 10 };

beforeAll(async () => {
  reader = new pg.Client({ connectionString: fileDatabase().databaseUrl });
  await reader.connect();
  placing = new pg.Pool({ connectionString: fileDatabase().databaseUrl, max: 1 });
  shop = await createShop(placing, 'placing-tx');
  const u = (await placing.query('SELECT id, name FROM users WHERE email = $1', [shop.email('kitchen')])).rows[0];
  kitchen = { kind: 'staff', id: u.id, role: 'kitchen', pizzeriaId: shop.id, name: u.name };
  const admin = (await placing.query('SELECT id, name FROM users WHERE email = $1', ['admin@ocpizza.test'])).rows[0];
  promo = `TX${Date.now().toString(36)}`.toUpperCase();
  await createPromo(placing, { kind: 'staff', id: admin.id, role: 'admin', pizzeriaId: null, name: admin.name }, { code: promo, kind: 'percent', value: 10 });
  customerId = (await placing.query<{ id: string }>(`INSERT INTO customers (email, name) VALUES ($1, 'Camille Martin') RETURNING id`, [`tx-${randomUUID()}@example.test`])).rows[0].id;
  // enough points for a free pizza (the scheme's: src/lib/domain/loyalty.ts)
  await placing.query(`INSERT INTO loyalty_ledger (customer_id, points, reason) VALUES ($1, 500, 'earned')`, [customerId]);
  counting = await transactionsOf(async () => {});
});
afterAll(async () => {
  await placing?.end();
  await reader?.end();
});

const phone = () => `06${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const pickupAtTheDoor = (): PlaceOrderInput => ({
  pizzeriaId: shop.id, channel: 'online', fulfilment: 'pickup', customer: { name: 'Léa Martin', phone: phone() },
  items: [{ productId: margherita, quantity: 2 }], payment: 'on_delivery',
}) as PlaceOrderInput;

/** A delivery for a later slot tonight or tomorrow, of three pizzas with options and a drink, by a signed-in customer who remembers an allergy. */
async function everything(pool: pg.Pool, extra: Partial<PlaceOrderInput>): Promise<PlaceOrderInput> {
  const { shop: s } = await readBeforePlacing(pool, shop.id, [margherita]);
  const { slots } = await openSlots(pool, s!, { fulfilment: 'delivery', pizzas: 3, minutes: 6, distanceM: 1000 });
  expect(slots.length, 'a slot is open for a delivery later').toBeGreaterThan(1);
  return {
    pizzeriaId: shop.id, channel: 'online', fulfilment: 'delivery', customer: { name: 'Camille Martin', phone: phone(), email: 'camille@example.test' },
    address: { ...address, doorCode: '4B21', floor: '3e', instructions: 'interphone Martin' },
    items: [{ productId: margherita, quantity: 2 }, { productId: reine, quantity: 1 }, { productId: peroni, quantity: 1 }],
    payment: 'online', slot: slots[1].start,
    allergy: { allergens: ['gluten'], note: 'coeliac', confirmed: true, remember: true },
    ...extra,
  } as PlaceOrderInput;
}

const options = (extra: PlaceOptions = {}): PlaceOptions => ({ limits, clientAddress: '203.0.113.9', customerId, idempotencyKey: randomUUID(), ...extra });

describe('placing an order, counted in Postgres transactions (issue 59)', () => {
  it('a pickup paid at the door: at most three', async () => {
    await transactionsOf((pool) => placeOrder(pool, pickupAtTheDoor(), { kind: 'customer' }));
    const n = await transactionsOf((pool) => placeOrder(pool, pickupAtTheDoor(), { kind: 'customer' }));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(3);
  });

  it('a delivery for later with a promo code, a tip, a remembered allergy, the limits and an Idempotency-Key: at most three, and its repeat too', async () => {
    const input = await everything(placing, { promoCode: promo, tipCents: 200 });
    const again = await everything(placing, { promoCode: promo, tipCents: 200 });
    await transactionsOf((pool) => placeOrder(pool, again, { kind: 'customer' }, options()));
    const opts = options();
    let placed!: Awaited<ReturnType<typeof placeOrder>>;
    const n = await transactionsOf(async (pool) => (placed = await placeOrder(pool, input, { kind: 'customer' }, opts)));
    // every feature took part: the discount, the tip, the slot, the account
    expect(placed.order.scheduled).toBeTruthy();
    expect(placed.order.payment.tipCents).toBe(200);
    expect(placed.order.totalCents).toBeLessThan(placed.order.items.reduce((s, i) => s + i.unitPriceCents * i.quantity, 0) + 1000);
    const { rows: [r] } = await placing.query(
      `SELECT (SELECT count(*)::int FROM promo_redemptions WHERE order_id = $1) AS promo, (SELECT count(*)::int FROM customer_orders WHERE order_id = $1) AS account,
              (SELECT count(*)::int FROM customer_allergies WHERE customer_id = $2) AS remembered`,
      [placed.order.id, customerId],
    );
    expect(r).toEqual({ promo: 1, account: 1, remembered: 1 });
    expect(n).toBeLessThanOrEqual(3);

    const repeat = await transactionsOf(async (pool) => {
      const replayed = await placeOrder(pool, input, { kind: 'customer' }, opts);
      expect(replayed.replayed).toBe(true);
      expect(replayed.order.id).toBe(placed.order.id);
    });
    expect(repeat).toBeLessThanOrEqual(3);
  });

  it('the same with loyalty points spent instead of a promo code: at most three', async () => {
    const input = await everything(placing, { useLoyalty: true, payment: 'on_delivery' } as Partial<PlaceOrderInput>);
    let placed!: Awaited<ReturnType<typeof placeOrder>>;
    const n = await transactionsOf(async (pool) => (placed = await placeOrder(pool, input, { kind: 'customer' }, options())));
    const { rows } = await placing.query('SELECT points FROM loyalty_redemptions WHERE order_id = $1', [placed.order.id]);
    expect(rows).toHaveLength(1);
    expect(n).toBeLessThanOrEqual(3);
  });
});

describe("a kitchen's move, counted in Postgres transactions (issue 59)", () => {
  it('one when the order is known (the view the screen or the hub holds), two when it is read first', async () => {
    let order!: OrderView;
    await transactionsOf(async (pool) => (order = (await placeOrder(pool, pickupAtTheDoor(), { kind: 'customer' })).order));
    const known = await transactionsOf(async (pool) => (order = (await advanceOrder(pool, kitchen, order.id, 'preparing', order.version, { seen: order })).order));
    expect(order.status).toBe('preparing');
    expect(known).toBe(1);
    const read = await transactionsOf(async (pool) => (order = (await advanceOrder(pool, kitchen, order.id, 'ready', order.version)).order));
    expect(order.status).toBe('ready');
    expect(read).toBe(2);
  });
});
