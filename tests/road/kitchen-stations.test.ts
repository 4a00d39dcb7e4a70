// Stations and item by item, on a real hub, Postgres and sockets: a shop's manager sets its stations
// (the oven makes the pizzas, the cold station the drinks and desserts, and the pass); each line of
// an order knows where it is made; a cook crosses lines off and every screen follows; the last line
// makes the order ready by itself only where there is no pass; and nobody else crosses anything.
import { describe, expect, it } from 'vitest';
import { linesAt, madeEverywhere, stationOf, type Station } from '../../src/lib/domain/stations.ts';
import type { OrderView } from '../../src/lib/shapes/views.ts';
import { Client, collect, connectSocket, createShop, move, seededProduct, subscribe } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });

async function kitchenShop(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const [manager, kitchen, counter] = await Promise.all([shop.email('manager'), shop.email('kitchen'), shop.email('counter')].map((e) => new Client(stack.base).login(e)));
  return { shop, manager, kitchen, counter };
}

const OVEN_COLD_PASS = [
  { name: 'Four', kinds: ['pizza'] },
  { name: 'Froid', kinds: ['drink', 'dessert'] },
  { name: 'Passe', isPass: true },
];

async function order(shopId: number, lines: [slug: string, quantity: number][]): Promise<{ id: string }> {
  const items = lines.map(([slug, quantity]) => ({ productId: seededProduct(slug), quantity }));
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shopId, fulfilment: 'pickup', customer: { name: 'Camille Martin', phone: '06 12 34 56 78' }, items, payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string };
}

const cross = (who: Client, orderId: string, line: number, done = true) => who.post(`/api/orders/${orderId}/lines/${line}`, { done });

describe('a shop sets its stations', () => {
  it('the manager sets them, the kitchen reads them, and each line of an order goes to its station', async () => {
    const { shop, manager, kitchen } = await kitchenShop('stations');
    expect((await kitchen.get(`/api/shops/${shop.id}/stations`)).body).toEqual({ stations: [] });
    const set = await manager.put(`/api/shops/${shop.id}/stations`, { stations: OVEN_COLD_PASS });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const stations: Station[] = (await kitchen.get(`/api/shops/${shop.id}/stations`)).body.stations;
    expect(stations.map((s) => [s.name, s.isPass, s.kinds])).toEqual([['Four', false, ['pizza']], ['Froid', false, ['drink', 'dessert']], ['Passe', true, []]]);

    const { id } = await order(shop.id, [['margherita', 2], ['coca-cola', 1], ['tiramisu', 1]]);
    const o: OrderView = (await kitchen.get(`/api/orders/${id}`)).body;
    expect(o.items.map((i) => stationOf(i, stations)?.name)).toEqual(['Four', 'Froid', 'Froid']);
    expect(o.items.every((i) => i.categoryId !== null && i.doneAt === null)).toBe(true);

    // a menu category routed to a station wins over its kind: desserts go to the oven
    const dessertCategory = o.items[2].categoryId!;
    const again = await manager.put(`/api/shops/${shop.id}/stations`, {
      stations: [{ ...stations[0], categoryIds: [dessertCategory] }, stations[1], stations[2]],
    });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.stations.map((s: Station) => s.id)).toEqual(stations.map((s) => s.id));
    expect(o.items.map((i) => stationOf(i, again.body.stations)?.name)).toEqual(['Four', 'Froid', 'Four']);
  });

  it('mistakes are refused with a reason and change nothing; only the shop\'s managers set them', async () => {
    const { shop, manager, kitchen } = await kitchenShop('stations-refused');
    await manager.put(`/api/shops/${shop.id}/stations`, { stations: OVEN_COLD_PASS });
    const before = (await kitchen.get(`/api/shops/${shop.id}/stations`)).body;

    const twice = await manager.put(`/api/shops/${shop.id}/stations`, { stations: [{ name: 'Four', kinds: ['pizza'] }, { name: 'Bar', kinds: ['pizza'] }] });
    expect(twice.status).toBe(422);
    expect(twice.body.error.fields['stations.1.kinds']).toMatch(/pizza already goes to Four/);
    const twoPasses = await manager.put(`/api/shops/${shop.id}/stations`, { stations: [{ name: 'A', isPass: true }, { name: 'B', isPass: true }] });
    expect(twoPasses.status).toBe(422);
    const noCategory = await manager.put(`/api/shops/${shop.id}/stations`, { stations: [{ name: 'A', categoryIds: [999999] }] });
    expect(noCategory.status).toBe(422);
    const blank = await manager.put(`/api/shops/${shop.id}/stations`, { stations: [{ name: '   ' }] });
    expect(blank.status).toBe(422);
    expect((await kitchen.put(`/api/shops/${shop.id}/stations`, { stations: [] })).status).toBe(403);
    const other = await kitchenShop('stations-other');
    expect((await other.manager.put(`/api/shops/${shop.id}/stations`, { stations: [] })).status).toBe(403);
    expect((await other.kitchen.get(`/api/shops/${shop.id}/stations`)).status).toBe(403);
    // another shop's station id is not this shop's to rename
    const theirs = (await other.manager.put(`/api/shops/${other.shop.id}/stations`, { stations: [{ name: 'Four' }] })).body.stations[0].id;
    expect((await manager.put(`/api/shops/${shop.id}/stations`, { stations: [{ id: theirs, name: 'Pris' }] })).status).toBe(422);

    expect((await kitchen.get(`/api/shops/${shop.id}/stations`)).body).toEqual(before);
  });
});

describe('item by item', () => {
  it('in a shop without a pass, crossing off the last line makes the order ready, and every screen follows each line', async () => {
    const { shop, kitchen } = await kitchenShop('lines');
    const socket = await connectSocket(stack.base, { cookie: kitchen.cookie });
    stack.sockets.push(socket);
    const seen = collect(socket);
    await subscribe(socket, { scope: 'kitchen', pizzeriaId: shop.id });

    const { id } = await order(shop.id, [['margherita', 1], ['reine', 1]]);
    const lines: OrderView['items'] = (await kitchen.get(`/api/orders/${id}`)).body.items;

    // not started yet: its lines wait for the start
    const early = await cross(kitchen, id, lines[0].id);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('not_started');
    await move(kitchen, id, 'preparing');

    const first = await cross(kitchen, id, lines[0].id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.status).toBe('preparing');
    expect(first.body.items.map((i: OrderView['items'][number]) => i.doneAt !== null)).toEqual([true, false]);
    const crossed = await seen.waitFor((e) => e.order.id === id && e.type === 'order.lines');
    expect(crossed.order.items[0].doneAt).not.toBeNull();

    // a second tap un-crosses it; crossing twice is the same as once
    expect((await cross(kitchen, id, lines[0].id, false)).body.items[0].doneAt).toBeNull();
    await cross(kitchen, id, lines[0].id);
    expect((await cross(kitchen, id, lines[0].id)).body.status).toBe('preparing');

    const last = await cross(kitchen, id, lines[1].id);
    expect(last.body.status).toBe('ready');
    const ready = await seen.waitFor((e) => e.order.id === id && e.order.status === 'ready');
    expect(ready.type).toBe('order.status');
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND type = $2', [id, 'order.lines'])).rows[0].n).toBe(4);

    // ready: its lines are final
    const late = await cross(kitchen, id, lines[1].id, false);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('not_in_the_oven');
  });

  it('with a pass, the last line crossed lights the order on the pass and the pass says it is ready', async () => {
    const { shop, manager, kitchen } = await kitchenShop('pass');
    const stations: Station[] = (await manager.put(`/api/shops/${shop.id}/stations`, { stations: OVEN_COLD_PASS })).body.stations;
    const [oven, cold] = stations;
    const { id } = await order(shop.id, [['margherita', 1], ['coca-cola', 2]]);
    await move(kitchen, id, 'preparing');
    let o: OrderView = (await kitchen.get(`/api/orders/${id}`)).body;

    for (const { line } of linesAt(o.items, oven, stations)) o = (await cross(kitchen, id, line.id)).body;
    expect(madeEverywhere(o.items, stations)).toBe(false);
    for (const { line } of linesAt(o.items, cold, stations)) o = (await cross(kitchen, id, line.id)).body;
    // every station is done: the pass lights it, and it stays in the oven's status until the pass bumps it
    expect(madeEverywhere(o.items, stations)).toBe(true);
    expect(o.status).toBe('preparing');
    expect((await move(kitchen, id, 'ready')).status).toBe('ready');
  });

  it('only the shop\'s kitchen and managers cross lines off, of lines that are the order\'s own', async () => {
    const { shop, kitchen, counter } = await kitchenShop('lines-guard');
    const other = await kitchenShop('lines-guard-other');
    const { id } = await order(shop.id, [['margherita', 1]]);
    const mine = await order(other.shop.id, [['margherita', 1]]);
    await move(kitchen, id, 'preparing');
    const line = (await kitchen.get(`/api/orders/${id}`)).body.items[0].id as number;
    const strangerLine = (await other.kitchen.get(`/api/orders/${mine.id}`)).body.items[0].id as number;

    expect((await cross(counter, id, line)).status).toBe(403);
    expect((await cross(other.kitchen, id, line)).status).toBe(404);
    expect((await cross(kitchen, id, strangerLine)).status).toBe(404);
    expect((await new Client(stack.base).post(`/api/orders/${id}/lines/${line}`, { done: true })).status).toBe(401);
    expect((await kitchen.post(`/api/orders/${id}/lines/${line}`, { done: 'yes' })).status).toBe(422);
    expect((await kitchen.post(`/api/orders/${id}/lines/abc`, { done: true })).status).toBe(422);
    const after: OrderView = (await kitchen.get(`/api/orders/${id}`)).body;
    expect(after.items[0].doneAt).toBeNull();
    expect(after.status).toBe('preparing');
  });
});
