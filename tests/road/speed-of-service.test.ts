// Speed of service on real Postgres: orders go through the kitchen as the API moves them, then their
// recorded times are set to an evening worked out by hand; the day's figures (JSON and CSV), the
// stations' and the manager's live card must match the hand's sums. Only the shop's manager and head
// office read them.
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, seededProduct, serviceTimes } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });
let shop: Awaited<ReturnType<typeof createShop>>;
let manager: Client;
let kitchen: Client;
let counter: Client;
const DAY = '2026-03-14'; // a Saturday, Paris on UTC+1

async function order(lines: [slug: string, quantity: number][]): Promise<{ id: string; trackingToken: string; lineIds: number[] }> {
  const items = lines.map(([slug, quantity]) => ({ productId: seededProduct(slug), quantity }));
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Camille Martin', phone: '06 12 34 56 78' }, items, payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const o = (await kitchen.get(`/api/orders/${r.body.id}`)).body;
  return { id: r.body.id, trackingToken: r.body.trackingToken, lineIds: o.items.map((i: { id: number }) => i.id) };
}

/** Through the kitchen and the counter, as the screens do; `crossed` lines crossed off on the way. */
async function serve(o: { id: string; lineIds: number[] }, crossed: number[] = []) {
  await move(kitchen, o.id, 'preparing');
  for (const i of crossed) expect((await kitchen.post(`/api/orders/${o.id}/lines/${o.lineIds[i]}`, { done: true })).status).toBe(200);
  // the last line crossed off makes the order ready by itself (no pass here)
  if ((await kitchen.get(`/api/orders/${o.id}`)).body.status !== 'ready') await move(kitchen, o.id, 'ready');
  await move(counter, o.id, 'collected');
}

beforeAll(async () => {
  shop = await createShop(stack.pool, 'speed');
  [manager, kitchen, counter] = await Promise.all(['manager', 'kitchen', 'counter'].map((w) => new Client(stack.base).login(shop.email(w as 'manager'))));
  const set = await manager.put(`/api/shops/${shop.id}/stations`, { stations: [{ name: 'Four', kinds: ['pizza'] }, { name: 'Froid', kinds: ['drink', 'dessert'] }] });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  // the shop's targets: 2 minutes to start, 12 to make, 5 to hand over
  await stack.pool.query('UPDATE pizzerias SET start_target_seconds = 120, prep_target_seconds = 720, handover_target_seconds = 300 WHERE id = $1', [shop.id]);

  const o1 = await order([['margherita', 1], ['coca-cola', 1]]);
  const o2 = await order([['reine', 2]]);
  const o3 = await order([['coca-cola', 2]]);
  const cancelled = await order([['margherita', 1]]);
  await serve(o1, [0, 1]);
  await serve(o2);
  await serve(o3, [0]);
  expect((await new Client(stack.base).post(`/api/track/${cancelled.trackingToken}/cancel`)).status).toBe(200);
  await serviceTimes(stack.pool, o1.id, DAY, { received: '19:00:00', started: '19:01:00', ready: '19:11:00', collected: '19:13:00' }, ['19:09:00', '19:02:00']);
  await serviceTimes(stack.pool, o2.id, DAY, { received: '19:00:00', started: '19:02:00', ready: '19:14:00', collected: '19:20:00' }, [null]);
  await serviceTimes(stack.pool, o3.id, DAY, { received: '20:00:00', started: '20:04:00', ready: '20:24:00', collected: '20:40:00' }, ['20:05:30']);
  await stack.pool.query(`UPDATE orders SET business_day = $2::date, version = version + 1 WHERE id = $1`, [cancelled.id, DAY]);
});

describe("a shop's speed of service", () => {
  it('gives each stage its median and 90th percentile against the targets, as worked out by hand', async () => {
    const r = await manager.get(`/api/shops/${shop.id}/speed?date=${DAY}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.date).toBe(DAY);
    expect(r.body.targets).toEqual({ start: 120, make: 720, handover: 300 });
    // start 60, 120, 240 s; make 600, 720, 1200; handover 120, 360, 960; total 780, 1200, 2400 (the cancelled order left out)
    expect(r.body.overall).toEqual({
      start: { count: 3, median: 120, p90: 216, target: 120, over: 1 },
      make: { count: 3, median: 720, p90: 1104, target: 720, over: 1 },
      handover: { count: 3, median: 360, p90: 840, target: 300, over: 2 },
      total: { count: 3, median: 1200, p90: 2160, target: 1140, over: 2 },
    });
    // by the hour the orders reached the kitchen, Paris time
    expect(r.body.byHour.map((h: { hour: number; figures: { total: { count: number; median: number } } }) => [h.hour, h.figures.total.count, h.figures.total.median])).toEqual([[19, 2, 990], [20, 1, 2400]]);
    // the oven: 480 s (its pizza crossed off at 19:09), 720 s (nothing crossed off: ready at 19:14); the cold station 60 and 90 s
    const station = (name: string) => r.body.byStation.find((s: { name: string }) => s.name === name).figures.make;
    expect(station('Four')).toEqual({ count: 2, median: 600, p90: 696, target: 720, over: 0 });
    expect(station('Froid')).toEqual({ count: 2, median: 75, p90: 87, target: 720, over: 0 });
    // by product: the orders with it
    const product = (name: string) => r.body.byProduct.find((p: { name: string }) => p.name === name).figures;
    expect(product('Coca-Cola 33 cl').make).toMatchObject({ count: 2, median: 900 });
    expect(product('Reine').make).toMatchObject({ count: 1, median: 720 });
  });

  it('exports the same figures as a CSV for a spreadsheet, in French with a decimal comma', async () => {
    const r = await manager.get(`/api/shops/${shop.id}/speed.csv?date=${DAY}&lang=fr`);
    expect(r.status).toBe(200);
    const lines = String(r.body).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('"Date";"Pizzeria";"Groupe";"Nom";"Étape";"Commandes";"Médiane (min)";"90e centile (min)";"Objectif (min)";"Commandes hors objectif"');
    expect(lines).toContain(`${DAY};"OC Pizza ${shop.slug}";"Toute la pizzeria";"OC Pizza ${shop.slug}";"Prête → remise";3;6,0;14,0;5,0;2`);
    expect(lines).toContain(`${DAY};"OC Pizza ${shop.slug}";"Par poste";"Froid";"Lancée → prête";2;1,3;1,4;12,0;0`);
  });

  it('shows the same stages today on the manager\'s live card', async () => {
    const o = await order([['margherita', 1]]);
    await serve(o);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    const figures = await manager.get(`/api/figures`);
    expect(figures.status).toBe(200);
    const card = figures.body.find((f: { pizzeriaId: number }) => f.pizzeriaId === shop.id);
    const day = await manager.get(`/api/shops/${shop.id}/speed`);
    expect(day.body.date).toBe(today);
    expect(card.speed).toEqual(day.body.overall);
    expect(card.speed.total.count).toBe(1);
  });

  it("is the shop's manager's and head office's only, and a bad date is refused", async () => {
    const other = await createShop(stack.pool, 'speed-other');
    expect((await (await new Client(stack.base).login(other.email('manager'))).get(`/api/shops/${shop.id}/speed`)).status).toBe(403);
    expect((await kitchen.get(`/api/shops/${shop.id}/speed`)).status).toBe(403);
    expect((await new Client(stack.base).get(`/api/shops/${shop.id}/speed`)).status).toBe(401);
    expect((await (await new Client(stack.base).login('admin@ocpizza.test')).get(`/api/shops/${shop.id}/speed?date=${DAY}`)).body.overall.total.count).toBe(3);
    const bad = await manager.get(`/api/shops/${shop.id}/speed?date=yesterday`);
    expect(bad.status).toBe(422);
    expect((await manager.get(`/api/shops/999999/speed`)).status).toBe(403);
  });
});
