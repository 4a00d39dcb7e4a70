// The fiscal journal against real Postgres: a day of orders of several kinds in a shop of its own
// (online by card, cash at the door, cash at the counter, a promo code, a manager's refund, a
// cancel after payment) written as the workers' journal writes it, numbered without a gap, adding
// up to the takings page of the day; the same facts read again write nothing; the database refuses
// to change or remove an entry; a superuser's tampering (triggers off) is found by
// `npm run fiscal:verify` with the entry's number; concurrent appenders leave no gap; the signing
// key is recorded in the technical events journal. (What journaling costs per order: npm run bench:fiscal.)
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, addressFor, assignDriver, createShop, handOver, move, npmRun, run, seededProduct, waitUntil, withoutSeal } from '../helpers.ts';
import { startStack, useStack, type Stack } from '../services.ts';
import { handlePaymentEvent } from '../../src/lib/server/money/ledger.ts';
import { recordCapture } from '../../src/lib/server/money/captures.ts';
import { recordRefund } from '../../src/lib/server/money/order-payments.ts';
import { noticeFromStripe } from '../../src/lib/server/money/stripe.ts';
import { JET_CHAIN, shopChain, type Entry } from '../../src/lib/domain/fiscal-chain.ts';
import { vatBreakdown } from '../../src/lib/domain/vat.ts';
import { fiscalKeyFromPem, type FiscalKey } from '../../src/lib/server/fiscal/keys.ts';
import { appendEntries, entryOf, lockChain } from '../../src/lib/server/fiscal/journal.ts';
import { journalEventsAfter, journalPlace } from '../../src/lib/server/fiscal/events.ts';
import { journalOrders, journalRun, runAfter } from '../../src/lib/server/fiscal/order-facts.ts';
import { recordKeyInUse, recordedKeys } from '../../src/lib/server/fiscal/jet.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';
import { transaction } from '../../src/lib/server/kernel/db.ts';

// the server signs with the test's key too (a staff member's sign-in is a JET event): one key in the JET
const stack = useStack({ env: () => ({ FISCAL_SIGNING_KEY: keyPem }) });
const newPem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const newKey = (): FiscalKey => fiscalKeyFromPem(newPem());
// the key the command line signs with too (it writes a verification that failed to the JET)
const keyPem = newPem();
// numbers of this file's own (the limit per phone counts every file's orders of the hour)
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
let key: FiscalKey;
let p: { margherita: number; peroni: number };

beforeAll(async () => {
  p = { margherita: seededProduct('margherita'), peroni: seededProduct('peroni') };
  key = fiscalKeyFromPem(keyPem);
  await recordKeyInUse(stack.pool, key);
});

type Shop = Awaited<ReturnType<typeof createShop>>;
type Lines = [keyof typeof p, number][];
const items = (lines: Lines) => lines.map(([slug, quantity]) => ({ productId: p[slug], quantity }));

async function place(shop: Shop, lines: Lines, opts: { delivery?: boolean; online?: boolean; by?: Client; promoCode?: string } = {}) {
  const r = await (opts.by ?? new Client(stack.base)).post('/api/orders', {
    pizzeriaId: shop.id,
    channel: opts.by ? 'counter' : 'online',
    fulfilment: opts.delivery ? 'delivery' : 'pickup',
    customer: { name: 'Inès', phone: phone() },
    ...(opts.delivery ? { address: addressFor(shop.id) } : {}),
    items: items(lines),
    payment: opts.online ? 'online' : 'on_delivery',
    ...(opts.promoCode ? { promoCode: opts.promoCode } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number };
}

/** The card held (the provider's event, as the payments worker applies it) and captured (the workers' call when the kitchen starts). */
async function payOnline(order: { id: string; total: number }) {
  const intent = { id: `pi_${order.id.replace(/-/g, '')}`, object: 'payment_intent', status: 'requires_capture', amount: order.total, amount_capturable: order.total, metadata: { order_id: order.id, attempt: '1' } };
  expect((await handlePaymentEvent(stack.pool, noticeFromStripe({ id: `evt_${order.id}`, type: 'payment_intent.amount_capturable_updated', data: { object: intent } }))).outcome).toBe('authorised');
  expect(await recordCapture(stack.pool, 'stripe', order.id, { intentId: intent.id, amountCents: order.total })).not.toBeNull();
}

/** The chain's entries as kept, in number order. */
async function chainEntries(chain: string): Promise<Entry[]> {
  return (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 ORDER BY seq', [chain])).rows.map(entryOf);
}

/** A change made as a superuser with the triggers off (session_replication_role = replica): how an attacker with the database's keys would. */
async function asSuperuser(sql: string, params: unknown[] = []) {
  const c = await stack.pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(sql, params);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}

const tsx = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
/** `npm run fiscal:verify -- --shop <slug>` (or its script run by node directly, without npm's start: the same file). */
const verifyShop = (slug: string, through: 'npm' | 'node' = 'node') => {
  const env = { DATABASE_URL: stack.config.DATABASE_URL, NODE_ENV: 'test', FISCAL_SIGNING_KEY: keyPem };
  return through === 'npm' ? npmRun('fiscal:verify', ['--shop', slug], env, 60_000) : run(process.execPath, ['--import', tsx, 'scripts/fiscal-verify.ts', '--shop', slug], env, 60_000);
};

describe('a day of orders in the fiscal journal', () => {
  let shop: Shop;
  let chain: string;
  let manager: Client;
  const o: Record<'online' | 'door' | 'counter' | 'promo' | 'cancelled', string> = {} as never;
  /** What the workers' journal does: the orders of the events after its place. */
  const journal = async () => (await journalEventsAfter(stack.pool, key, await journalPlace(stack.pool))).written;

  beforeAll(async () => {
    shop = await createShop(stack.pool, 'fiscal');
    chain = shopChain(shop.id);
    // the journal starts from here: other files' events are not this file's
    await stack.pool.query(`INSERT INTO event_cursors (name, last_event_id) SELECT 'fiscal', coalesce(max(id), 0) FROM order_events ON CONFLICT (name) DO UPDATE SET last_event_id = EXCLUDED.last_event_id`);
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

    // paid online, journaled as sold, then cancelled by the shop and refunded by the provider
    const cancelled = await place(shop, [['margherita', 1]], { online: true });
    await payOnline(cancelled);
    await journal();
    expect((await manager.post(`/api/orders/${cancelled.id}/status`, { to: 'cancelled' })).status).toBe(200);
    await recordRefund(stack.pool, cancelled.id, { amountCents: 1050, reference: `re_${cancelled.id}` });
    o.cancelled = cancelled.id;

    // cash at the counter on handover: 10,50 + a beer 4,00 (20 %), the beer refunded by the manager in cash
    const atCounter = await place(shop, [['margherita', 1], ['peroni', 1]], { by: counter });
    await toReady(atCounter.id);
    expect((await counter.post(`/api/orders/${atCounter.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    const lines = (await manager.get(`/api/orders/${atCounter.id}/refunds`)).body.lines as { itemId: number; name: string }[];
    const beer = lines.find((l) => l.name.toLowerCase().includes('peroni'))!;
    const refunded = await fetch(`${stack.base}/api/orders/${atCounter.id}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: manager.cookie, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ lines: [{ itemId: beer.itemId, quantity: 1 }], reason: 'quality' }),
    });
    expect(refunded.status).toBe(201);
    o.counter = atCounter.id;

    // a promo code of 3,00 off two pizzas and a beer, cash at the counter
    const code = `FISC${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'amount', value: 300 })).status).toBe(201);
    const promo = await place(shop, [['margherita', 2], ['peroni', 1]], { by: counter, promoCode: code });
    await toReady(promo.id);
    expect((await counter.post(`/api/orders/${promo.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    o.promo = promo.id;

    await journal();
  });

  it('writes a sale for each order sold, the credit note, the cancellation and its refund, numbered without a gap and referring to their sale', async () => {
    const entries = await chainEntries(chain);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const of = (id: string) => entries.filter((e) => e.orderId === id).map((e) => e.kind);
    expect(of(o.online)).toEqual(['sale']);
    expect(of(o.door)).toEqual(['sale']);
    expect(of(o.cancelled)).toEqual(['sale', 'cancellation', 'refund']);
    expect(of(o.counter)).toEqual(['sale', 'refund']);
    expect(of(o.promo)).toEqual(['sale']);
    const sale = (id: string) => entries.find((e) => e.orderId === id && e.kind === 'sale')!;
    expect(sale(o.online).body).toMatchObject({ payments: [{ way: 'online', cents: 2100 }], vat: [{ rateBp: 1000, grossCents: 2100, vatCents: 191, netCents: 1909 }] });
    expect(sale(o.door).body).toMatchObject({ deliveryFeeCents: 250, payments: [{ way: 'door_cash', cents: 1300 }] });
    expect(sale(o.promo).body).toMatchObject({ discount: { kind: 'promo', cents: 300 }, payments: [{ way: 'counter_cash', cents: 2500 - 300 }] });
    // the credit note: the beer's 4,00 at 20 %, given back in cash, by the manager, referring to the sale
    const credit = entries.find((e) => e.orderId === o.counter && e.kind === 'refund')!;
    expect(credit).toMatchObject({
      salesCents: -400, vatCents: -67, moneyCents: -400, operator: expect.stringMatching(/^manager:\d+$/),
      body: { reason: 'quality', refunds: [{ via: 'cash', cents: 400 }], ref: { chain, seq: sale(o.counter).seq } },
    });
    // the order sold was written before its cancel (a run of the journal in between), the cancellation after
    const [s, c, r] = entries.filter((e) => e.orderId === o.cancelled);
    expect(c).toMatchObject({ salesCents: -1050, moneyCents: 0, body: { reason: 'shop', ref: { chain, seq: s.seq } } });
    expect(r).toMatchObject({ salesCents: 0, moneyCents: -1050, body: { reason: 'cancelled', refunds: [{ via: 'online', cents: 1050 }] } });
    expect(s.seq).toBeLessThanOrEqual(3);
    expect(c.seq).toBeGreaterThan(3);
    expect(new Set(entries.map((e) => e.keyId))).toEqual(new Set([key.keyId]));
  });

  it('adds up to the day\'s takings page: sales and VAT per rate, discounts, what was taken by way, refunds, the credit notes and their VAT', async () => {
    const entries = await chainEntries(chain);
    const s = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    const sum = (list: Entry[], f: (e: Entry) => number) => list.reduce((n, e) => n + f(e), 0);
    const byRate = (list: Entry[]) => {
      const m = new Map<number, number>();
      for (const e of list) for (const v of e.body.vat as { rateBp: number; grossCents: number }[]) m.set(v.rateBp / 100, (m.get(v.rateBp / 100) ?? 0) + v.grossCents);
      return [...m].map(([rate, grossCents]) => ({ rate, grossCents }));
    };
    const sales = entries.filter((e) => ['sale', 'sale_correction', 'cancellation'].includes(e.kind));
    const credits = entries.filter((e) => e.kind === 'refund' && e.body.refundId !== null);
    expect(sum(sales, (e) => e.salesCents)).toBe(s.salesCents);
    expect(vatBreakdown(byRate(sales))).toEqual(s.vat);
    expect(sum(entries.filter((e) => e.body.discount), (e) => (e.body.discount as { cents: number }).cents)).toBe(s.discounts.cents);
    const taken: Record<string, number> = Object.fromEntries(Object.keys(s.takenCents).map((w) => [w, 0]));
    for (const e of entries) for (const pay of (e.body.payments ?? []) as { way: string; cents: number }[]) taken[pay.way] += pay.cents;
    expect(taken).toEqual(s.takenCents);
    const given = (via: string) => sum(entries, (e) => ((e.body.refunds ?? []) as { via: string; cents: number }[]).filter((r) => r.via === via).reduce((n, r) => n + r.cents, 0));
    expect({ onlineCents: given('online'), shopCents: given('cash') }).toEqual(s.refunds);
    expect(sum(entries, (e) => e.moneyCents)).toBe(s.netCents);
    expect({ count: credits.length, cents: -sum(credits, (e) => e.salesCents) }).toEqual({ count: s.granted.count, cents: s.granted.cents });
    expect(vatBreakdown(byRate(credits).map((v) => ({ ...v, grossCents: -v.grossCents })))).toEqual(s.granted.vat);
    expect(vatBreakdown(byRate([...sales, ...credits])).filter((v) => v.grossCents)).toEqual(s.netVat);
  });

  it('writes nothing more when the same facts are read again, one run after the other or two at once', async () => {
    const before = await chainEntries(chain);
    // as after a crash: the journal's place back where it started, what it noted of the orders forgotten
    await stack.pool.query('DELETE FROM fiscal_order_states WHERE order_id = ANY($1)', [Object.values(o)]);
    await journalEventsAfter(stack.pool, key, (await stack.pool.query(`SELECT min(id) - 1 AS id FROM order_events WHERE order_id = ANY($1)`, [Object.values(o)])).rows[0].id);
    await stack.pool.query('DELETE FROM fiscal_order_states WHERE order_id = ANY($1)', [Object.values(o)]);
    const twice = await Promise.all([journalOrders(stack.pool, key, Object.values(o)), journalOrders(stack.pool, key, Object.values(o))]);
    expect(twice.flat()).toEqual([]);
    // a fact whose key is in the journal is left out, even handed to the appender itself
    const again = await transaction(stack.pool, async (tx) => appendEntries(tx, chain, await lockChain(tx, chain), [{ ...before[0], body: { ...before[0].body } }], key));
    expect(again.entries).toEqual([]);
    expect(await chainEntries(chain)).toEqual(before);
  });

  it('is refused any UPDATE, DELETE or TRUNCATE, and its head is refused a step back', async () => {
    const refused = /fiscal journal: (UPDATE|DELETE|TRUNCATE) on fiscal_entries refused/;
    await expect(stack.pool.query('UPDATE fiscal_entries SET sales_cents = 0 WHERE chain = $1 AND seq = 1', [chain])).rejects.toThrow(refused);
    await expect(stack.pool.query('DELETE FROM fiscal_entries WHERE chain = $1 AND seq = 1', [chain])).rejects.toThrow(refused);
    await expect(stack.pool.query('TRUNCATE fiscal_entries CASCADE')).rejects.toThrow(refused);
    await expect(stack.pool.query('UPDATE fiscal_chains SET last_seq = 0 WHERE chain = $1', [chain])).rejects.toThrow(/only moves one entry forward/);
    await expect(stack.pool.query('DELETE FROM fiscal_chains WHERE chain = $1', [chain])).rejects.toThrow(/refused/);
    // an entry that is not the next of its chain
    const [first] = await chainEntries(chain);
    await expect(stack.pool.query(
      `INSERT INTO fiscal_entries (chain, seq, kind, occurred_at, recorded_at, operator, source_key, body, prev_signature, signature, key_id)
       VALUES ($1, 1, 'sale', now(), now(), 'system', $2, '{}', NULL, 'x', 'x')`,
      [chain, `forged:${randomUUID()}`],
    )).rejects.toThrow(/not the next one/);
    expect((await chainEntries(chain))[0]).toEqual(first);
  });

  // four runs of the command line, each a Node process of its own: seconds each on a busy machine
  it('npm run fiscal:verify says OK, then finds an entry altered, deleted or moved by a superuser, with its number', async () => {
    const ok = await verifyShop(shop.slug, 'npm');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^OK ${chain} \\(${shop.slug}\\): \\d+ entries, last \\d+, signed by ${key.keyId}$`, 'm'));

    // entry 3 altered (its order's number)
    const third = (await chainEntries(chain))[2].body.order;
    await asSuperuser(`UPDATE fiscal_entries SET body = jsonb_set(body, '{order,number}', '999') WHERE chain = $1 AND seq = 3`, [chain]);
    const altered = await verifyShop(shop.slug);
    expect(altered.code).toBe(1);
    expect(altered.stdout).toMatch(new RegExp(`^BROKEN ${chain} \\(${shop.slug}\\): entry 3: bad_signature: .*altered`, 'm'));
    await asSuperuser(`UPDATE fiscal_entries SET body = jsonb_set(body, '{order}', $2::jsonb) WHERE chain = $1 AND seq = 3`, [chain, JSON.stringify(third)]);

    // entry 2 deleted
    const kept = (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 AND seq = 2', [chain])).rows[0];
    await asSuperuser('DELETE FROM fiscal_entries WHERE chain = $1 AND seq = 2', [chain]);
    const deleted = await verifyShop(shop.slug);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(/: entry 2: gap: entry 2 is missing/);
    await asSuperuser(
      `INSERT INTO fiscal_entries SELECT * FROM jsonb_populate_record(NULL::fiscal_entries, $1::jsonb)`,
      [JSON.stringify(kept)],
    );

    // entries 4 and 5 swapped
    const swap = async () => {
      await asSuperuser('UPDATE fiscal_entries SET seq = 1000004 WHERE chain = $1 AND seq = 4', [chain]);
      await asSuperuser('UPDATE fiscal_entries SET seq = 4 WHERE chain = $1 AND seq = 5', [chain]);
      await asSuperuser('UPDATE fiscal_entries SET seq = 5 WHERE chain = $1 AND seq = 1000004', [chain]);
    };
    await swap();
    const moved = await verifyShop(shop.slug);
    expect(moved.code).toBe(1);
    expect(moved.stdout).toMatch(/: entry 4: reordered/);
    await swap();

    // put back as it was: sound again
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).ok).toBe(true);
  }, 120_000);
});

describe('appending to a chain', () => {
  it('twenty writers at once number their entries one after the other, without a gap, and the chain verifies', async () => {
    const shop = await createShop(stack.pool, 'fiscal-race');
    const chain = shopChain(shop.id);
    const draft = (n: number) => ({
      kind: 'payment', sourceKey: `race:${shop.id}:${n}`, occurredAt: new Date().toISOString(), operator: 'system', orderId: null,
      body: { payments: [{ way: 'counter_cash', cents: n }] }, salesCents: 0, vatCents: 0, moneyCents: n,
    });
    await Promise.all(Array.from({ length: 20 }, (_, w) => transaction(stack.pool, async (tx) => appendEntries(tx, chain, await lockChain(tx, chain), [draft(w * 3), draft(w * 3 + 1), draft(w * 3 + 2)], key))));
    const entries = await chainEntries(chain);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(new Set(entries.map((e) => e.sourceKey)).size).toBe(60);
    const report = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(report.chains).toMatchObject([{ chain, entries: 60, lastSeq: 60, broken: null }]);
  });

  it('a run that read its orders (sold without the seal) before another writer appended to their chain writes nothing twice: it is done again under the lock', async () => {
    const shop = await createShop(stack.pool, 'fiscal-meanwhile');
    const chain = shopChain(shop.id);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const sell = () => withoutSeal(async () => {
      const { id } = await place(shop, [['margherita', 1]], { by: counter });
      for (const to of ['preparing', 'ready']) await move(kitchen, id, to);
      await move(counter, id, 'collected');
      return id;
    });
    const first = await sell();
    await journalOrders(stack.pool, key, [first]);
    const [second, third] = [await sell(), await sell()];
    const from = (await stack.pool.query('SELECT min(id) - 1 AS id FROM order_events WHERE order_id = ANY($1)', [[second, third]])).rows[0].id;
    const run = await runAfter(stack.pool, from, 1000);
    const read = run.orders.filter((r) => r.pizzeria_id === shop.id);
    expect(read.map((r) => [r.id, r.head_seq])).toEqual([[second, 1], [third, 1]]);
    // the sweep journals the second meanwhile: the run's entries would follow a head that moved
    expect((await journalOrders(stack.pool, key, [second])).map((e) => [e.orderId, e.seq])).toEqual([[second, 2]]);
    const { written } = await journalRun(stack.pool, key, read);
    expect(written.map((e) => [e.orderId, e.kind, e.seq])).toEqual([[third, 'sale', 3]]);
    expect((await chainEntries(chain)).map((e) => [e.orderId, e.kind])).toEqual([[first, 'sale'], [second, 'sale'], [third, 'sale']]);
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).chains).toMatchObject([{ chain, entries: 3, broken: null }]);
  });
});

describe('the signing key', () => {
  it('is recorded once in the technical events journal with its public half; a new key is a key change there, and every key verifies', async () => {
    expect(await recordKeyInUse(stack.pool, key)).toBeNull();
    const next = newKey();
    const change = await recordKeyInUse(stack.pool, next);
    expect(change).toMatchObject({ chain: JET_CHAIN, kind: 'key_change', keyId: next.keyId, body: { keyId: next.keyId, previousKeyId: key.keyId, publicKey: next.publicKeyPem } });
    expect(await recordKeyInUse(stack.pool, next)).toBeNull();
    expect((await recordKeyInUse(stack.pool, key))?.body).toMatchObject({ keyId: key.keyId, previousKeyId: next.keyId });
    expect((await recordedKeys(stack.pool)).map((k) => k.keyId)).toEqual(expect.arrayContaining([key.keyId, next.keyId]));
    const report = await verifyJournal(stack.pool);
    expect(report.chains[0]).toMatchObject({ chain: JET_CHAIN, broken: null });
    expect(report.chains[0].keyIds).toEqual(expect.arrayContaining([key.keyId, next.keyId]));
  });

  it('is never kept in the repository: the install\'s own key file is ignored by git', () => {
    expect(readFileSync('.gitignore', 'utf8')).toMatch(/^\.fiscal-key\.pem$/m);
  });
});

describe('the workers\' journal', () => {
  let workers: Stack;
  beforeAll(async () => {
    workers = await startStack({ workers: true });
  });
  afterAll(() => workers?.close());

  it('journals an order sold without the seal within seconds; stopped, and even started again from an older place (a kill -9), it misses nothing and writes nothing twice', async () => {
    const shop = await createShop(workers.pool, 'fiscal-workers');
    const counter = await new Client(workers.base).login(shop.email('counter'));
    const kitchen = await new Client(workers.base).login(shop.email('kitchen'));
    const sell = () => withoutSeal(async () => {
      const r = await counter.post('/api/orders', { pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Noé', phone: phone() }, items: items([['margherita', 1]]), payment: 'on_delivery' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      await move(kitchen, r.body.id, 'preparing');
      await move(kitchen, r.body.id, 'ready');
      expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
      return r.body.id as string;
    });
    const sales = async (ids: string[]) => Number((await workers.pool.query(`SELECT count(*) AS n FROM fiscal_entries WHERE kind = 'sale' AND order_id = ANY($1)`, [ids])).rows[0].n);
    const before = await journalPlace(workers.pool);
    const first = await sell();
    await waitUntil(async () => (await sales([first])) === 1, 15_000, 'the workers to journal the sale');

    // sold while the workers are down: journaled when they come back
    await workers.stopWorkers();
    const second = await sell();
    expect(await sales([second])).toBe(0);
    // as after a kill -9: their place back before both orders, what they noted of them forgotten
    await workers.pool.query(`UPDATE event_cursors SET last_event_id = $1 WHERE name = 'fiscal'`, [before]);
    await workers.pool.query('DELETE FROM fiscal_order_states WHERE order_id = ANY($1)', [[first, second]]);
    await workers.startWorkers();
    await waitUntil(async () => (await sales([second])) === 1, 15_000, 'the workers to journal the sale made while they were down');
    await workers.workers.journal.catchUp();
    expect(await sales([first, second])).toBe(2);
    const report = await verifyJournal(workers.pool, { shop: shop.slug });
    expect(report.chains).toMatchObject([{ chain: shopChain(shop.id), entries: 2, broken: null }]);
  });
});
