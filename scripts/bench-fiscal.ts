// What the fiscal journal costs per order sold (not a test: a measurement).
//
//   npm run bench:fiscal
//
// It creates its own database (migrated, seeded; dropped at the end, also on failure), places
// BENCH_FISCAL_ORDERS pickup orders at the counters of the seeded shops through the services (no server: this process runs
// nothing else while it measures), takes each through the kitchen to its handover paid in cash
// (four events an order: placed, preparing, ready, collected), then journals them as the workers do
// (src/lib/server/fiscal/events.ts, from the journal's place), BENCH_FISCAL_PER_RUN orders' events a
// run (all shops mixed): the workers' journal runs at most once a second (JOURNAL_GATHER_MS) with the
// orders sold meanwhile across the chain, some twenty in a rush (the rush benchmark's 100 to 200
// moves a second are 25 to 50 orders sold). It prints the CPU time this process and its Postgres connection spent journaling, per order
// sold, and checks the chain it wrote. Those handovers are made without the journal's seal (as a
// script on the database would): the follower's runs are what is measured.
//
// Then the product's way: 2 × BENCH_FISCAL_ORDERS more orders to the pass, half of them handed over
// with the seal in place (src/lib/server/fiscal/seal.ts: each sale appended to its shop's chain in
// the handover's own transaction), half without, twenty of each in turns on one connection; the
// difference of their CPU (this process and that connection) is what sealing costs an order sold,
// which must stay within 1 ms; and every sealed sale must be in the chain when its handover answered.
//
// Then a day's closing (src/lib/server/fiscal/closings.ts) of one shop with BENCH_FISCAL_CLOSING_ORDERS
// orders of the day (placed, sold and journaled the same way, one in ten paid by card at the counter):
// the wall time of the closing (reading the day's entries, totalling them, signing the closing and
// its technical event), which must stay under 2 s, and of the takings page's read of that day.
//
// Knobs (environment): BENCH_FISCAL_ORDERS (400), BENCH_FISCAL_PER_RUN (20), BENCH_FISCAL_CLOSING_ORDERS (1000),
// BENCH_DATABASE_BASE_URL (postgres://postgres@127.0.0.1:5432).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { BASE_DB, cpuSeconds, dropBenchData, say } from './bench-common.ts';
import { createPool } from '../src/lib/server/kernel/db.ts';
import { placeOrder } from '../src/lib/server/flows/placing.ts';
import { advanceOrder, type StaffActor } from '../src/lib/server/orders/index.ts';
import { publishEvents } from '../src/lib/server/events/events.ts';
import { fiscalKeyFromPem } from '../src/lib/server/fiscal/keys.ts';
import { recordKeyInUse } from '../src/lib/server/fiscal/jet.ts';
import { journalEventsAfter, journalPlace } from '../src/lib/server/fiscal/events.ts';
import { verifyJournal } from '../src/lib/server/fiscal/verify.ts';
import { closeDaysUpTo, dayOfJournal } from '../src/lib/server/fiscal/closings.ts';
import { installSaleSeal } from '../src/lib/server/fiscal/seal.ts';
import { setSaleSeal } from '../src/lib/server/orders/seal.ts';

const ORDERS = Number(process.env.BENCH_FISCAL_ORDERS ?? 400);
const PER_RUN = Number(process.env.BENCH_FISCAL_PER_RUN ?? 20);
const CLOSING_ORDERS = Number(process.env.BENCH_FISCAL_CLOSING_ORDERS ?? 1000);
/** A day's closing of a shop of 1,000 orders must take less (issue 45). */
const CLOSING_BUDGET_MS = 2000;
const EVENTS_PER_ORDER = 4;
/** Handovers of each kind in a row, when with and without the seal are taken in turns. */
const BLOCK = 20;
/** What sealing a sale in its own transaction may cost, in CPU per order sold (issue 55). */
const SEAL_BUDGET_MS = 1;

const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const dbName = `ocpizza_fiscal_${suffix}`;
const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const url = `${BASE_DB}/${dbName}`;
const pool = createPool(url, 4);
const one = createPool(url, 1);
try {
  const { migrate } = await import('../db/migrate-runner.ts');
  const { seed } = await import('../db/seed-data.ts');
  await migrate(url);
  await seed(pool, randomBytes(12).toString('base64url'));
  await pool.query('UPDATE stock SET on_hand = 1000000');
  const shops = (await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id')).rows.map((r) => r.id);
  const first = async (category: string) => (await pool.query<{ id: number }>('SELECT id FROM products WHERE category = $1 ORDER BY id LIMIT 1', [category])).rows[0].id;
  const [pizza, drink] = [await first('pizza'), await first('drink')];
  const staff = async (role: string, shop: number): Promise<StaffActor> => {
    const u = (await pool.query('SELECT id, name FROM users WHERE role = $1 AND pizzeria_id = $2 LIMIT 1', [role, shop])).rows[0];
    return { kind: 'staff', id: u.id, role: role as StaffActor['role'], pizzeriaId: shop, name: u.name };
  };
  const crews = await Promise.all(shops.map(async (shop) => ({ shop, counter: await staff('counter', shop), kitchen: await staff('kitchen', shop) })));
  const key = fiscalKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  await recordKeyInUse(pool, key);
  await pool.query(`INSERT INTO event_cursors (name, last_event_id) SELECT 'fiscal', coalesce(max(id), 0) FROM order_events ON CONFLICT (name) DO UPDATE SET last_event_id = EXCLUDED.last_event_id`);

  /** ORDERS orders placed and taken to the pass (all shops mixed), twenty at a time. */
  const toThePass = async (tag: string) => {
    const ready: { id: string; counter: StaffActor }[] = [];
    for (let i = 0; i < ORDERS; i += 20) {
      ready.push(...await Promise.all(Array.from({ length: Math.min(20, ORDERS - i) }, async (_, j) => {
        const { shop, counter, kitchen } = crews[(i + j) % crews.length];
        const placed = await placeOrder(pool, {
          pizzeriaId: shop, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Bench', phone: `07${tag}${String(i + j).padStart(7, '0')}` },
          items: [{ productId: pizza, quantity: 1 }, { productId: drink, quantity: 1 }], payment: 'on_delivery',
        } as Parameters<typeof placeOrder>[1], counter);
        await advanceOrder(pool, kitchen, placed.order.id, 'preparing');
        await advanceOrder(pool, kitchen, placed.order.id, 'ready');
        return { id: placed.order.id, counter };
      })));
    }
    return ready;
  };
  /** Their handovers paid in cash, one after the other on one connection: the CPU this process and that connection spent, per order. */
  const handOver = async (ready: { id: string; counter: StaffActor }[]) => {
    const pid = (await one.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const n0 = process.cpuUsage();
    const p0 = cpuSeconds(pid);
    for (const o of ready) await advanceOrder(one, o.counter, o.id, 'collected', undefined, { paymentMethod: 'cash' });
    const u = process.cpuUsage(n0);
    return { node: (u.user + u.system) / 1000 / ready.length, pg: (cpuSeconds(pid) - p0) * 1000 / ready.length };
  };
  /**
   * Handovers with and without the seal, taken in turns, BLOCK of each at a time, over the same
   * minutes: what the machine does meanwhile (its caches, the garbage collector, Postgres' own
   * work) weighs on both alike. Which kind goes first alternates from one turn to the next, so that
   * neither always follows the other (a block may pay for the one before it: its garbage collected,
   * its statements' caches displaced). The CPU per order of each.
   */
  const inTurns = async (plain: { id: string; counter: StaffActor }[], sealed: { id: string; counter: StaffActor }[]) => {
    const sum = { plain: { node: 0, pg: 0 }, sealed: { node: 0, pg: 0 } };
    const add = (to: { node: number; pg: number }, by: { node: number; pg: number }, n: number) => { to.node += by.node * n; to.pg += by.pg * n; };
    for (let i = 0, turn = 0; i < Math.max(plain.length, sealed.length); i += BLOCK, turn++) {
      const withoutSeal = async () => add(sum.plain, await handOver(plain.slice(i, i + BLOCK)), plain.slice(i, i + BLOCK).length);
      const withSeal = async () => {
        installSaleSeal(key);
        add(sum.sealed, await handOver(sealed.slice(i, i + BLOCK)), sealed.slice(i, i + BLOCK).length);
        setSaleSeal(null);
      };
      for (const kind of turn % 2 ? [withSeal, withoutSeal] : [withoutSeal, withSeal]) await kind();
    }
    const per = (c: { node: number; pg: number }, n: number) => ({ node: c.node / n, pg: c.pg / n, all: (c.node + c.pg) / n });
    return { plain: per(sum.plain, plain.length), sealed: per(sum.sealed, sealed.length) };
  };

  say(`placing ${ORDERS} orders and taking them to their handover, paid in cash, without the seal (as a script would)...`);
  await handOver(await toThePass('1')); // (its CPU: not what is measured)
  while ((await publishEvents(pool, 1000)).events.length);

  say(`journaling them, ${PER_RUN} orders' events a run...`);
  const backend = (await one.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const node0 = process.cpuUsage();
  const pg0 = cpuSeconds(backend);
  const t0 = Date.now();
  let place = await journalPlace(one);
  let entries = 0;
  // a run as the workers' (which write their place down once a second: after each run of a rush)
  for (;;) {
    const r = await journalEventsAfter(one, key, place, { batch: PER_RUN * EVENTS_PER_ORDER, stopped: () => true });
    if (r.place === place) break;
    place = r.place;
    entries += r.written.length;
  }
  const used = process.cpuUsage(node0);
  const nodeMs = (used.user + used.system) / 1000;
  const pgMs = (cpuSeconds(backend) - pg0) * 1000;
  const report = await verifyJournal(pool);
  say(`${entries} entries written for ${ORDERS} orders in ${((Date.now() - t0) / 1000).toFixed(1)} s; chains ${report.ok ? 'sound' : 'BROKEN'}`);
  say(`CPU per order sold: this process ${(nodeMs / ORDERS).toFixed(2)} ms, its Postgres connection ${(pgMs / ORDERS).toFixed(2)} ms, in all ${((nodeMs + pgMs) / ORDERS).toFixed(2)} ms`);
  if (!report.ok || entries !== ORDERS) process.exitCode = 1;

  // the product's way: each sale sealed in its handover's transaction (src/lib/server/fiscal/seal.ts)
  say(`${2 * ORDERS} more orders to the pass, then handed over, ${BLOCK} without the seal and ${BLOCK} with it in turns...`);
  const [plainReady, sealedReady] = [await toThePass('2'), await toThePass('3')];
  const turns = await inTurns(plainReady, sealedReady);
  const [plainHandover, sealedHandover] = [turns.plain.all, turns.sealed.all];
  const sealedSales = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM fiscal_entries WHERE kind = 'sale' AND order_id = ANY($1)`, [sealedReady.map((o) => o.id)])).rows[0].n;
  const sealMs = sealedHandover - plainHandover;
  say(`a handover's CPU (this process and its Postgres connection): ${plainHandover.toFixed(2)} ms without the seal, ${sealedHandover.toFixed(2)} ms with it: the seal costs ${sealMs.toFixed(2)} ms an order sold (this process ${(turns.sealed.node - turns.plain.node).toFixed(2)}, Postgres ${(turns.sealed.pg - turns.plain.pg).toFixed(2)}) (budget ${SEAL_BUDGET_MS} ms: ${sealMs <= SEAL_BUDGET_MS ? 'yes' : 'NO'}); ${sealedSales} of ${ORDERS} sales in the chain when their handover answered`);
  // the follower still reads those orders' events behind: it finds the sealed ones noted, and
  // journals the others (so its cost here is an upper bound of what it spends behind sealed sales)
  while ((await publishEvents(pool, 1000)).events.length);
  // the pool closes a connection left idle (10 s): the follower's is read again, not the first phase's
  const followerBackend = (await one.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const f0 = process.cpuUsage();
  const fpg0 = cpuSeconds(followerBackend);
  let behind = 0;
  for (;;) {
    const r = await journalEventsAfter(one, key, place, { batch: PER_RUN * EVENTS_PER_ORDER, stopped: () => true });
    if (r.place === place) break;
    place = r.place;
    behind += r.written.length;
  }
  const f = process.cpuUsage(f0);
  const followerMs = ((f.user + f.system) / 1000 + (cpuSeconds(followerBackend) - fpg0) * 1000) / (2 * ORDERS);
  const journalMs = (nodeMs + pgMs) / ORDERS;
  say(`the follower behind them: ${followerMs.toFixed(2)} ms an order, ${behind} entries written (the ${ORDERS} handed over without the seal); the fiscal journal's CPU per order sold: ${journalMs.toFixed(2)} ms followed after the sale, ${(sealMs + followerMs).toFixed(2)} ms sealed in it (the seal and the follower), ${((sealMs + followerMs) / journalMs).toFixed(1)}×`);
  if (sealedSales !== ORDERS || behind !== ORDERS || sealMs > SEAL_BUDGET_MS || !(await verifyJournal(pool)).ok) process.exitCode = 1;

  // a day's closing of one shop with CLOSING_ORDERS orders of the day
  const { shop, counter, kitchen } = crews[0];
  say(`placing ${CLOSING_ORDERS} more orders in shop ${shop}, sold and journaled, for its day's closing...`);
  for (let i = 0; i < CLOSING_ORDERS; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, CLOSING_ORDERS - i) }, async (_, j) => {
      const placed = await placeOrder(pool, {
        pizzeriaId: shop, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Bench', phone: `06${String(i + j).padStart(8, '0')}` },
        items: [{ productId: pizza, quantity: 1 }, { productId: drink, quantity: 1 }], payment: 'on_delivery',
      } as Parameters<typeof placeOrder>[1], counter);
      await advanceOrder(pool, kitchen, placed.order.id, 'preparing');
      await advanceOrder(pool, kitchen, placed.order.id, 'ready');
      await advanceOrder(pool, counter, placed.order.id, 'collected', undefined, { paymentMethod: (i + j) % 10 === 0 ? 'card' : 'cash' });
    }));
  }
  while ((await publishEvents(pool, 1000)).events.length);
  for (;;) {
    const r = await journalEventsAfter(one, key, place, { batch: 2000 });
    if (r.place === place) break;
    place = r.place;
  }
  const today = (await pool.query<{ d: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS d`)).rows[0].d;
  const r0 = Date.now();
  const open = await dayOfJournal(pool, shop, today);
  const readMs = Date.now() - r0;
  const c0 = Date.now();
  const closing = await closeDaysUpTo(pool, key, shop, today, { operator: 'system', yearStartMonth: 1 });
  const closeMs = Date.now() - c0;
  const dayClosing = closing.written.find((e) => (e.body as { level: string }).level === 'day');
  const covered = (dayClosing?.body as { covers: { entries: number } } | undefined)?.covers.entries ?? 0;
  say(`a day's closing of shop ${shop}: ${open.totals.ordersSold} orders sold, ${covered} entries, in ${closeMs} ms (under ${CLOSING_BUDGET_MS} ms: ${closeMs < CLOSING_BUDGET_MS ? 'yes' : 'NO'}); the takings page's read of that day ${readMs} ms`);
  if (!dayClosing || open.totals.ordersSold < CLOSING_ORDERS || closeMs >= CLOSING_BUDGET_MS || !(await verifyJournal(pool)).ok) process.exitCode = 1;
} finally {
  await one.end();
  await pool.end();
  await dropBenchData(admin, dbName, `ocpizza_fiscal_${suffix}`);
  await admin.end();
}
