// Money changed outside the till: an auditor (or whoever holds the database's credentials) raises a
// sold order's total with an UPDATE, no event of the product's behind it. The workers' sweep (the
// one the minute's timer runs) writes a signed `anomaly` to the technical events journal, never a
// `sale_correction`; fiscal:verify reports it and exits 1; head office's alerts show it; the order
// is left out of the journal's writing while it stays so, and taken back once its money is what the
// journal sealed again. A sale whose event is still on its way is not mistaken for one.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, run, seededProduct, withoutSeal } from '../helpers.ts';
import { startStack, type Stack } from '../services.ts';
import { JET_CHAIN } from '../../src/lib/domain/fiscal-chain.ts';
import { anomalies, sweepChanged } from '../../src/lib/server/fiscal/anomalies.ts';
import { journalPlace } from '../../src/lib/server/fiscal/events.ts';
import { fiscalKeyFromPem } from '../../src/lib/server/fiscal/keys.ts';
import { journalOrders, ordersNotJournaled } from '../../src/lib/server/fiscal/order-facts.ts';
import { alertsOfShops } from '../../src/lib/server/flows/alerts.ts';

const keyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
let stack: Stack;
let shop: Awaited<ReturnType<typeof createShop>>;

beforeAll(async () => {
  stack = await startStack({ workers: true, env: { FISCAL_SIGNING_KEY: keyPem } });
  shop = await createShop(stack.pool, 'tampered');
}, 120_000);
afterAll(() => stack?.close());

/** Three pizzas and a drink, taken at the counter and paid in cash when collected. */
async function sell(): Promise<{ id: string; total: number }> {
  const counter = await new Client(stack.base).login(shop.email('counter'));
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Jules', phone: phone() },
    items: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('reine'), quantity: 1 }, { productId: seededProduct('peroni'), quantity: 1 }],
    payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  for (const to of ['preparing', 'ready']) await move(kitchen, r.body.id, to);
  expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
  return { id: r.body.id, total: r.body.total };
}

const entriesOf = async (orderId: string) => (await stack.pool.query('SELECT kind, sales_cents FROM fiscal_entries WHERE order_id = $1 ORDER BY seq', [orderId])).rows;
const jetAnomalies = async (orderId: string) => (await stack.pool.query(`SELECT seq, body FROM fiscal_entries WHERE chain = $1 AND kind = 'anomaly' AND body->'order'->>'id' = $2 ORDER BY seq`, [JET_CHAIN, orderId])).rows;

const tsx = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const verifyCli = () => run(process.execPath, ['--import', tsx, 'scripts/fiscal-verify.ts', '--shop', shop.slug], { DATABASE_URL: stack.config.DATABASE_URL, NODE_ENV: 'test', FISCAL_SIGNING_KEY: keyPem, FISCAL_ANCHOR_FILE: 'off' }, 60_000);

describe('money changed outside the till', () => {
  let sold: { id: string; total: number };

  it('a sold order\'s total raised by an UPDATE becomes an anomaly in the JET at the next sweep, never a sale_correction', async () => {
    sold = await sell();
    await stack.workers.journal.catchUp();
    expect((await entriesOf(sold.id)).map((e) => e.kind)).toEqual(['sale']);
    // as an outsider with the database's keys does it: the row's own checks kept (its version moves on)
    await stack.pool.query('UPDATE orders SET total_cents = total_cents + 500, paid_cents = paid_cents + 500, version = version + 1 WHERE id = $1', [sold.id]);
    // the minute's sweep, run now
    await stack.workers.journal.sweep();
    expect((await entriesOf(sold.id)).map((e) => e.kind)).toEqual(['sale']);
    const [anomaly, ...more] = await jetAnomalies(sold.id);
    expect(more).toEqual([]);
    expect(anomaly.body).toMatchObject({
      what: 'money_changed_outside',
      order: { id: sold.id, shop: shop.id },
      sealed: { entries: 1, salesCents: sold.total },
      changes: { totalCents: { from: String(sold.total), to: String(sold.total + 500) }, paidCents: { from: String(sold.total), to: String(sold.total + 500) } },
    });
    // swept again: the same anomaly is not written twice, and no correction either
    await stack.workers.journal.sweep();
    expect(await jetAnomalies(sold.id)).toHaveLength(1);
  });

  it('is reported by fiscal:verify (exit 1) and shown in head office\'s alerts', async () => {
    const out = await verifyCli();
    expect(out.code, out.stderr).toBe(1);
    expect(out.stdout).toMatch(new RegExp(`^ANOMALY shop:${shop.id} order no\\. \\d+ of \\d{4}-\\d{2}-\\d{2} \\(${sold.id}\\): its money changed outside the till after the journal sealed it \\(.*totalCents ${sold.total} → ${sold.total + 500}.*\\); technical events journal entry \\d+$`, 'm'));
    const alerts = await alertsOfShops(stack.pool, [shop.id], null, 120_000);
    expect(alerts.filter((a) => a.kind === 'fiscal_anomaly')).toEqual([expect.objectContaining({ orderId: sold.id, pizzeriaId: shop.id })]);
  });

  it('the order stays out of the journal\'s own writing while it is so: neither its run over the events nor an explicit journaling writes a correction', async () => {
    await journalOrders(stack.pool, fiscalKeyFromPem(keyPem), [sold.id]);
    await stack.workers.journal.catchUp();
    expect((await entriesOf(sold.id)).map((e) => e.kind)).toEqual(['sale']);
  });

  it('its money put back as the journal sealed it: taken back, verify passes, the alert goes', async () => {
    await stack.pool.query('UPDATE orders SET total_cents = total_cents - 500, paid_cents = paid_cents - 500, version = version + 1 WHERE id = $1', [sold.id]);
    await stack.workers.journal.sweep();
    expect(await anomalies(stack.pool, { shops: [shop.id], openOnly: true })).toEqual([]);
    expect((await stack.pool.query('SELECT anomaly_state FROM fiscal_order_states WHERE order_id = $1', [sold.id])).rows[0].anomaly_state).toBeNull();
    const out = await verifyCli();
    expect(out.code, out.stdout).toBe(0);
    expect((await alertsOfShops(stack.pool, [shop.id], null, 120_000)).filter((a) => a.kind === 'fiscal_anomaly')).toEqual([]);
    // the anomaly itself stays in the JET: it happened
    expect(await jetAnomalies(sold.id)).toHaveLength(1);
  });

  it('a sale whose event the journal has not read yet is neither journaled by the sweep nor an anomaly; one the journal never saw is journaled', async () => {
    await stack.stopWorkers();
    try {
      // sold by a process without the journal's seal (the product's own seal it in the sale's transaction)
      const next = await withoutSeal(sell);
      const key = fiscalKeyFromPem(keyPem);
      const changed = await ordersNotJournaled(stack.pool);
      expect(changed).toContain(next.id);
      // its events lie after the journal's place: on their way
      const pending = await sweepChanged(stack.pool, key, [next.id], await journalPlace(stack.pool));
      expect(pending).toEqual({ journaled: [], anomalies: [] });
      // read past them without writing (as a journal that lost them would): the sweep writes the sale it missed
      const last = Number((await stack.pool.query('SELECT max(id) AS id FROM order_events')).rows[0].id);
      const missed = await sweepChanged(stack.pool, key, [next.id], last);
      expect(missed.anomalies).toEqual([]);
      expect(missed.journaled.map((e) => [e.orderId, e.kind])).toEqual([[next.id, 'sale']]);
    } finally {
      await stack.startWorkers();
    }
  });
});
