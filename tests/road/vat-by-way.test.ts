// VAT by product and by the way it is consumed, against real Postgres: a delivered pizza at 10 % and
// a sealed can at 5.5 % (the demo chain's rates in force) on the receipt (data and PDF), the signed
// journal's sale, the day's takings, its closing figures and the e-reporting VAT export, to the
// cent (rounded once per rate); the accountant's rates per way of consumption, taken by each order
// at its sale and never changed afterwards; a rate the law does not set refused, nothing changed.
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, addressFor, assignDriver, createShop, handOver, move, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { pdfText } from '../pdf-text.ts';
import { shopChain, type Entry } from '../../src/lib/domain/fiscal-chain.ts';
import { parisDay } from '../../src/lib/domain/vat-report.ts';
import { signingKey } from '../../src/lib/server/fiscal/corrections.ts';
import { journalEventsAfter, journalPlace } from '../../src/lib/server/fiscal/events.ts';
import { exportVat, vatReport } from '../../src/lib/server/fiscal/exports.ts';
import { dayOfJournal } from '../../src/lib/server/fiscal/closings.ts';
import { entryOf } from '../../src/lib/server/fiscal/journal.ts';
import type { FiscalKey } from '../../src/lib/server/fiscal/keys.ts';

const stack = useStack();
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
type Shop = Awaited<ReturnType<typeof createShop>>;

let key: FiscalKey;
let shop: Shop;
let kitchen: Client;
let driver: Client;
let admin: Client;
const p = { margherita: 0, coca: 0 };

const journal = async () => (await journalEventsAfter(stack.pool, key, await journalPlace(stack.pool))).written;
const saleOf = async (orderId: string): Promise<Entry> =>
  (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 AND order_id = $2 AND kind = $3', [shopChain(shop.id), orderId, 'sale'])).rows.map(entryOf)[0];
const linesOf = async (orderId: string) =>
  (await stack.pool.query<{ name: string; vat: number }>('SELECT name, vat_rate::float8 AS vat FROM order_items WHERE order_id = $1 ORDER BY id', [orderId])).rows.map((r) => [r.name, r.vat]);

/** An order of a margherita and a can, delivered and paid in cash at the door, or collected at the counter. */
async function sold(fulfilment: 'delivery' | 'pickup') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment, customer: { name: 'Rose', phone: phone() }, ...(fulfilment === 'delivery' ? { address: addressFor(shop.id) } : {}),
    items: [{ productId: p.margherita, quantity: 1 }, { productId: p.coca, quantity: 1 }], payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await move(kitchen, r.body.id, 'preparing');
  await move(kitchen, r.body.id, 'ready');
  if (fulfilment === 'delivery') {
    expect((await assignDriver(stack.pool, r.body.id)).assigned).toBe(true);
    await move(driver, r.body.id, 'out_for_delivery');
    await handOver(stack.pool, driver, r.body.id, 'cash');
  } else {
    const counter = await new Client(stack.base).login(shop.email('counter'));
    expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
  }
  return { id: r.body.id as string, token: r.body.trackingToken as string };
}

/** The product as head office's API gives it, as the body of its change. */
async function productBody(id: number) {
  const r = (await admin.get(`/api/menu/products/${id}`)).body;
  return { name: r.name, nameEn: r.nameEn, description: r.description, descriptionEn: r.descriptionEn, category: r.category, categoryId: r.categoryId, priceCents: r.priceCents, vatRates: r.vatRates, tags: r.tags, active: r.active, steps: r.steps, recipe: r.recipe };
}

beforeAll(async () => {
  p.margherita = seededProduct('margherita');
  p.coca = seededProduct('coca-cola');
  key = await signingKey(stack.pool);
  shop = await createShop(stack.pool, 'vat-ways');
  // the journal starts from here: other files' events are not this file's
  await stack.pool.query(`INSERT INTO event_cursors (name, last_event_id) SELECT 'fiscal', coalesce(max(id), 0) FROM order_events ON CONFLICT (name) DO UPDATE SET last_event_id = EXCLUDED.last_event_id`);
  kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  driver = await new Client(stack.base).login(shop.email('driver1'));
  admin = await new Client(stack.base).login('admin@ocpizza.test');
  await driver.post('/api/driver/shift', { onShift: true });
});

describe('a delivered pizza and a sealed can', () => {
  let order: { id: string; token: string };
  const today = parisDay(new Date().toISOString());
  // Margherita 10,50 and the delivery fee 2,50 at 10 %: 13,00 of which 1,18 VAT; the can 3,00 at 5,5 %: 0,16 VAT
  const expected = [
    { rate: 5.5, netCents: 284, vatCents: 16, grossCents: 300 },
    { rate: 10, netCents: 1182, vatCents: 118, grossCents: 1300 },
  ];

  beforeAll(async () => {
    order = await sold('delivery');
    await journal();
  });

  it('are sold at 10 % and 5.5 %, the rates kept on the lines; the receipt and its PDF show each rate\'s base and VAT', async () => {
    expect(await linesOf(order.id)).toEqual([['Margherita', 10], ['Coca-Cola 33 cl', 5.5]]);
    const receipt = (await new Client(stack.base).get(`/api/track/${order.token}/receipt?lang=fr`)).body;
    expect(receipt.lines.map((l: { name: string; vatRate: number }) => [l.name, l.vatRate])).toEqual([['Margherita', 10], ['Coca-Cola 33 cl', 5.5]]);
    expect(receipt).toMatchObject({ deliveryFeeCents: 250, totalCents: 1600 });
    expect(receipt.vat).toEqual(expected);
    const text = pdfText(Buffer.from(await (await fetch(`${stack.base}/api/track/${order.token}/receipt.pdf?lang=fr`)).arrayBuffer()));
    expect(text).toMatch(/5,5 %\n2,84\W*\n0,16\W*\n3,00\W*\n10 %\n11,82\W*\n1,18\W*\n13,00/);
  });

  it('the signed sale, the day\'s takings and closing figures, and the VAT export carry the same bases and VAT per rate', async () => {
    const sale = await saleOf(order.id);
    expect(sale.body.vat).toEqual(expected.map(({ rate, ...v }) => ({ rateBp: rate * 100, ...v })));
    expect(sale.vatCents).toBe(134);

    const manager = await new Client(stack.base).login(shop.email('manager'));
    const takings = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    expect(takings.vat).toEqual(expected);
    const day = await dayOfJournal(stack.pool, shop.id, today);
    expect(day.totals.net.map((l) => [l.rateBp, l.netCents, l.vatCents, l.grossCents])).toEqual([[550, 284, 16, 300], [1000, 1182, 118, 1300]]);

    const report = await vatReport(stack.pool, shop.id, today, today);
    expect(report.days[0].rates.map((r) => [r.rateBp, r.netCents, r.vatCents, r.grossCents])).toEqual([[550, 284, 16, 300], [1000, 1182, 118, 1300]]);
    const { rows: [m] } = await stack.pool.query('SELECT id, role, pizzeria_id, name FROM users WHERE email = $1', [shop.email('manager')]);
    const csv = await exportVat(stack.pool, { kind: 'staff', id: m.id, role: m.role, pizzeriaId: m.pizzeria_id, name: m.name }, shop.id, today, today, 'csv');
    const rows = csv.content.trimEnd().split('\r\n').slice(1).map((r) => r.split(';').slice(5, 9));
    expect(rows).toEqual([['5.50', '2.84', '0.16', '3.00'], ['10.00', '11.82', '1.18', '13.00']]);
  });
});

describe('the accountant\'s rates per way of consumption', () => {
  it('each order takes the rate of its way at its sale; a later change of the rates leaves the orders sold alone', async () => {
    const delivered = await sold('delivery');
    // the shop now pours the can into a cup to take away (for immediate consumption: 10 %); delivered, it stays sealed
    const body = await productBody(p.coca);
    expect(body.vatRates).toEqual({ pickup: 5.5, delivery: 5.5 });
    const changed = await admin.put(`/api/menu/products/${p.coca}`, { ...body, vatRates: { pickup: 10, delivery: 5.5 } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.vatRates).toEqual({ pickup: 10, delivery: 5.5 });
    const taken = await sold('pickup');
    const deliveredAfter = await sold('delivery');
    expect(await linesOf(taken.id)).toEqual([['Margherita', 10], ['Coca-Cola 33 cl', 10]]);
    expect(await linesOf(deliveredAfter.id)).toEqual([['Margherita', 10], ['Coca-Cola 33 cl', 5.5]]);

    // everything at 20 % now: the orders sold keep their rates, their receipts and signed sales too
    expect((await admin.put(`/api/menu/products/${p.coca}`, { ...body, vatRates: { pickup: 20, delivery: 20 } })).status).toBe(200);
    await journal();
    expect(await linesOf(delivered.id)).toEqual([['Margherita', 10], ['Coca-Cola 33 cl', 5.5]]);
    expect((await new Client(stack.base).get(`/api/track/${taken.token}/receipt`)).body.vat.map((v: { rate: number }) => v.rate)).toEqual([10]);
    expect(((await saleOf(deliveredAfter.id)).body.vat as { rateBp: number }[]).map((v) => v.rateBp)).toEqual([550, 1000]);
    const { rows } = await stack.pool.query(`SELECT before->'vatRates' AS before, after->'vatRates' AS after FROM audit_log WHERE action = 'menu.product_update' AND entity_id = $1 ORDER BY id`, [String(p.coca)]);
    expect(rows).toEqual([
      { before: { pickup: 5.5, delivery: 5.5 }, after: { pickup: 10, delivery: 5.5 } },
      { before: { pickup: 10, delivery: 5.5 }, after: { pickup: 20, delivery: 20 } },
    ]);
    expect((await admin.put(`/api/menu/products/${p.coca}`, { ...body, vatRates: { pickup: 5.5, delivery: 5.5 } })).status).toBe(200);
  });

  it('a rate the law does not set, or a way left out, is refused with the field named, and nothing changes', async () => {
    const body = await productBody(p.margherita);
    const audits = async () => (await stack.pool.query('SELECT count(*)::int AS n FROM audit_log WHERE entity = $1 AND entity_id = $2', ['product', String(p.margherita)])).rows[0].n;
    const before = await audits();
    for (const [vatRates, field] of [
      [{ pickup: 7, delivery: 10 }, 'vatRates.pickup'],
      [{ pickup: 10, delivery: 2.1 }, 'vatRates.delivery'],
      [{ pickup: 10, delivery: 'dix' }, 'vatRates.delivery'],
      [{ pickup: 10 }, 'vatRates.delivery'],
      [{ pickup: 10, delivery: 10, onTheSpot: 10 }, 'vatRates'],
      [10, 'vatRates'],
    ] as const) {
      const r = await admin.put(`/api/menu/products/${p.margherita}`, { ...body, vatRates });
      expect(r.status, field).toBe(422);
      expect(r.body.error.fields[field], JSON.stringify(r.body)).toBeTruthy();
    }
    // the old single rate is no field of a product any more
    expect((await admin.put(`/api/menu/products/${p.margherita}`, { ...body, vatRates: undefined, vatRate: 10 })).status).toBe(422);
    expect((await productBody(p.margherita)).vatRates).toEqual({ pickup: 10, delivery: 10 });
    expect(await audits()).toBe(before);
  });
});
