// Orders for later paid at the door hold their stock from the moment they are placed, like unpaid
// online orders: a slot days ahead must not let anyone take a shop's menu off sale today. Against
// real Postgres and Redis, through the API, with the limits at their real defaults (the rest of the
// suite raises them).
import { randomInt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';
import { e164 } from '../../src/lib/server/kernel/sms.ts';
import { Client, seededProduct, createShop } from '../helpers.ts';
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

function stranger() {
  const n = randomInt(10_000_000, 99_999_999);
  return { ip: `203.0.${randomInt(0, 255)}.${randomInt(1, 254)}`, phone: `07${n}`, email: `f${n}@example.test` };
}
type Who = ReturnType<typeof stranger>;

/** `n` pizzas, at most 20 of one kind (the per-order cap of a product). */
const lines = (n: number) =>
  pizzas.map((productId, i) => ({ productId, quantity: Math.max(0, Math.min(20, n - 20 * i)) })).filter((l) => l.quantity > 0);

const QUARTER = 15 * 60_000;
/** A slot `days` days ahead (plus `quarters` quarter hours), on the quarter hour. */
const slotIn = (days: number, quarters = 0) => new Date(Math.ceil(Date.now() / QUARTER) * QUARTER + days * 96 * QUARTER + quarters * QUARTER).toISOString();

/** A customer's pickup, paid at the door, for a slot or as soon as possible. */
async function pickup(shop: number, who: Who, n: number, slot?: string, payment: 'online' | 'on_delivery' = 'on_delivery') {
  const res = await fetch(`${stack.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': who.ip },
    body: JSON.stringify({
      pizzeriaId: shop, fulfilment: 'pickup', payment, customer: { name: 'Client', phone: who.phone, email: who.email },
      items: lines(n), ...(slot ? { slot } : {}),
    }),
  });
  return { status: res.status, body: await res.json() };
}

/** A shop with 60 dough balls, as a seeded shop starts the evening, and an oven that takes any slot's orders. */
async function shopWith60Doughs(tag: string) {
  const shop = await createShop(stack.pool, tag);
  await stack.pool.query('UPDATE pizzerias SET oven_minutes_per_slot = 5000 WHERE id = $1', [shop.id]);
  await stack.pool.query(`UPDATE stock SET on_hand = 60 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop.id]);
  return shop;
}
const dough = async (shop: number) =>
  (await stack.pool.query(`SELECT l.free, l.reserved FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id WHERE l.pizzeria_id = $1 AND i.slug = 'pate'`, [shop])).rows[0];
const onMenu = async (shop: number) =>
  ((await (await fetch(`${stack.base}/api/pizzerias/${shop}/menu`)).json()) as { id: number; available: boolean }[]).filter((p) => pizzas.includes(p.id) && p.available).length;

describe('orders for later paid at the door cannot take a shop off sale', () => {
  it('two pickups paid at the door six days ahead from one client: the honest customer still orders now and tomorrow', async () => {
    const shop = await shopWith60Doughs('far-two');
    const hostile = stranger();
    // the attack as it was run: 30 and 30 pizzas, six days ahead, paid at the door
    const attack = [await pickup(shop.id, hostile, 30, slotIn(6)), await pickup(shop.id, hostile, 30, slotIn(6, 1))];
    expect(attack.map((a) => a.status)).toEqual([429, 429]);
    expect(attack[0].body.error).toMatchObject({ code: 'too_many_unpaid', message: expect.stringContaining('20 items'), fields: { payment: expect.any(String) } });
    // within its allowance it may order for later (20 items), no more
    expect((await pickup(shop.id, hostile, 20, slotIn(6))).status).toBe(201);
    const more = await pickup(shop.id, hostile, 10, slotIn(6, 1));
    expect(more.status, JSON.stringify(more.body)).toBe(429);
    expect(more.body.error.message).toMatch(/call the shop/);
    expect(await dough(shop.id)).toEqual({ free: 40, reserved: 20 });

    // the menu stays on sale, and an honest customer orders now and for tomorrow
    expect(await onMenu(shop.id)).toBe(3);
    const now = await pickup(shop.id, stranger(), 2);
    expect(now.status, JSON.stringify(now.body)).toBe(201);
    const tomorrow = await pickup(shop.id, stranger(), 2, slotIn(1));
    expect(tomorrow.status, JSON.stringify(tomorrow.body)).toBe(201);
    expect(await onMenu(shop.id)).toBe(3);
  });

  it('many clients each within their allowance hold half the dough at most: the rest stays on sale', async () => {
    const shop = await shopWith60Doughs('far-many');
    expect((await pickup(shop.id, stranger(), 20, slotIn(6))).status).toBe(201);
    const second = await pickup(shop.id, stranger(), 20, slotIn(5));
    expect(second.status, JSON.stringify(second.body)).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'unpaid_share', message: expect.stringContaining('call the shop') });
    expect((await pickup(shop.id, stranger(), 10, slotIn(4))).status).toBe(201);
    // unpaid online orders count in the same share
    expect((await pickup(shop.id, stranger(), 1, undefined, 'online')).status).toBe(409);
    expect(await dough(shop.id)).toEqual({ free: 30, reserved: 30 });
    expect(await onMenu(shop.id)).toBe(3);
    const honest = await pickup(shop.id, stranger(), 30);
    expect(honest.status, JSON.stringify(honest.body)).toBe(201);
  });

  it('an online unpaid order and an order for later at the door share one allowance per client', async () => {
    const shop = await shopWith60Doughs('far-mixed');
    const who = stranger();
    expect((await pickup(shop.id, who, 1, undefined, 'online')).status).toBe(201);
    expect((await pickup(shop.id, who, 1, slotIn(3))).status).toBe(201);
    const third = await pickup(shop.id, { ...stranger(), phone: who.phone }, 1, slotIn(2));
    expect(third.status, JSON.stringify(third.body)).toBe(429);
    expect(third.body.error).toMatchObject({ code: 'too_many_unpaid', fields: { 'customer.phone': expect.any(String) } });
  });

  it('what the shop makes soon is not limited: at the door now or within the next hours, and staff orders for any day', async () => {
    const shop = await shopWith60Doughs('far-near');
    const who = stranger();
    // 25 pizzas at the door, now and for a slot an hour ahead, from one client: the kitchen makes them soon
    expect((await pickup(shop.id, who, 25)).status).toBe(201);
    expect((await pickup(shop.id, who, 25, slotIn(0, 4))).status).toBe(201);
    // a phone order taken by the counter for six days ahead, beyond any customer's allowance
    await stack.pool.query(`UPDATE stock SET on_hand = 100 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop.id]);
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const phone = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'phone', fulfilment: 'pickup', payment: 'on_delivery',
      customer: { name: 'Mariage Dupont', phone: who.phone }, items: lines(40), slot: slotIn(6),
    });
    expect(phone.status, JSON.stringify(phone.body)).toBe(201);
  });

  it('an order for later stops counting once its fire time is near: the kitchen makes it soon', async () => {
    const shop = await shopWith60Doughs('far-comes-near');
    const who = stranger();
    const far = await pickup(shop.id, who, 20, slotIn(6));
    expect(far.status).toBe(201);
    expect((await pickup(shop.id, who, 1, slotIn(5))).status).toBe(429);
    await stack.pool.query(`UPDATE orders SET fire_at = now() + interval '1 hour', version = version + 1 WHERE id = $1`, [far.body.id]);
    expect((await pickup(shop.id, who, 1, slotIn(5))).status).toBe(201);
  });

  it('an order for later at the door changed to hold more than the client may is refused, and stays as it was', async () => {
    const shop = await shopWith60Doughs('far-change');
    const who = stranger();
    const placed = await pickup(shop.id, who, 15, slotIn(6));
    expect(placed.status).toBe(201);
    const change = async (n: number) => {
      const res = await fetch(`${stack.base}/api/track/${placed.body.trackingToken}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json', 'x-forwarded-for': who.ip }, body: JSON.stringify({ items: lines(n) }),
      });
      return { status: res.status, body: await res.json() };
    };
    const more = await change(25);
    expect(more.status, JSON.stringify(more.body)).toBe(429);
    expect(more.body.error).toMatchObject({ code: 'too_many_unpaid', message: expect.stringContaining('call the shop') });
    expect(await dough(shop.id)).toEqual({ free: 45, reserved: 15 });
    expect((await change(20)).status).toBe(200);
    expect(await dough(shop.id)).toEqual({ free: 40, reserved: 20 });
  });

  it("a client refused for holding too much is a manager's alert, with its orders held ahead; another shop's manager does not see it", async () => {
    const shop = await shopWith60Doughs('far-alert');
    const other = await shopWith60Doughs('far-alert-other');
    const hostile = stranger();
    const held = await pickup(shop.id, hostile, 20, slotIn(6));
    expect(held.status).toBe(201);
    for (let i = 1; i <= 3; i++) expect((await pickup(shop.id, hostile, 10, slotIn(6, i))).status).toBe(429);

    const manager = await new Client(stack.base).login(shop.email('manager'));
    const alerts = (await manager.get('/api/alerts')).body as { kind: string }[];
    expect(alerts.filter((a) => a.kind === 'held_stock')).toEqual([
      expect.objectContaining({ kind: 'held_stock', pizzeriaId: shop.id, name: e164(hostile.phone), count: 3, orders: [held.body.number] }),
    ]);
    const theirs = await new Client(stack.base).login(other.email('manager'));
    expect(((await theirs.get('/api/alerts')).body as { kind: string }[]).filter((a) => a.kind === 'held_stock')).toEqual([]);
  });
});
