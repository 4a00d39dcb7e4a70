// Unpaid online orders hold stock for the whole payment window: they must not let anyone take a
// shop's menu off sale. Against real Postgres and Redis, through the API, with the limits at their
// real defaults (the rest of the suite raises them: it places hundreds of orders from one address).
import { randomInt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';
import { e164 } from '../../src/lib/server/kernel/sms.ts';
import { seededProduct, addressFor, createShop, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';

const defaults = parseConfig({});
const stack = useStack({
  env: {
    UNPAID_ORDERS_PER_CLIENT: String(defaults.UNPAID_ORDERS_PER_CLIENT),
    UNPAID_ITEMS_PER_CLIENT: String(defaults.UNPAID_ITEMS_PER_CLIENT),
    UNPAID_STOCK_SHARE: String(defaults.UNPAID_STOCK_SHARE),
    ORDERS_PER_CONTACT_PER_HOUR: String(defaults.ORDERS_PER_CONTACT_PER_HOUR),
  },
});
let pizzas: number[];

beforeAll(async () => {
  pizzas = [seededProduct('margherita'), seededProduct('reine'), seededProduct('napolitaine')];
});

/** A client of its own: an address (through the trusted proxy), a phone and an email no other test uses. */
function stranger() {
  const n = randomInt(10_000_000, 99_999_999);
  return { ip: `198.51.${randomInt(0, 255)}.${randomInt(1, 254)}`, phone: `07${n}`, email: `c${n}@example.test` };
}
type Who = ReturnType<typeof stranger>;

/** `n` pizzas, at most 20 of one kind (the per-order cap of a product). */
const lines = (n: number) =>
  pizzas.map((productId, i) => ({ productId, quantity: Math.max(0, Math.min(20, n - 20 * i)) })).filter((l) => l.quantity > 0);

async function order(shop: number, who: Who, n: number, payment: 'online' | 'on_delivery' = 'online') {
  const res = await fetch(`${stack.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': who.ip },
    body: JSON.stringify({
      pizzeriaId: shop, fulfilment: 'delivery', address: addressFor(shop), payment,
      customer: { name: 'Client', phone: who.phone, email: who.email }, items: lines(n),
    }),
  });
  return { status: res.status, body: await res.json() };
}

/** A shop with 60 dough balls, as a seeded shop starts the evening: 60 pizzas at most. */
async function shopWith60Doughs(tag: string) {
  const shop = await createShop(stack.pool, tag);
  await stack.pool.query(`UPDATE stock SET on_hand = 60 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop.id]);
  return shop;
}
const dough = async (shop: number) =>
  (await stack.pool.query(`SELECT l.free, l.reserved FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id WHERE l.pizzeria_id = $1 AND i.slug = 'pate'`, [shop])).rows[0];
const ordersOf = async (shop: number) => (await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE pizzeria_id = $1', [shop])).rows[0].n;
const onMenu = async (shop: number) =>
  ((await (await fetch(`${stack.base}/api/pizzerias/${shop}/menu`)).json()) as { id: number; available: boolean }[]).filter((p) => pizzas.includes(p.id) && p.available).length;

describe('unpaid online orders cannot take a shop off sale', () => {
  it('two unpaid orders of 50 and 10 pizzas from one client: the 50 is refused, and a real customer still gets 50 pizzas', async () => {
    const shop = await shopWith60Doughs('hoard-one');
    const hostile = stranger();
    const big = await order(shop.id, hostile, 50);
    expect(big.status, JSON.stringify(big.body)).toBe(429);
    expect(big.body.error).toMatchObject({ code: 'too_many_unpaid', message: expect.stringContaining('20 items') });
    expect(await ordersOf(shop.id)).toBe(0);
    expect(await dough(shop.id)).toEqual({ free: 60, reserved: 0 });
    expect((await order(shop.id, hostile, 10)).status).toBe(201);

    expect(await onMenu(shop.id)).toBe(3);
    const real = await order(shop.id, stranger(), 50, 'on_delivery');
    expect(real.status, JSON.stringify(real.body)).toBe(201);
    expect(real.body.status).toBe('received');
  });

  it('unpaid orders from many clients hold half the dough at most: the rest stays on sale for a customer who pays on delivery', async () => {
    const shop = await shopWith60Doughs('hoard-many');
    // each within its own allowance (20 items), from its own address, phone and email
    expect((await order(shop.id, stranger(), 20)).status).toBe(201);
    const second = await order(shop.id, stranger(), 20);
    expect(second.status, JSON.stringify(second.body)).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'unpaid_share', message: expect.stringContaining('pay on delivery') });
    expect((await order(shop.id, stranger(), 10)).status).toBe(201);
    expect(await dough(shop.id)).toEqual({ free: 30, reserved: 30 });
    expect((await order(shop.id, stranger(), 1)).status).toBe(409);

    // the menu says what is true: 30 pizzas can still be made, and a real customer gets them
    expect(await onMenu(shop.id)).toBe(3);
    const real = await order(shop.id, stranger(), 30, 'on_delivery');
    expect(real.status, JSON.stringify(real.body)).toBe(201);
    expect(await dough(shop.id)).toEqual({ free: 0, reserved: 60 });
  });

  it('a client with two unpaid orders, by address, phone or email, is refused a third (429), and nothing changes', async () => {
    const shop = await shopWith60Doughs('hoard-caps');
    const one = stranger();
    const rotate = (keep: 'ip' | 'phone' | 'email') => ({ ...stranger(), [keep]: one[keep] });
    for (const keep of ['ip', 'phone', 'email'] as const) {
      const unpaid = [await order(shop.id, rotate(keep), 1), await order(shop.id, rotate(keep), 1)];
      expect(unpaid.map((r) => r.status)).toEqual([201, 201]);
      const before = { orders: await ordersOf(shop.id), dough: await dough(shop.id) };
      const third = await order(shop.id, rotate(keep), 1);
      expect(third.status, keep).toBe(429);
      expect(third.body.error).toMatchObject({ code: 'too_many_unpaid', message: expect.stringContaining('2 orders are already waiting for payment') });
      expect({ orders: await ordersOf(shop.id), dough: await dough(shop.id) }).toEqual(before);
      // paying on delivery is not holding stock unpaid: still taken
      expect((await order(shop.id, rotate(keep), 1, 'on_delivery')).status).toBe(201);
      // once one is cancelled, the client may order online again
      expect((await fetch(`${stack.base}/api/track/${unpaid[0].body.trackingToken}/cancel`, { method: 'POST' })).status).toBe(200);
      expect((await order(shop.id, rotate(keep), 1)).status).toBe(201);
    }
  });

  it('eight unpaid orders from one address at the same moment: two are taken, six refused', async () => {
    const shop = await shopWith60Doughs('hoard-burst');
    const ip = stranger().ip;
    const answers = await Promise.all(Array.from({ length: 8 }, () => order(shop.id, { ...stranger(), ip }, 1)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 429, 429, 429, 429, 429, 429]);
    expect(await dough(shop.id)).toEqual({ free: 58, reserved: 2 });
  });

  it('an unpaid order changed to hold more than the client may is refused, and stays as it was', async () => {
    const shop = await shopWith60Doughs('hoard-change');
    const who = stranger();
    const placed = await order(shop.id, who, 10);
    expect(placed.status).toBe(201);
    const change = async (n: number) => {
      const res = await fetch(`${stack.base}/api/track/${placed.body.trackingToken}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json', 'x-forwarded-for': who.ip }, body: JSON.stringify({ items: lines(n) }),
      });
      return { status: res.status, body: await res.json() };
    };
    const more = await change(25);
    expect(more.status, JSON.stringify(more.body)).toBe(429);
    expect(more.body.error.code).toBe('too_many_unpaid');
    expect(await dough(shop.id)).toEqual({ free: 50, reserved: 10 });
    expect((await stack.pool.query('SELECT total_cents FROM orders WHERE id = $1', [placed.body.id])).rows[0].total_cents).toBe(placed.body.total);
    expect((await change(20)).status).toBe(200);
    expect(await dough(shop.id)).toEqual({ free: 40, reserved: 20 });
  });

  it('the last unit of an ingredient can be sold online when no other unpaid order holds it', async () => {
    const shop = await createShop(stack.pool, 'hoard-last');
    await stack.pool.query(`UPDATE stock SET on_hand = 1 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop.id]);
    const last = await order(shop.id, stranger(), 1);
    expect(last.status, JSON.stringify(last.body)).toBe(201);
    expect(await dough(shop.id)).toEqual({ free: 0, reserved: 1 });
  });

  it('with other unpaid orders holding an ingredient, the share still bounds them, and the refusal says so', async () => {
    const shop = await createShop(stack.pool, 'hoard-share-small');
    await stack.pool.query(`UPDATE stock SET on_hand = 3 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop.id]);
    expect((await order(shop.id, stranger(), 1)).status).toBe(201);
    const second = await order(shop.id, stranger(), 1);
    expect(second.status, JSON.stringify(second.body)).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'unpaid_share', message: expect.stringContaining('other orders waiting for their payment') });
    expect(await dough(shop.id)).toEqual({ free: 2, reserved: 1 });
  });

  it('one client is counted however it spells itself: IPv6 addresses of one /64, email +tags and capitals, phone with +33, (0) or 0', async () => {
    const shop = await shopWith60Doughs('hoard-spelling');
    const n = randomInt(10_000_000, 99_999_999);
    const net = `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}`;
    const spellings: Record<string, (i: number) => Partial<Who>> = {
      address: (i) => ({ ip: `${net}:${i + 1}::${i + 9}` }),
      email: (i) => ({ email: [`v${n}@example.test`, `v${n}+1@example.test`, `V${n}+x@Example.TEST`][i] }),
      phone: (i) => ({ phone: [`06${n}`, `+33 6${n}`, `+33 (0)6 ${n}`][i] }),
    };
    for (const [who, spell] of Object.entries(spellings)) {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await order(shop.id, { ...stranger(), ...spell(i) }, 1));
      expect(answers.map((a) => a.status), who).toEqual([201, 201, 429]);
      expect(answers[2].body.error).toMatchObject({ code: 'too_many_unpaid', message: expect.stringContaining(`from this ${who}`) });
    }
    // and the orders an hour for one contact
    const m = randomInt(10_000_000, 99_999_999);
    const answers = [];
    for (let i = 0; i <= defaults.ORDERS_PER_CONTACT_PER_HOUR; i++) answers.push(await order(shop.id, { ...stranger(), email: `w${m}+${i}@example.test` }, 1, 'on_delivery'));
    expect(answers.map((a) => a.status)).toEqual([...Array(defaults.ORDERS_PER_CONTACT_PER_HOUR).fill(201), 429]);
    expect(answers.at(-1)!.body.error).toMatchObject({ code: 'too_many_orders', message: expect.stringContaining('for this email') });
  });

  it('changing an unpaid order while the same client places another does not deadlock: both take the client before the stock', { timeout: 30_000 }, async () => {
    const shop = await shopWith60Doughs('hoard-locks');
    const who = stranger();
    const placed = await order(shop.id, who, 1);
    expect(placed.status).toBe(201);
    // the client is busy (another of its requests holds its lock): both requests queue behind it,
    // the new order first, then the change
    const deadlocks = async () => {
      await stack.pool.query('SELECT pg_stat_clear_snapshot()');
      return (await stack.pool.query<{ n: string }>('SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n;
    };
    const before = await deadlocks();
    const busy = await stack.pool.connect();
    try {
      await busy.query('BEGIN');
      await busy.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 20))`, [`phone:${e164(who.phone)}`]);
      const waiting = async (n: number) =>
        waitUntil(async () => (await stack.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`)).rows[0].n >= n, 10_000, `${n} waiting`);
      const second = order(shop.id, who, 1);
      await waiting(1);
      const change = fetch(`${stack.base}/api/track/${placed.body.trackingToken}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json', 'x-forwarded-for': who.ip }, body: JSON.stringify({ items: lines(2) }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
      await waiting(2);
      await busy.query('COMMIT');
      const answers = await Promise.all([second, change]);
      expect(answers.map((a) => a.status), JSON.stringify(answers.map((a) => a.body))).toEqual([201, 200]);
    } finally {
      busy.release();
    }
    expect(await dough(shop.id)).toEqual({ free: 57, reserved: 3 });
    // Postgres found no deadlock to break (it would have aborted one of them, and the server retried
    // it a second later): its count, reported within a second or two, stays as it was
    const grew = await waitUntil(async () => (await deadlocks()) !== before, 3000, 'a deadlock').then(() => true, () => false);
    expect(grew, 'Postgres broke a deadlock between the two requests').toBe(false);
  });
});
