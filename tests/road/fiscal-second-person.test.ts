// A till's corrections with a second person: the counter re-books a cash sale as card (a key
// pressed wrong) twice in its shift by itself; the third, and any sale corrected once already (card
// → cash → card moves the evening's expected cash at will), needs a manager of the shop with their
// own password: refused without one, with a wrong password, with the counter's own or another
// shop's manager; the journal's entry names the manager who confirmed. Every correction is an alert
// on head office's list, and in the list the cash page shows (recentCorrections).
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { recentCorrections } from '../../src/lib/server/fiscal/corrections.ts';
import { signingKey } from '../../src/lib/server/fiscal/corrections.ts';
import { journalEventsAfter, journalPlace } from '../../src/lib/server/fiscal/events.ts';
import { alertsOfShops } from '../../src/lib/server/flows/alerts.ts';

const stack = useStack({ env: { COUNTER_CORRECTIONS_PER_SHIFT: '2' } });
let shop: Awaited<ReturnType<typeof createShop>>;
let other: Awaited<ReturnType<typeof createShop>>;
let counter: Client;
let kitchen: Client;
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

beforeAll(async () => {
  await signingKey(stack.pool);
  shop = await createShop(stack.pool, 'second');
  other = await createShop(stack.pool, 'second-other');
  counter = await new Client(stack.base).login(shop.email('counter'));
  kitchen = await new Client(stack.base).login(shop.email('kitchen'));
});

/** A pickup taken at the counter, handed over as "cash", and journaled. */
async function cashSale(): Promise<string> {
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Noa', phone: phone() },
    items: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('coca-cola'), quantity: 1 }], payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  for (const to of ['preparing', 'ready']) await move(kitchen, r.body.id, to);
  expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
  await journalEventsAfter(stack.pool, await signingKey(stack.pool), await journalPlace(stack.pool));
  return r.body.id;
}

const correct = (id: string, to: 'card' | 'cash', manager?: { email: string; password: string }) =>
  counter.post(`/api/orders/${id}/payment-corrections`, { part: 'handover', to, reason: 'Touche espèces au lieu de carte', ...(manager ? { manager } : {}) });

describe('a correction at the counter', () => {
  const sales: string[] = [];

  it('two in a shift by the counter alone; the third needs a manager of the shop, with their own password', async () => {
    for (let i = 0; i < 3; i++) sales.push(await cashSale());
    for (const id of sales.slice(0, 2)) expect((await correct(id, 'card')).status).toBe(200);
    const third = await correct(sales[2], 'card');
    expect([third.status, third.body.error.code]).toEqual([403, 'manager_confirmation_required']);
    // a wrong password, the counter's own account, another shop's manager: refused, and nothing written
    const password = stack.config.DEMO_PASSWORD!;
    for (const manager of [
      { email: shop.email('manager'), password: 'not-the-password' },
      { email: shop.email('counter'), password },
      { email: other.email('manager'), password },
    ]) {
      const r = await correct(sales[2], 'card', manager);
      expect([r.status, r.body.error.code], manager.email).toEqual([403, 'manager_confirmation_refused']);
    }
    expect((await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE kind = 'payment_correction' AND order_id = $1`, [sales[2]])).rows[0].n).toBe(0);
    const confirmed = await correct(sales[2], 'card', { email: shop.email('manager'), password });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const managerId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('manager')])).rows[0].id;
    expect(confirmed.body.entry.body).toMatchObject({ confirmedBy: `manager:${managerId}`, to: { way: 'counter_card' } });
    // and the JET keeps the manager's override: who let whom do what, pointing at the correction
    const override = (await stack.pool.query(`SELECT operator, body FROM fiscal_entries WHERE chain = 'jet' AND kind = 'manager_override' AND body->>'order' = $1`, [sales[2]])).rows;
    const counterId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('counter')])).rows[0].id;
    expect(override).toEqual([{
      operator: `manager:${managerId}`,
      body: { action: 'payment_correction', by: `manager:${managerId}`, for: `counter:${counterId}`, order: sales[2], shop: shop.id, ref: { chain: `shop:${shop.id}`, seq: confirmed.body.entry.seq } },
    }]);
    // the refused confirmations left none
    expect((await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE chain = 'jet' AND kind = 'manager_override' AND body->>'order' <> $1 AND (body->>'shop')::int = $2`, [sales[2], shop.id])).rows[0].n).toBe(0);
  });

  it('a sale corrected once already needs a manager to be corrected again, whatever the count', async () => {
    const back = await correct(sales[0], 'cash');
    expect([back.status, back.body.error.code]).toEqual([403, 'manager_confirmation_required']);
    expect(back.body.error.message).toMatch(/corrected already/);
  });

  it('each correction is on head office\'s alerts and on the cash page\'s list, with who made it and who confirmed it', async () => {
    const alerts = (await alertsOfShops(stack.pool, [shop.id], null, 120_000)).filter((a) => a.kind === 'payment_corrected');
    expect(alerts).toHaveLength(3);
    expect(alerts.map((a) => a.orderId).sort()).toEqual([...sales].sort());
    const listed = await recentCorrections(stack.pool, [shop.id]);
    expect(listed).toHaveLength(3);
    const managerName = (await stack.pool.query('SELECT name FROM users WHERE email = $1', [shop.email('manager')])).rows[0].name;
    const counterName = (await stack.pool.query('SELECT name FROM users WHERE email = $1', [shop.email('counter')])).rows[0].name;
    expect(listed.map((c) => [c.orderId, c.operator, c.confirmedBy, c.from, c.to])).toEqual([
      [sales[2], counterName, managerName, 'counter_cash', 'counter_card'],
      [sales[1], counterName, null, 'counter_cash', 'counter_card'],
      [sales[0], counterName, null, 'counter_cash', 'counter_card'],
    ]);
  });
});
