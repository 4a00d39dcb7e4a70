// With FISCAL_SEAL_SALES on, a sale is sealed in the transaction that makes it, not by a later run. The workers (a real
// workers/index.ts process) are killed with SIGKILL before the shop sells anything: the counter's
// handover answers, and its sale is already in the shop's chain, signed, numbered, verifiable,
// with the cashier as its operator; a manager's credit note the same. And it is both or neither:
// while the journal refuses the order's entries (a superuser's trigger standing for a journal that
// cannot be written), the handover is refused and the order stays where it was, uncollected, with
// no event; once the journal takes entries again, the same tap sells it, sealed.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, Client, createShop, move, seededProduct, waitUntil, withoutSeal } from '../helpers.ts';
import { fileDatabase } from '../file-database.ts';
import { useStack } from '../services.ts';
import { shopChain } from '../../src/lib/domain/fiscal-chain.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';
import { fiscalKeyFromPem } from '../../src/lib/server/fiscal/keys.ts';
import { journalChanged, journalChangedIn } from '../../src/lib/server/fiscal/order-facts.ts';

const keyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
// every sale sealed in its transaction (FISCAL_SEAL_SALES, the default: said again here, for the test is about it)
const stack = useStack({ env: { FISCAL_SIGNING_KEY: keyPem, FISCAL_SEAL_SALES: 'true' } });
let shop: Awaited<ReturnType<typeof createShop>>;
let counter: Client;
let kitchen: Client;
let manager: Client;
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

beforeAll(async () => {
  shop = await createShop(stack.pool, 'sealed');
  counter = await new Client(stack.base).login(shop.email('counter'));
  kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  manager = await new Client(stack.base).login(shop.email('manager'));
});

/** Two pizzas (one with an extra) and a beer at the counter, taken to the pass. */
async function readyOrder(): Promise<string> {
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Aïcha', phone: phone() },
    items: [{ productId: seededProduct('margherita'), quantity: 1 }, { productId: seededProduct('reine'), quantity: 1 }, { productId: seededProduct('peroni'), quantity: 1 }],
    payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  for (const to of ['preparing', 'ready']) await move(kitchen, r.body.id, to);
  return r.body.id;
}

const entriesOf = async (orderId: string) =>
  (await stack.pool.query<{ seq: number; kind: string; operator: string; sales_cents: number; money_cents: number; ticket: number | null }>(
    `SELECT seq, kind, operator, sales_cents, money_cents, (body->'numbered'->>'no')::int AS ticket FROM fiscal_entries WHERE order_id = $1 ORDER BY seq`, [orderId],
  )).rows;

describe('with the workers killed before the first sale', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  beforeAll(async () => {
    const workers = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
      cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv({ NODE_ENV: 'test', DATABASE_URL: fileDatabase().databaseUrl, QUEUE_PREFIX: fileDatabase().queuePrefix, LOG_LEVEL: 'info', FISCAL_SIGNING_KEY: keyPem, FISCAL_ANCHOR_FILE: 'off', FISCAL_SEAL_SALES: 'true' }),
    });
    let out = '';
    workers.stdout!.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => workers.once('exit', resolve));
    cleanups.push(async () => {
      if (workers.exitCode === null && workers.signalCode === null) workers.kill('SIGKILL');
      await exited;
    });
    await waitUntil(() => workers.exitCode !== null || out.includes('workers started'), 60_000, 'the workers to start');
    expect(workers.exitCode, out).toBeNull();
    workers.kill('SIGKILL');
    await exited;
    expect(workers.signalCode).toBe('SIGKILL');
  }, 90_000);

  it('a cash sale at the counter is in the shop\'s chain when the handover answers: signed, numbered, the cashier\'s, and the chain verifies', async () => {
    const id = await readyOrder();
    expect(await entriesOf(id)).toEqual([]); // nothing paid yet: nothing to seal
    const r = await counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // no wait, no worker alive: read at once
    const entries = await entriesOf(id);
    const total = (await stack.pool.query<{ t: number }>('SELECT total_cents AS t FROM orders WHERE id = $1', [id])).rows[0].t;
    expect(entries.map((e) => e.kind)).toEqual(['sale']);
    expect(entries[0]).toMatchObject({ sales_cents: total, money_cents: total, operator: expect.stringMatching(/^counter:\d+$/) });
    expect(entries[0].ticket).toBeGreaterThanOrEqual(1);
    // sold when it was handed over: the entry's time is the order's (to the millisecond, as the journal keeps it)
    const times = (await stack.pool.query<{ same: boolean }>(
      `SELECT abs(extract(epoch FROM e.occurred_at - o.collected_at)) < 0.001 AS same FROM fiscal_entries e JOIN orders o ON o.id = e.order_id WHERE e.order_id = $1`, [id],
    )).rows;
    expect(times).toEqual([{ same: true }]);
    const report = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(report.chains).toEqual([expect.objectContaining({ chain: shopChain(shop.id), broken: null })]);
  });

  it('a manager\'s credit note is in the chain when it answers, referring to its sale', async () => {
    const id = await readyOrder();
    expect((await counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    const lines = (await manager.get(`/api/orders/${id}/refunds`)).body.lines as { itemId: number; name: string }[];
    const beer = lines.find((l) => l.name.toLowerCase().includes('peroni'))!;
    const r = await fetch(`${stack.base}/api/orders/${id}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: manager.cookie, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ lines: [{ itemId: beer.itemId, quantity: 1 }], reason: 'quality', note: 'Tiède' }),
    });
    expect(r.status, await r.clone().text()).toBeLessThan(300);
    const entries = await entriesOf(id);
    expect(entries.map((e) => e.kind)).toEqual(['sale', 'refund']);
    expect(entries[1].sales_cents).toBeLessThan(0);
    expect(entries[1].operator).toMatch(/^manager:\d+$/);
  });

  it('while the journal refuses the order\'s entry, the handover is refused and nothing moves; then the same tap sells it, sealed', async () => {
    const id = await readyOrder();
    const events = async () => (await stack.pool.query<{ n: number }>('SELECT (SELECT count(*) FROM order_events WHERE order_id = $1) + (SELECT count(*) FROM order_event_inbox WHERE order_id = $1) AS n', [id])).rows[0].n;
    const before = await events();
    // as a superuser: the journal takes no entry for this order (a disk full, a lock lost would do the same)
    const trigger = `seal_refused_${randomUUID().replaceAll('-', '')}`;
    await stack.pool.query(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.order_id = '${id}' THEN RAISE EXCEPTION 'the journal is not writable'; END IF; RETURN NEW; END $$`);
    await stack.pool.query(`CREATE TRIGGER ${trigger} BEFORE INSERT ON fiscal_entries FOR EACH ROW EXECUTE FUNCTION ${trigger}()`);
    try {
      const r = await counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' });
      expect(r.status).toBeGreaterThanOrEqual(500);
      const o = (await stack.pool.query('SELECT status, paid_cents, collected_method FROM orders WHERE id = $1', [id])).rows[0];
      expect(o).toEqual({ status: 'ready', paid_cents: 0, collected_method: null });
      expect(await entriesOf(id)).toEqual([]);
      expect(await events()).toBe(before);
    } finally {
      await stack.pool.query(`DROP TRIGGER ${trigger} ON fiscal_entries; DROP FUNCTION ${trigger}()`);
    }
    const again = await counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect((await entriesOf(id)).map((e) => e.kind)).toEqual(['sale']);
  });

  it('another writer appends to the shop\'s chain after the sale was signed and before its move commits: the database refuses that append, and the sale is sealed once, after the other entry', async () => {
    // a sale made without the seal (as a script on the database would), for the other writer to journal
    const other = await readyOrder();
    await withoutSeal(async () => expect((await counter.post(`/api/orders/${other}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200));
    const id = await readyOrder();
    const key = fiscalKeyFromPem(keyPem);
    // the other writer (the workers' sweep, a second server) holds the shop's chain in the database
    const client = await stack.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM fiscal_chains WHERE chain = $1 FOR UPDATE', [shopChain(shop.id)]);
      const answer = counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' });
      // the handover has read the chain's head and signed after it: its append waits for the head
      await waitUntil(async () => ((await stack.pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      )).rowCount ?? 0) > 0, 10_000, 'the handover to wait for the chain');
      await journalChangedIn(client, key, [{ shop: shop.id, id: other }]);
      await client.query('COMMIT');
      const r = await answer;
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    } finally {
      client.release();
    }
    const [before, after] = [await entriesOf(other), await entriesOf(id)];
    expect(before.map((e) => e.kind)).toEqual(['sale']);
    expect(after.map((e) => e.kind)).toEqual(['sale']);
    // the other writer's entry first, then the sale, each the next ticket
    expect(after[0].seq).toBeGreaterThan(before[0].seq);
    expect(after[0].ticket).toBe(before[0].ticket! + 1);
    const o = (await stack.pool.query('SELECT status, collected_method FROM orders WHERE id = $1', [id])).rows[0];
    expect(o).toEqual({ status: 'collected', collected_method: 'cash' });
    const report = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(report.chains).toEqual([expect.objectContaining({ chain: shopChain(shop.id), broken: null })]);
  });

  it('six handovers of the shop at once while the journal refuses one of them: that one is refused and stays ready, the five others are sealed once, numbered without a gap', async () => {
    const ready = await Promise.all(Array.from({ length: 6 }, () => readyOrder()));
    const refused = ready[2];
    const trigger = `seal_refused_${randomUUID().replaceAll('-', '')}`;
    await stack.pool.query(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.order_id = '${refused}' THEN RAISE EXCEPTION 'the journal is not writable'; END IF; RETURN NEW; END $$`);
    await stack.pool.query(`CREATE TRIGGER ${trigger} BEFORE INSERT ON fiscal_entries FOR EACH ROW EXECUTE FUNCTION ${trigger}()`);
    const lastTicket = async () => (await stack.pool.query<{ no: number | null }>(
      `SELECT max((body->'numbered'->>'no')::int) AS no FROM fiscal_entries WHERE chain = $1 AND kind = 'sale'`, [shopChain(shop.id)],
    )).rows[0].no ?? 0;
    const before = await lastTicket();
    const answers = await Promise.all(ready.map((id) => counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' })))
      .finally(() => stack.pool.query(`DROP TRIGGER ${trigger} ON fiscal_entries; DROP FUNCTION ${trigger}()`));
    expect(answers.map((r, i) => (i === 2 ? r.status >= 500 : r.status === 200))).toEqual(ready.map(() => true));
    expect((await stack.pool.query('SELECT status FROM orders WHERE id = $1', [refused])).rows[0].status).toBe('ready');
    expect(await entriesOf(refused)).toEqual([]);
    for (const id of ready.filter((id) => id !== refused)) expect((await entriesOf(id)).map((e) => e.kind), id).toEqual(['sale']);
    const tickets = (await stack.pool.query<{ no: number }>(
      `SELECT (body->'numbered'->>'no')::int AS no FROM fiscal_entries WHERE chain = $1 AND kind = 'sale' AND (body->'numbered'->>'no')::int > $2 ORDER BY seq`, [shopChain(shop.id), before],
    )).rows.map((r) => r.no);
    expect(tickets).toEqual([1, 2, 3, 4, 5].map((n) => before + n));
    const report = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(report.chains).toEqual([expect.objectContaining({ chain: shopChain(shop.id), broken: null })]);
  });

  it('ten handovers of the shop at once, while another writer appends to its chain and a manager corrects two sales: each sale sealed once, the tickets numbered without a gap, the chain sound', async () => {
    // four sales made without the seal (as a script on the database would), for the other writer to journal meanwhile
    const unsealed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = await readyOrder();
      await withoutSeal(async () => expect((await counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200));
      unsealed.push(id);
    }
    // two sales, sealed, that the manager corrects meanwhile (cash → card: the chain locked by the correction itself)
    const corrected: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = await readyOrder();
      expect((await counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
      corrected.push(id);
    }
    const ready = await Promise.all(Array.from({ length: 10 }, () => readyOrder()));
    const key = fiscalKeyFromPem(keyPem);
    const [answers, corrections] = await Promise.all([
      Promise.all(ready.map((id) => counter.post(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' }))),
      Promise.all(corrected.map((id) => manager.post(`/api/orders/${id}/payment-corrections`, { part: 'handover', to: 'card', reason: 'Payé par carte, touche espèces par erreur' }))),
      // the other writer: the chain locked in the database, one order at a time, as the workers' sweep does
      (async () => {
        for (const id of unsealed) await journalChanged(stack.pool, key, [{ shop: shop.id, id }]);
      })(),
    ]);
    expect(answers.map((r) => r.status)).toEqual(ready.map(() => 200));
    expect(corrections.map((r) => r.status), JSON.stringify(corrections.map((r) => r.body))).toEqual([200, 200]);
    for (const id of corrected) expect((await entriesOf(id)).map((e) => e.kind)).toEqual(['sale', 'payment_correction']);
    for (const id of [...ready, ...unsealed]) expect((await entriesOf(id)).filter((e) => e.kind === 'sale'), id).toHaveLength(1);
    const tickets = (await stack.pool.query<{ no: number }>(
      `SELECT (body->'numbered'->>'no')::int AS no FROM fiscal_entries WHERE chain = $1 AND kind = 'sale' ORDER BY seq`, [shopChain(shop.id)],
    )).rows.map((r) => r.no);
    expect(tickets).toEqual(tickets.map((_, i) => i + 1));
    const report = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(report.chains).toEqual([expect.objectContaining({ chain: shopChain(shop.id), broken: null })]);
  });

  it('an order whose money changes after its move in the same transaction is sealed as it commits, not as it was read', async () => {
    const id = await readyOrder();
    const { transaction } = await import('../../src/lib/server/kernel/db.ts');
    const { advanceOrder } = await import('../../src/lib/server/orders/index.ts');
    const who = (await stack.pool.query('SELECT id, name FROM users WHERE pizzeria_id = $1 AND role = $2 LIMIT 1', [shop.id, 'counter'])).rows[0];
    const actor = { kind: 'staff' as const, id: who.id, role: 'counter' as const, pizzeriaId: shop.id, name: who.name };
    let attempts = 0;
    await transaction(stack.pool, async (tx) => {
      attempts++;
      await advanceOrder(tx as never, actor, id, 'collected', undefined, { paymentMethod: 'cash' });
      // the same transaction changes the money after the move read it (as a tip or a second payment would)
      await tx.query('UPDATE orders SET paid_cents = paid_cents + 150, version = version + 1 WHERE id = $1', [id]);
    });
    expect(attempts).toBe(2);
    const paid = (await stack.pool.query<{ p: number }>('SELECT paid_cents AS p FROM orders WHERE id = $1', [id])).rows[0].p;
    const entries = await entriesOf(id);
    expect(entries.map((e) => e.kind)).toEqual(['sale']);
    expect(entries[0].money_cents).toBe(paid);
  });
});
