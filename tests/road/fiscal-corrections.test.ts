// Corrections users make, against real Postgres, each a new entry of the shop's fiscal chain with
// its reason and the entry it corrects (nothing written is changed): the counter corrects a pickup
// handed over "cash" that was paid by card; a manager closes a driver's shift with cash missing; a
// manager refunds a beer (a credit note with its reason and the sale it refers to). Then the day's
// sales per VAT rate for B2C e-reporting, read from the journal, as the back office and
// `npm run fiscal:export` give them, each export a JET `export` event with the file's SHA-256.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, addressFor, assignDriver, createShop, handOver, move, npmRun, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { JET_CHAIN, shopChain, type Entry } from '../../src/lib/domain/fiscal-chain.ts';
import { parisDay } from '../../src/lib/domain/vat-report.ts';
import type { StaffActor } from '../../src/lib/domain/actors.ts';
import { correctPayment, signingKey } from '../../src/lib/server/fiscal/corrections.ts';
import { journalEventsAfter, journalPlace } from '../../src/lib/server/fiscal/events.ts';
import { exportVat, vatReport } from '../../src/lib/server/fiscal/exports.ts';
import { dayOfJournal } from '../../src/lib/server/fiscal/closings.ts';
import { entryOf } from '../../src/lib/server/fiscal/journal.ts';
import type { FiscalKey } from '../../src/lib/server/fiscal/keys.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';

// this file's counter corrects many sales, through the service and the API: the shift's limit and
// the manager's confirmation are tests/road/fiscal-second-person.test.ts's
const stack = useStack({ env: { COUNTER_CORRECTIONS_PER_SHIFT: '50' } });
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
type Shop = Awaited<ReturnType<typeof createShop>>;

let key: FiscalKey;
let shop: Shop;
let chain: string;
let kitchen: Client;
let counter: Client;
let manager: Client;
let driver: Client;
const p = { margherita: 0, peroni: 0 };

/** What the workers' journal does: the orders of the events after its place. */
const journal = async () => (await journalEventsAfter(stack.pool, key, await journalPlace(stack.pool))).written;
const chainEntries = async (c = chain): Promise<Entry[]> => (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 ORDER BY seq', [c])).rows.map(entryOf);
const ofOrder = async (id: string) => (await chainEntries()).filter((e) => e.orderId === id);

async function staff(email: string): Promise<StaffActor> {
  const { rows } = await stack.pool.query('SELECT id, role, pizzeria_id, name FROM users WHERE email = $1', [email]);
  return { kind: 'staff', id: rows[0].id, role: rows[0].role, pizzeriaId: rows[0].pizzeria_id, name: rows[0].name };
}

/** A pickup taken at the counter, made ready, handed over for what the counter pressed. */
async function pickupHandedOver(lines: [keyof typeof p, number][], method: 'cash' | 'card') {
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Inès', phone: phone() },
    items: lines.map(([slug, quantity]) => ({ productId: p[slug], quantity })), payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await move(kitchen, r.body.id, 'preparing');
  await move(kitchen, r.body.id, 'ready');
  expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: method })).status).toBe(200);
  return { id: r.body.id as string, total: r.body.total as number };
}

async function deliveredFor(method: 'cash' | 'card') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Rose', phone: phone() }, address: addressFor(shop.id),
    items: [{ productId: p.margherita, quantity: 1 }], payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await move(kitchen, r.body.id, 'preparing');
  await move(kitchen, r.body.id, 'ready');
  expect((await assignDriver(stack.pool, r.body.id)).assigned).toBe(true);
  await move(driver, r.body.id, 'out_for_delivery');
  await handOver(stack.pool, driver, r.body.id, method);
  return { id: r.body.id as string, total: r.body.total as number };
}

beforeAll(async () => {
  p.margherita = seededProduct('margherita');
  p.peroni = seededProduct('peroni');
  // the key the server signs with (the same as the pages' and the workers'), recorded in the JET
  key = await signingKey(stack.pool);
  shop = await createShop(stack.pool, 'fixes');
  chain = shopChain(shop.id);
  // the journal starts from here: other files' events are not this file's
  await stack.pool.query(`INSERT INTO event_cursors (name, last_event_id) SELECT 'fiscal', coalesce(max(id), 0) FROM order_events ON CONFLICT (name) DO UPDATE SET last_event_id = EXCLUDED.last_event_id`);
  kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  counter = await new Client(stack.base).login(shop.email('counter'));
  manager = await new Client(stack.base).login(shop.email('manager'));
  driver = await new Client(stack.base).login(shop.email('driver1'));
});

describe('the counter corrects how an order was paid', () => {
  it('a pickup handed over "cash" but paid by card: the order says card, the journal keeps the cash sale and adds the correction with its reason, referring to it', async () => {
    const o = await pickupHandedOver([['margherita', 1]], 'cash');
    const who = await staff(shop.email('counter'));
    // corrected before the workers' journal has written the sale: the correction writes it first
    const { order, entry } = await correctPayment(stack.pool, who, o.id, { part: 'handover', to: 'card', reason: 'Payé par carte, touche espèces par erreur' });
    expect(order.id).toBe(o.id);
    const [sale, fix] = await ofOrder(o.id);
    expect(sale).toMatchObject({ kind: 'sale', body: { payments: [{ way: 'counter_cash', cents: o.total }] } });
    expect(fix).toEqual(entry);
    expect(fix).toMatchObject({
      kind: 'payment_correction', seq: sale.seq + 1, operator: `counter:${who.id}`, salesCents: 0, vatCents: 0, moneyCents: 0,
      body: {
        reason: 'Payé par carte, touche espèces par erreur', ref: { chain, seq: sale.seq }, sale: { chain, seq: sale.seq }, part: 'handover',
        from: { way: 'counter_cash', cents: o.total }, to: { way: 'counter_card', cents: o.total },
        payments: [{ way: 'counter_cash', cents: -o.total }, { way: 'counter_card', cents: o.total }],
      },
    });
    // the order now says card; the journal's entries before it are as they were
    const row = (await stack.pool.query('SELECT collected_method, collected_cents FROM orders WHERE id = $1', [o.id])).rows[0];
    expect(row).toEqual({ collected_method: 'card', collected_cents: o.total });
    // the workers' journal, reading the events, finds nothing left to say of the order
    expect((await journal()).filter((e) => e.orderId === o.id)).toEqual([]);
    expect((await ofOrder(o.id)).map((e) => e.kind)).toEqual(['sale', 'payment_correction']);
    // audited: who, what it was, what it became, the entry
    const audit = (await stack.pool.query(`SELECT actor, before, after FROM audit_log WHERE action = 'fiscal.payment_correction' AND entity_id = $1`, [o.id])).rows;
    expect(audit).toEqual([{ actor: expect.stringContaining('counter'), before: { way: 'counter_cash', cents: o.total }, after: expect.objectContaining({ way: 'counter_card', entry: { chain, seq: fix.seq } }) }]);
    // corrected again (back to cash): a third entry, referring to the correction that recorded the card
    const back = await correctPayment(stack.pool, who, o.id, { part: 'handover', to: 'cash', reason: 'Finalement en espèces' });
    expect(back.entry.body).toMatchObject({ ref: { chain, seq: fix.seq }, from: { way: 'counter_card' }, to: { way: 'counter_cash' } });
  });

  it('through the JSON API too: the counter lists the day\'s payments and corrects one; a refusal says why', async () => {
    const o = await pickupHandedOver([['margherita', 1]], 'card');
    const listed = (await counter.get(`/api/shops/${shop.id}/payments/corrections`)).body as { id: string; parts: { part: string; way: string; to: string[] }[] }[];
    expect(listed.find((x) => x.id === o.id)?.parts).toEqual([expect.objectContaining({ part: 'handover', way: 'counter_card', to: ['cash'] })]);
    const r = await counter.post(`/api/orders/${o.id}/payment-corrections`, { part: 'handover', to: 'cash', reason: 'Espèces, touche carte par erreur' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.entry).toMatchObject({ chain, kind: 'payment_correction', body: { reason: 'Espèces, touche carte par erreur', to: { way: 'counter_cash' } } });
    expect(r.body.order.id).toBe(o.id);
    const again = await counter.post(`/api/orders/${o.id}/payment-corrections`, { part: 'handover', to: 'cash', reason: 'encore' });
    expect([again.status, again.body.error.code]).toEqual([409, 'correction_same_way']);
    expect((await counter.post(`/api/orders/${o.id}/payment-corrections`, { part: 'handover', to: 'card' })).status).toBe(422);
    expect((await kitchen.post(`/api/orders/${o.id}/payment-corrections`, { part: 'handover', to: 'card', reason: 'par erreur' })).status).toBe(403);
  });

  it('the day\'s takings by way and the journal agree after a correction', async () => {
    const o = await pickupHandedOver([['margherita', 2]], 'card');
    await journal();
    await correctPayment(stack.pool, await staff(shop.email('counter')), o.id, { part: 'handover', to: 'cash', reason: 'Espèces en fait' });
    const s = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    const taken: Record<string, number> = Object.fromEntries(Object.keys(s.takenCents).map((w) => [w, 0]));
    for (const e of await chainEntries()) for (const pay of (e.body.payments ?? []) as { way: string; cents: number }[]) taken[pay.way] += pay.cents;
    expect(taken).toEqual(s.takenCents);
  });

  it('refuses without a reason, outside the shop, for the kitchen, the same way, a way that took nothing; a payment at the door is the managers\'', async () => {
    const o = await pickupHandedOver([['margherita', 1]], 'cash');
    await journal();
    const who = await staff(shop.email('counter'));
    await expect(correctPayment(stack.pool, who, o.id, { part: 'handover', to: 'card', reason: ' ' })).rejects.toMatchObject({ code: 'reason_required', status: 422 });
    // an escape sequence or a bell in the signed journal: refused, by the service and by the API
    for (const reason of ['carte \x1b[2Jeffacé', 'par erreur\x07', 'ligne\x00nulle']) {
      await expect(correctPayment(stack.pool, who, o.id, { part: 'handover', to: 'card', reason })).rejects.toMatchObject({ code: 'reason_control', status: 422 });
    }
    const counterApi = await new Client(stack.base).login(shop.email('counter'));
    expect((await counterApi.post(`/api/orders/${o.id}/payment-corrections`, { part: 'handover', to: 'card', reason: 'par erreur\x1b[31m' })).status).toBe(422);
    await expect(correctPayment(stack.pool, await staff(shop.email('kitchen')), o.id, { part: 'handover', to: 'card', reason: 'par erreur' })).rejects.toMatchObject({ status: 403 });
    const other = await createShop(stack.pool, 'fixes-other');
    await expect(correctPayment(stack.pool, await staff(other.email('counter')), o.id, { part: 'handover', to: 'card', reason: 'par erreur' })).rejects.toMatchObject({ status: 403 });
    await expect(correctPayment(stack.pool, who, o.id, { part: 'handover', to: 'cash', reason: 'par erreur' })).rejects.toMatchObject({ code: 'correction_same_way' });
    await expect(correctPayment(stack.pool, who, o.id, { part: 'paid', to: 'card', reason: 'par erreur' })).rejects.toMatchObject({ code: 'correction_nothing_taken' });
    // nothing of it reached the journal or the order
    expect((await ofOrder(o.id)).map((e) => e.kind)).toEqual(['sale']);
    expect((await stack.pool.query('SELECT collected_method FROM orders WHERE id = $1', [o.id])).rows[0].collected_method).toBe('cash');

    await driver.post('/api/driver/shift', { onShift: true });
    const door = await deliveredFor('cash');
    await expect(correctPayment(stack.pool, who, door.id, { part: 'handover', to: 'card', reason: 'par carte' })).rejects.toMatchObject({ status: 403 });
    const fixed = await correctPayment(stack.pool, await staff(shop.email('manager')), door.id, { part: 'handover', to: 'card', reason: 'Le client a payé par carte' });
    expect(fixed.entry.body).toMatchObject({ from: { way: 'door_cash' }, to: { way: 'door_card' } });
    await driver.post('/api/driver/shift', { onShift: false });
    // the shift's cash no longer expects that delivery
    const [shift] = (await manager.get(`/api/shops/${shop.id}/shifts`)).body;
    expect(shift).toMatchObject({ expectedCashCents: 0, expectedCardCents: door.total });
    expect((await manager.post(`/api/shops/${shop.id}/shifts/${shift.id}/close`, { countedCashCents: 0 })).status).toBe(200);
  });
});

describe("a driver's cash corrected at the end of the shift", () => {
  it('a difference needs its reason, and is a cash correction in the journal referring to the shift\'s cash sales; an exact count writes none', async () => {
    await driver.post('/api/driver/shift', { onShift: true });
    const a = await deliveredFor('cash');
    const b = await deliveredFor('cash');
    await driver.post('/api/driver/shift', { onShift: false });
    const [shift] = (await manager.get(`/api/shops/${shop.id}/shifts`)).body;
    expect(shift).toMatchObject({ expectedCashCents: a.total + b.total, closedAt: null, correctionSeq: null });
    const counted = a.total + b.total - 500;
    const refused = await manager.post(`/api/shops/${shop.id}/shifts/${shift.id}/close`, { countedCashCents: counted });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'reason_required', fields: { note: expect.any(String) } });

    const closed = await manager.post(`/api/shops/${shop.id}/shifts/${shift.id}/close`, { countedCashCents: counted, note: 'Pièce de 5 € perdue' });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body).toMatchObject({ differenceCents: -500, correctionSeq: expect.any(Number) });
    const entries = await chainEntries();
    const fix = entries.find((e) => e.seq === closed.body.correctionSeq)!;
    const sales = entries.filter((e) => e.kind === 'sale' && (e.orderId === a.id || e.orderId === b.id));
    expect(sales).toHaveLength(2);
    expect(fix).toMatchObject({
      kind: 'cash_correction', orderId: null, operator: `manager:${(await staff(shop.email('manager'))).id}`, salesCents: 0, vatCents: 0, moneyCents: 0,
      body: {
        shift: { id: shift.id }, way: 'door_cash', expectedCashCents: a.total + b.total, countedCashCents: counted, differenceCents: -500,
        reason: 'Pièce de 5 € perdue', refs: sales.map((s) => ({ chain, seq: s.seq })),
      },
    });
    // the page reads it back beside the shift
    expect((await manager.get(`/api/shops/${shop.id}/shifts`)).body.find((s: { id: number }) => s.id === shift.id)).toMatchObject({ correctionSeq: fix.seq });

    await driver.post('/api/driver/shift', { onShift: true });
    const c = await deliveredFor('cash');
    await driver.post('/api/driver/shift', { onShift: false });
    const [exact] = (await manager.get(`/api/shops/${shop.id}/shifts`)).body.filter((s: { closedAt: string | null }) => !s.closedAt);
    const done = await manager.post(`/api/shops/${shop.id}/shifts/${exact.id}/close`, { countedCashCents: c.total });
    expect(done.body).toMatchObject({ differenceCents: 0, correctionSeq: null });
    expect((await chainEntries()).filter((e) => e.kind === 'cash_correction')).toHaveLength(1);
  });
});

describe("a manager's refund", () => {
  it('is a credit note with its reason, the manager\'s note, the VAT it gives back, and the sale it refers to', async () => {
    const o = await pickupHandedOver([['margherita', 1], ['peroni', 1]], 'cash');
    await journal();
    const lines = (await manager.get(`/api/orders/${o.id}/refunds`)).body.lines as { itemId: number; name: string }[];
    const beer = lines.find((l) => l.name.toLowerCase().includes('peroni'))!;
    const refunded = await fetch(`${stack.base}/api/orders/${o.id}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: manager.cookie, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ lines: [{ itemId: beer.itemId, quantity: 1 }], reason: 'quality', note: 'Bière tiède' }),
    });
    expect(refunded.status).toBe(201);
    await journal();
    const [sale, credit] = await ofOrder(o.id);
    expect(credit).toMatchObject({
      kind: 'refund', salesCents: -400, vatCents: -67, moneyCents: -400, operator: expect.stringMatching(/^manager:\d+$/),
      body: { creditNote: true, reason: 'quality', note: 'Bière tiède', vat: [{ rateBp: 2000, grossCents: -400, vatCents: -67, netCents: -333 }], ref: { chain, seq: sale.seq } },
    });
  });
});

describe('the daily export of sales per VAT rate for B2C e-reporting', () => {
  const today = parisDay(new Date().toISOString());

  it('adds up to the journal\'s sales, corrections, cancellations and credit notes, per rate', async () => {
    await journal();
    const report = await vatReport(stack.pool, shop.id, today, today);
    expect(report.days.map((d) => d.day)).toEqual([today]);
    const entries = (await chainEntries()).filter((e) => ['sale', 'sale_correction', 'cancellation', 'refund'].includes(e.kind));
    const byRate = new Map<number, { net: number; vat: number; gross: number }>();
    for (const e of entries) {
      for (const v of (e.body.vat ?? []) as { rateBp: number; netCents: number; vatCents: number; grossCents: number }[]) {
        const r = byRate.get(v.rateBp) ?? { net: 0, vat: 0, gross: 0 };
        byRate.set(v.rateBp, { net: r.net + v.netCents, vat: r.vat + v.vatCents, gross: r.gross + v.grossCents });
      }
    }
    const [day] = report.days;
    // the amounts with VAT add up to the entries', rate by rate
    expect(day.rates.map((r) => [r.rateBp, r.grossCents])).toEqual([...byRate].sort((x, y) => x[0] - y[0]).map(([bp, r]) => [bp, r.gross]));
    expect(day.counts).toEqual({ sales: entries.filter((e) => e.kind === 'sale').length, creditNotes: 1, cancellations: 0, corrections: 0 });
    expect(day.grossCents).toBe(entries.reduce((s, e) => s + e.salesCents, 0));
    for (const r of day.rates) expect(r.netCents + r.vatCents).toBe(r.grossCents);
    // the VAT is the day's as its closing and the takings page count it (the sales less the credit note), to the cent
    const journalDay = await dayOfJournal(stack.pool, shop.id, today);
    expect(day.rates.filter((r) => r.grossCents !== 0).map((r) => [r.rateBp, r.netCents, r.vatCents])).toEqual(journalDay.totals.net.map((l) => [l.rateBp, l.netCents, l.vatCents]));
  });

  it('is downloaded as CSV or JSON, each export a JET event with the file\'s fingerprint, and the journal still verifies', async () => {
    const jetBefore = (await chainEntries(JET_CHAIN)).length;
    const who = await staff(shop.email('manager'));
    const csv = await exportVat(stack.pool, who, shop.id, today, today, 'csv');
    expect(csv.filename).toBe(`ereporting-b2c-${shop.slug}-${today}.csv`);
    const rows = csv.content.trimEnd().split('\r\n');
    expect(rows[0]).toBe('date;siret;boutique;devise;categorie_operations;taux_tva;montant_ht;montant_tva;montant_ttc;nombre_transactions');
    expect(rows.slice(1).map((r) => r.split(';')[5])).toEqual(csv.report.days[0].rates.map((r) => (r.rateBp / 100).toFixed(2)));
    expect(csv.event).toMatchObject({
      chain: JET_CHAIN, kind: 'export', operator: `manager:${who.id}`,
      body: { what: 'ereporting-b2c', chain, shop: shop.slug, from: today, to: today, format: 'csv', sha256: createHash('sha256').update(csv.content).digest('hex') },
    });
    // the same period again: another event (an export is an event each time)
    const json = await exportVat(stack.pool, who, shop.id, today, today, 'json');
    expect(JSON.parse(json.content).days[0]).toMatchObject({ date: today, grossCents: csv.report.days[0].grossCents });
    // another shop's manager may not
    const other = await createShop(stack.pool, 'fixes-export');
    await expect(exportVat(stack.pool, await staff(other.email('manager')), shop.id, today, today, 'csv')).rejects.toMatchObject({ status: 403 });
    await expect(exportVat(stack.pool, who, shop.id, today, '2020-01-01', 'csv')).rejects.toMatchObject({ code: 'period_reversed' });

    // the JSON API gives the same file to the shop's manager, and writes its event too
    const viaApi = await fetch(`${stack.base}/api/shops/${shop.id}/ereporting?from=${today}&to=${today}&format=csv`, { headers: { cookie: manager.cookie } });
    expect(viaApi.status).toBe(200);
    expect(viaApi.headers.get('x-export-sha256')).toBe(csv.sha256);
    expect(await viaApi.text()).toBe(csv.content);

    // the command gives the same file, and writes its event too
    const out = join(tmpdir(), `ereporting-${randomUUID()}.csv`);
    try {
      const r = await npmRun('fiscal:export', ['--shop', shop.slug, '--day', today, '--format', 'csv', '--out', out], { DATABASE_URL: stack.config.DATABASE_URL, NODE_ENV: 'test' }, 60_000);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(csv.content);
      expect(r.stderr).toMatch(/exported ereporting-b2c-.*\.csv \(1 day\(s\), sha256 [0-9a-f]{64}\): JET entry \d+/);
    } finally {
      rmSync(out, { force: true });
    }
    const jet = await chainEntries(JET_CHAIN);
    expect(jet.slice(jetBefore).filter((e) => e.kind === 'export').map((e) => [e.body.format, e.operator])).toEqual([['csv', `manager:${who.id}`], ['json', `manager:${who.id}`], ['csv', `manager:${who.id}`], ['csv', 'system']]);
    const report = await verifyJournal(stack.pool);
    expect(report.chains.filter((c) => c.chain === chain || c.chain === JET_CHAIN).map((c) => [c.chain, c.broken])).toEqual([[JET_CHAIN, null], [chain, null]]);
  });
});
