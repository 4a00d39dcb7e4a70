// Closings (clôtures) of a shop's fiscal journal against real Postgres: a day of orders of every kind
// (counter cash, door cash, online card, a manager's refund, a promo code, a cancel after payment)
// closed with its totals per VAT rate and per payment way, its counts and perpetual grand totals,
// signed in the shop's chain with a closing event in the technical events journal; the takings page
// shows the same figures; a closing run twice changes nothing; a refund after the closing lands in
// the next day's closing, referring to its sale; months and fiscal years closed with their last
// day; the days due at the closing hour; who may close. (What a closing of 1,000 orders costs:
// npm run bench:fiscal.)
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, addressFor, assignDriver, createShop, handOver, move, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { handlePaymentEvent } from '../../src/lib/server/money/ledger.ts';
import { recordCapture } from '../../src/lib/server/money/captures.ts';
import { recordRefund } from '../../src/lib/server/money/order-payments.ts';
import { noticeFromStripe } from '../../src/lib/server/money/stripe.ts';
import { JET_CHAIN, shopChain, type Entry } from '../../src/lib/domain/fiscal-chain.ts';
import { addTotals, nextDay, sumTotals, type ClosingTotals } from '../../src/lib/domain/fiscal-closing.ts';
import { fiscalKeyFromPem, type FiscalKey } from '../../src/lib/server/fiscal/keys.ts';
import { appendEntries, entryOf, lockChain } from '../../src/lib/server/fiscal/journal.ts';
import { journalOrders } from '../../src/lib/server/fiscal/order-facts.ts';
import { recordKeyInUse } from '../../src/lib/server/fiscal/jet.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';
import { closeDaysUpTo, closeDueDays, closingsOfShop, dayOfJournal, lastDayDue, type Closing } from '../../src/lib/server/fiscal/closings.ts';
import { transaction } from '../../src/lib/server/kernel/db.ts';
import { archiveClosedYears } from '../../src/lib/server/fiscal/year-archives.ts';
import { archiveFile, verifyArchiveFile } from '../../src/lib/server/fiscal/archive.ts';
import { unpackArchive } from '../../src/lib/server/fiscal/archive-file.ts';
import { chainMember } from '../../src/lib/domain/fiscal-archive.ts';

const stack = useStack();
const newKey = (): FiscalKey => fiscalKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
let key: FiscalKey;
let p: { margherita: number; peroni: number };
let today: string;

beforeAll(async () => {
  p = { margherita: seededProduct('margherita'), peroni: seededProduct('peroni') };
  key = newKey();
  await recordKeyInUse(stack.pool, key);
  today = (await stack.pool.query<{ d: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS d`)).rows[0].d;
});

type Shop = Awaited<ReturnType<typeof createShop>>;
type Lines = [keyof typeof p, number][];
const items = (lines: Lines) => lines.map(([slug, quantity]) => ({ productId: p[slug], quantity }));

async function place(shop: Shop, lines: Lines, opts: { delivery?: boolean; online?: boolean; by?: Client; promoCode?: string } = {}) {
  const r = await (opts.by ?? new Client(stack.base)).post('/api/orders', {
    pizzeriaId: shop.id,
    channel: opts.by ? 'counter' : 'online',
    fulfilment: opts.delivery ? 'delivery' : 'pickup',
    customer: { name: 'Anouk', phone: phone() },
    ...(opts.delivery ? { address: addressFor(shop.id) } : {}),
    items: items(lines),
    payment: opts.online ? 'online' : 'on_delivery',
    ...(opts.promoCode ? { promoCode: opts.promoCode } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, total: r.body.total as number };
}

async function payOnline(order: { id: string; total: number }) {
  const intent = { id: `pi_${order.id.replace(/-/g, '')}`, object: 'payment_intent', status: 'requires_capture', amount: order.total, amount_capturable: order.total, metadata: { order_id: order.id, attempt: '1' } };
  expect((await handlePaymentEvent(stack.pool, noticeFromStripe({ id: `evt_${order.id}`, type: 'payment_intent.amount_capturable_updated', data: { object: intent } }))).outcome).toBe('authorised');
  expect(await recordCapture(stack.pool, 'stripe', order.id, { intentId: intent.id, amountCents: order.total })).not.toBeNull();
}

const chainEntries = async (chain: string): Promise<Entry[]> =>
  (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 ORDER BY seq', [chain])).rows.map(entryOf);

async function refundLine(manager: Client, orderId: string, product: string) {
  const lines = (await manager.get(`/api/orders/${orderId}/refunds`)).body.lines as { itemId: number; name: string }[];
  const line = lines.find((l) => l.name.toLowerCase().includes(product))!;
  const res = await fetch(`${stack.base}/api/orders/${orderId}/refunds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: manager.cookie, 'idempotency-key': randomUUID() },
    body: JSON.stringify({ lines: [{ itemId: line.itemId, quantity: 1 }], reason: 'quality' }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

/** The takings page's figures as a closing writes them: what the auditor and the manager must both read. */
function asTakings(t: ClosingTotals) {
  const line = (l: { rateBp: number; netCents: number; vatCents: number; grossCents: number }) => ({ rate: l.rateBp / 100, netCents: l.netCents, vatCents: l.vatCents, grossCents: l.grossCents });
  return {
    takenCents: t.taken,
    totalTakenCents: t.takenCents,
    refunds: { onlineCents: t.givenBack.onlineCents, shopCents: t.givenBack.cashCents },
    totalRefundsCents: t.givenBackCents,
    netCents: t.moneyCents,
    salesCents: t.salesCents,
    vat: t.sales.map(line),
    netVat: t.net.map(line),
    netSalesCents: t.netSalesCents,
    deliveryFeesCents: t.deliveryFeesCents,
    discounts: { count: t.discounts.count, cents: t.discounts.cents, grossSalesCents: t.salesCents + t.discounts.cents },
    granted: expect.objectContaining({ count: t.creditNotes.count, cents: t.creditNotes.cents, vat: t.creditNotes.vat.map(line) }),
    orders: expect.objectContaining({ paid: t.ordersSold }),
  };
}

describe('a day of orders of every kind, closed', () => {
  let shop: Shop;
  let chain: string;
  let manager: Client;
  let closing: Closing;
  /** The day's figures before its closing. */
  let openTotals: ClosingTotals;
  const o: Record<'online' | 'door' | 'counter' | 'promo' | 'cancelled', string> = {} as never;

  beforeAll(async () => {
    shop = await createShop(stack.pool, 'closing');
    chain = shopChain(shop.id);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    manager = await new Client(stack.base).login(shop.email('manager'));
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    await driver.post('/api/driver/shift', { onShift: true });
    const toReady = async (id: string) => {
      await move(kitchen, id, 'preparing');
      await move(kitchen, id, 'ready');
    };
    // online by card, collected: 2 × 10,50
    const online = await place(shop, [['margherita', 2]], { online: true });
    await payOnline(online);
    await toReady(online.id);
    await move(kitchen, online.id, 'collected');
    o.online = online.id;
    // cash at the door: 10,50 + 2,50 delivery
    const door = await place(shop, [['margherita', 1]], { delivery: true });
    await toReady(door.id);
    expect((await assignDriver(stack.pool, door.id)).assigned).toBe(true);
    await move(driver, door.id, 'out_for_delivery');
    await handOver(stack.pool, driver, door.id, 'cash');
    o.door = door.id;
    // paid online 10,50, journaled as sold, then cancelled by the shop and refunded by the provider
    const cancelled = await place(shop, [['margherita', 1]], { online: true });
    await payOnline(cancelled);
    await journalOrders(stack.pool, key, [cancelled.id]);
    expect((await manager.post(`/api/orders/${cancelled.id}/status`, { to: 'cancelled' })).status).toBe(200);
    await recordRefund(stack.pool, cancelled.id, { amountCents: 1050, reference: `re_${cancelled.id}` });
    o.cancelled = cancelled.id;
    // cash at the counter: 10,50 + a beer 4,00 (20 %), the beer refunded by the manager in cash
    const atCounter = await place(shop, [['margherita', 1], ['peroni', 1]], { by: counter });
    await toReady(atCounter.id);
    expect((await counter.post(`/api/orders/${atCounter.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    await refundLine(manager, atCounter.id, 'peroni');
    o.counter = atCounter.id;
    // a promo code of 3,00 off two pizzas and a beer (25,00), cash at the counter
    const code = `CLOS${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'amount', value: 300 })).status).toBe(201);
    const promo = await place(shop, [['margherita', 2], ['peroni', 1]], { by: counter, promoCode: code });
    await toReady(promo.id);
    expect((await counter.post(`/api/orders/${promo.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    o.promo = promo.id;
    // as the workers' journal does within a second
    await journalOrders(stack.pool, key, Object.values(o));
  });

  it('before its closing, the takings page and the open day show the same figures, worked out by hand', async () => {
    const open = await dayOfJournal(stack.pool, shop.id, today);
    expect(open.closing).toBeNull();
    const t = open.totals;
    openTotals = t;
    expect(t.counts).toEqual({ sales: 5, cancellations: 1, corrections: 0, refunds: 2, creditNotes: 1, payments: 0 });
    expect(t.ordersSold).toBe(4);
    // 21,00 + 13,00 + 14,50 + 22,00 + 10,50 − 10,50
    expect(t.salesCents).toBe(7050);
    expect(t.taken).toMatchObject({ online: 2100 + 1050, door_cash: 1300, counter_cash: 1450 + 2200, door_card: 0, counter_card: 0 });
    expect(t.takenCents).toBe(8100);
    expect(t.givenBack).toEqual({ onlineCents: 1050, cashCents: 400 });
    expect(t.moneyCents).toBe(8100 - 1450);
    expect(t.creditNotes).toMatchObject({ count: 1, cents: 400, byReason: { quality: 400 } });
    expect(t.creditNotes.vat).toEqual([{ rateBp: 2000, grossCents: 400, vatCents: 67, netCents: 333 }]);
    expect(t.netSalesCents).toBe(6650);
    expect(t.net.reduce((s, l) => s + l.grossCents, 0)).toBe(6650);
    expect(t.sales.map((l) => l.rateBp)).toEqual([1000, 2000]);
    expect(t.discounts).toEqual({ count: 1, cents: 300 });
    expect(t.deliveryFeesCents).toBe(250);
    const page = (await manager.get(`/api/shops/${shop.id}/takings?date=${today}`)).body.shops[0];
    expect(page).toMatchObject(asTakings(t));
  });

  it('writes one signed closing in the shop\'s chain and a closing event in the technical events journal; its totals are the takings page\'s', async () => {
    const before = await chainEntries(chain);
    const run = await closeDaysUpTo(stack.pool, key, shop.id, today, { operator: 'system', yearStartMonth: 1 });
    // the shop's first day is today: one closing (and a month's, a year's when today ends them)
    expect(run.written[0]).toMatchObject({ chain, kind: 'closing', seq: before.length + 1, salesCents: 0, moneyCents: 0, orderId: null, sourceKey: `closing:shop:${shop.id}:day:${today}` });
    closing = (await closingsOfShop(stack.pool, shop.id)).day[0];
    expect(closing).toMatchObject({ level: 'day', period: { from: today, to: today, key: today }, seq: before.length + 1 });
    // it covers every entry written before it, each once, and nothing was left for later
    expect(closing.covers).toMatchObject({ throughSeq: before.length, previous: null, entries: before.length, ranges: [[1, before.length]], pending: [] });
    expect(closing.totals).toEqual(openTotals);
    expect(closing.totals.salesCents).toBe(7050);
    expect(closing.totals.moneyCents).toBe(6650);
    // the shop's first closing: its perpetual grand totals are its own
    expect(closing.perpetual).toEqual(closing.totals);
    const jet = (await stack.pool.query(`SELECT * FROM fiscal_entries WHERE chain = $1 AND source_key = $2`, [JET_CHAIN, `jet:closing:shop:${shop.id}:day:${today}`])).rows.map(entryOf);
    expect(jet).toHaveLength(1);
    expect(jet[0]).toMatchObject({ kind: 'closing', body: { chain, seq: closing.seq, level: 'day', from: today, to: today, signature: closing.signature } });
    // the takings page of a closed day: what the closing counted
    const page = (await manager.get(`/api/shops/${shop.id}/takings?date=${today}`)).body.shops[0];
    expect(page).toMatchObject(asTakings(closing.totals));
    // the back office lists it
    const listed = (await manager.get(`/api/shops/${shop.id}/fiscal/closings`)).body;
    expect(listed.closings.day[0]).toMatchObject({ seq: closing.seq, period: { key: today }, totals: { salesCents: 7050 } });
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).ok).toBe(true);
  });

  it('run again, by the workers or by the manager, changes nothing: the same one closing', async () => {
    const before = await chainEntries(chain);
    const jetBefore = Number((await stack.pool.query(`SELECT count(*) AS n FROM fiscal_entries WHERE chain = $1 AND source_key LIKE $2`, [JET_CHAIN, `jet:closing:shop:${shop.id}:%`])).rows[0].n);
    expect((await closeDaysUpTo(stack.pool, key, shop.id, today, { operator: 'system', yearStartMonth: 1 })).written).toEqual([]);
    const twice = await Promise.all([1, 2].map(() => closeDaysUpTo(stack.pool, key, shop.id, today, { operator: 'system', yearStartMonth: 1 })));
    expect(twice.flatMap((r) => r.written)).toEqual([]);
    expect(await chainEntries(chain)).toEqual(before);
    expect(Number((await stack.pool.query(`SELECT count(*) AS n FROM fiscal_entries WHERE chain = $1 AND source_key LIKE $2`, [JET_CHAIN, `jet:closing:shop:${shop.id}:%`])).rows[0].n)).toBe(jetBefore);
  });

  it('a refund after the closing lands in the next day\'s closing, refers to its sale, and leaves the closed day as it was', async () => {
    await refundLine(manager, o.door, 'margherita');
    await journalOrders(stack.pool, key, [o.door]);
    const entries = await chainEntries(chain);
    const refund = entries.findLast((e) => e.kind === 'refund' && e.orderId === o.door)!;
    const sale = entries.find((e) => e.kind === 'sale' && e.orderId === o.door)!;
    // its day is the order's, which is closed: it waits for the next one
    expect(refund.seq).toBeGreaterThan(closing.seq);
    expect(refund.body).toMatchObject({ order: { businessDay: today }, ref: { chain, seq: sale.seq }, refunds: [{ via: 'cash', cents: 1050 }] });
    const closedDay = await dayOfJournal(stack.pool, shop.id, today);
    expect(closedDay.totals).toEqual(closing.totals);
    expect((await manager.get(`/api/shops/${shop.id}/takings?date=${today}`)).body.shops[0]).toMatchObject(asTakings(closing.totals));
    const tomorrow = nextDay(today);
    const next = await dayOfJournal(stack.pool, shop.id, tomorrow);
    expect(next.totals).toMatchObject({ entries: 1, counts: { refunds: 1, creditNotes: 1 }, moneyCents: -1050, netSalesCents: -1050 });
    expect((await manager.get(`/api/shops/${shop.id}/takings?date=${tomorrow}`)).body.shops[0]).toMatchObject(asTakings(next.totals));

    const run = await closeDaysUpTo(stack.pool, key, shop.id, tomorrow, { operator: 'system', yearStartMonth: 1 });
    const second = (await closingsOfShop(stack.pool, shop.id)).day[0];
    expect(run.written[0].seq).toBe(second.seq);
    expect(second).toMatchObject({ period: { key: tomorrow }, covers: { previous: closing.seq, entries: 1, ranges: [[refund.seq, refund.seq]], pending: [] } });
    expect(second.totals).toEqual(next.totals);
    // perpetual: the previous closing's and this day's
    expect(second.perpetual).toEqual(addTotals(closing.perpetual, second.totals));
    expect(second.perpetual.netSalesCents).toBe(6650 - 1050);
    // every entry of the chain is covered by exactly one closing
    const all = await chainEntries(chain);
    const covered = [closing, second].flatMap((c) => c.covers.ranges!.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)));
    expect(covered.sort((a, b) => a - b)).toEqual(all.filter((e) => e.kind !== 'closing').map((e) => e.seq));
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).ok).toBe(true);
  });
});

describe('months and fiscal years', () => {
  it('a month is closed with its last day and adds up its days; a year with its last month; each with the perpetual grand totals', async () => {
    const shop = await createShop(stack.pool, 'closing-year');
    const chain = shopChain(shop.id);
    // three days of sales at the turn of a year, journaled as the order facts would be (one sale a day, cash at the counter)
    const sale = (day: string, cents: number, n: number) => ({
      kind: 'sale', sourceKey: `test-sale:${shop.id}:${n}`, occurredAt: `${day}T12:00:00.000Z`, operator: 'system', orderId: null,
      body: { order: { businessDay: day }, vat: [{ rateBp: 1000, grossCents: cents, vatCents: Math.round(cents / 11), netCents: cents - Math.round(cents / 11) }], payments: [{ way: 'counter_cash', cents }] },
      salesCents: cents, vatCents: Math.round(cents / 11), moneyCents: cents,
    });
    await transaction(stack.pool, async (tx) => appendEntries(tx, chain, await lockChain(tx, chain), [
      sale('2025-12-30', 1050, 1), sale('2025-12-31', 2100, 2), sale('2025-12-31', 1300, 3), sale('2026-01-01', 1450, 4),
    ], key));
    const run = await closeDaysUpTo(stack.pool, key, shop.id, '2026-01-01', { operator: 'manager:1', yearStartMonth: 1 });
    expect(run.written.map((e) => e.sourceKey)).toEqual([
      `closing:shop:${shop.id}:day:2025-12-30`, `closing:shop:${shop.id}:day:2025-12-31`, `closing:shop:${shop.id}:month:2025-12`,
      `closing:shop:${shop.id}:year:2025`, `closing:shop:${shop.id}:day:2026-01-01`,
    ]);
    const { day, month, year } = await closingsOfShop(stack.pool, shop.id);
    const [d30, d31] = [day.find((c) => c.period.key === '2025-12-30')!, day.find((c) => c.period.key === '2025-12-31')!];
    expect([d30.totals.salesCents, d31.totals.salesCents]).toEqual([1050, 3400]);
    expect(month[0]).toMatchObject({ level: 'month', period: { from: '2025-12-01', to: '2025-12-31', key: '2025-12' }, covers: { closings: [d30.seq, d31.seq], entries: 3 } });
    expect(month[0].totals).toEqual(sumTotals([d30.totals, d31.totals]));
    expect(month[0].perpetual).toEqual(d31.perpetual);
    expect(year[0]).toMatchObject({ level: 'year', period: { from: '2025-01-01', to: '2025-12-31', key: '2025' }, covers: { closings: [month[0].seq] } });
    expect(year[0].totals).toEqual(month[0].totals);
    expect(year[0].perpetual.salesCents).toBe(4450);
    // the new year's first day carries the perpetual grand totals on
    expect(day[0]).toMatchObject({ period: { key: '2026-01-01' }, totals: { salesCents: 1450 }, perpetual: { salesCents: 5900, takenCents: 5900 } });
    expect(day[0].operator).toBe('manager:1');
    const jet = (await stack.pool.query(`SELECT source_key FROM fiscal_entries WHERE chain = $1 AND source_key LIKE $2 ORDER BY seq`, [JET_CHAIN, `jet:closing:shop:${shop.id}:%`])).rows.map((r) => r.source_key);
    expect(jet).toHaveLength(5);
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).ok).toBe(true);
    // the year closed is archived, with its closing in it, once however often it is asked
    const [archive] = await archiveClosedYears(stack.pool, key, shop.id, run.written, 'manager:1');
    expect(archive).toBeDefined();
    expect((await archiveClosedYears(stack.pool, key, shop.id, run.written, 'manager:1'))[0].id).toBe(archive.id);
    const file = (await archiveFile(stack.pool, archive.id))!;
    const report = await verifyArchiveFile(file.bytes);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    const lines = (await unpackArchive(file.bytes)).find((m) => m.name === chainMember(chain))!;
    const seqs = Buffer.from(lines.bytes).toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toContain(year[0].seq);
  });
});

describe('the daily run at the closing hour', () => {
  it('closes the day before once the hour has come in Paris, the day before that until then', async () => {
    // 27 November 2026: Paris is UTC+1
    expect(await lastDayDue(stack.pool, 4, new Date('2026-11-27T02:59:00Z'))).toBe('2026-11-25');
    expect(await lastDayDue(stack.pool, 4, new Date('2026-11-27T03:00:00Z'))).toBe('2026-11-26');
    // summer time: UTC+2
    expect(await lastDayDue(stack.pool, 4, new Date('2026-07-10T02:00:00Z'))).toBe('2026-07-09');
    expect(await lastDayDue(stack.pool, 23, new Date('2026-07-10T20:00:00Z'))).toBe('2026-07-08');
  });

  it('closes each shop\'s days due, and nothing the second time', async () => {
    const shop = await createShop(stack.pool, 'closing-due');
    const chain = shopChain(shop.id);
    const yesterday = nextDay(today, -1);
    await transaction(stack.pool, async (tx) => appendEntries(tx, chain, await lockChain(tx, chain), [{
      kind: 'payment', sourceKey: `test-due:${shop.id}`, occurredAt: `${yesterday}T12:00:00.000Z`, operator: 'system', orderId: null,
      body: { order: { businessDay: yesterday }, payments: [{ way: 'counter_card', cents: 990 }] }, salesCents: 0, vatCents: 0, moneyCents: 990,
    }], key));
    const at = new Date(`${today}T10:00:00Z`);
    const first = await closeDueDays(stack.pool, key, { closingHour: 4, yearStartMonth: 1 }, { now: at, shops: [shop.id] });
    expect(first.upTo).toBe(yesterday);
    expect(first.written.filter((e) => (e.body as { level: string }).level === 'day').map((e) => e.sourceKey)).toEqual([`closing:shop:${shop.id}:day:${yesterday}`]);
    expect((await closeDueDays(stack.pool, key, { closingHour: 4, yearStartMonth: 1 }, { now: at, shops: [shop.id] })).written).toEqual([]);
  });
});

describe('closing on demand', () => {
  it('the shop\'s manager closes a day that is over from the API; today is refused, another shop\'s manager and the kitchen too', async () => {
    const shop = await createShop(stack.pool, 'closing-api');
    const other = await createShop(stack.pool, 'closing-api-other');
    const chain = shopChain(shop.id);
    const yesterday = nextDay(today, -1);
    await transaction(stack.pool, async (tx) => appendEntries(tx, chain, await lockChain(tx, chain), [{
      kind: 'payment', sourceKey: `test-api:${shop.id}`, occurredAt: `${yesterday}T12:00:00.000Z`, operator: 'system', orderId: null,
      body: { order: { businessDay: yesterday }, payments: [{ way: 'counter_cash', cents: 500 }] }, salesCents: 0, vatCents: 0, moneyCents: 500,
    }], key));
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const otherManager = await new Client(stack.base).login(other.email('manager'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const path = `/api/shops/${shop.id}/fiscal/closings`;
    expect((await manager.post(path, { day: today })).status).toBe(422);
    expect((await otherManager.post(path, { day: yesterday })).status).toBe(403);
    expect((await kitchen.post(path, { day: yesterday })).status).toBe(403);
    expect((await new Client(stack.base).post(path, { day: yesterday })).status).toBe(401);
    expect((await manager.post(path, { day: 'hier' })).status).toBe(422);
    const overview = (await manager.get(path)).body;
    expect(overview).toMatchObject({ today, lastClosed: null, toClose: { day: yesterday, totals: { takenCents: 500 } } });

    const done = await manager.post(path, { day: yesterday });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.written).toBeGreaterThanOrEqual(1);
    expect(done.body).toMatchObject({ closing: { level: 'day', period: { key: yesterday }, operator: expect.stringMatching(/^manager:\d+$/), totals: { takenCents: 500 } } });
    const again = await manager.post(path, { day: yesterday });
    expect(again.body).toMatchObject({ written: 0, closing: { seq: done.body.closing.seq } });
    expect((await manager.get(path)).body).toMatchObject({ lastClosed: yesterday, toClose: null });
  });
});
