// How the event reactor's work spreads over workers processes (workers/event-partitions.ts).
//
//   npx tsx scripts/bench-partitions.ts        (BENCH_EVENTS, default 20,000)
//
// Its own database (migrated, seeded, 16 shops: one per partition), the built workers (dist/). For
// one workers process, then two: the processes start and share the partitions (8 + 8), then a burst
// of BENCH_EVENTS order events (copies of real orders' events: placed, started, ready, collected,
// over every shop) is published at once, and each process reacts to its partitions' share: jobs
// queued again under their ids, texts claimed once. It prints, for each process, the events it
// reacted to, how long it took (from the publish until its partitions' places reached their last
// events; places are written down every second, so within a second), events a second, and its CPU
// per event (from /proc). On a 2-core machine with Postgres and Redis beside them, two processes
// show the work shared, not twice the speed.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { BASE_DB, REDIS_URL, cpuSeconds, dropBenchData, ensureBuilt, say, sleep } from './bench-common.ts';
import { projectEnv, startNode, stop } from './bench-rush-common.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const dbName = `ocpizza_bench_parts_${process.pid}`;
const dbUrl = `${BASE_DB}/${dbName}`;
const queuePrefix = `bench_parts_${process.pid}`;
const password = randomBytes(9).toString('base64url');

/** Partition holders now: Postgres backend pid → partitions held. */
async function holders(pool: pg.Pool): Promise<Map<number, number[]>> {
  const { rows } = await pool.query<{ pid: number; parts: number[] }>(
    `SELECT l.pid, array_agg(p ORDER BY p) AS parts FROM pg_locks l
       CROSS JOIN generate_series(0, 15) p
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 7242011 AND l.objsubid = 2
        AND l.objid = hashtext('ocpizza-reactor:' || $1 || ':' || p)::oid
      GROUP BY l.pid`,
    [queuePrefix],
  );
  return new Map(rows.map((r) => [r.pid, r.parts]));
}

/** A burst: copies of the seeded orders' events, spread over every shop, written to the inbox and published. */
async function burst(pool: pg.Pool): Promise<Map<number, { count: number; last: number }>> {
  await pool.query(
    `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload)
     SELECT e.order_id, e.pizzeria_id, e.driver_id, e.type, 'bench', e.payload
     FROM generate_series(1, $1) n
     JOIN (SELECT *, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS of FROM order_events WHERE actor <> 'bench') e ON e.k = n % e.of`,
    [EVENTS],
  );
  for (;;) {
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM publish_order_events(5000)');
    if (rows[0].n < 5000) break;
  }
  const { rows } = await pool.query<{ part: number; count: number; last: number }>(
    `SELECT order_event_part(pizzeria_id) AS part, count(*)::int AS count, max(id) AS last FROM order_events WHERE actor = 'bench' AND id > (SELECT coalesce(max(last_event_id), 0) FROM event_cursors WHERE name LIKE 'workers:%') GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.part, { count: r.count, last: Number(r.last) }]));
}

async function places(pool: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ name: string; last_event_id: string }>(`SELECT name, last_event_id FROM event_cursors WHERE name LIKE 'workers:%'`);
  return new Map(rows.map((r) => [Number(r.name.split(':')[1]), Number(r.last_event_id)]));
}

async function run(pool: pg.Pool, processes: number) {
  const env = { ...projectEnv({ dbUrl, queuePrefix, password, redisUrl: REDIS_URL }), MESSAGES_PER_DESTINATION_PER_HOUR: '100000000' };
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      children.push(startNode(['dist/workers/index.js'], env, `workers ${i + 1}`));
      await sleep(500);
    }
    // shared evenly before the burst
    const want = Array.from({ length: processes }, () => 16 / processes).join();
    for (let t = 0; ; t++) {
      const h = await holders(pool);
      if ([...h.values()].map((p) => p.length).sort().join() === want && h.size === processes) break;
      if (t > 1200) throw new Error('the partitions were not shared within 2 minutes');
      await sleep(100);
    }
    await sleep(1500);
    const held = await holders(pool);
    const cpu0 = children.map((c) => cpuSeconds(c.pid!));
    const t0 = Date.now();
    const events = await burst(pool);
    const done = new Map<number, number>();
    while (done.size < held.size) {
      const at = await places(pool);
      for (const [pid, parts] of held) {
        if (!done.has(pid) && parts.every((p) => !events.has(p) || at.get(p)! >= events.get(p)!.last)) done.set(pid, Date.now() - t0);
      }
      if (Date.now() - t0 > 300_000) throw new Error('the reactors did not catch up within 5 minutes');
      await sleep(100);
    }
    const cpu = children.map((c, i) => cpuSeconds(c.pid!) - cpu0[i]);
    const rows = [...held].map(([pid, parts], i) => {
      const n = parts.reduce((s, p) => s + (events.get(p)?.count ?? 0), 0);
      const ms = done.get(pid)!;
      return { pid, parts: parts.length, n, ms, i };
    });
    const cpuSum = cpu.reduce((a, b) => a + b, 0);
    say(`${processes} workers process${processes > 1 ? 'es' : ''}: ${EVENTS} events`);
    for (const r of rows) say(`  process (backend ${r.pid}): ${r.parts} partitions, ${r.n} events reacted to in ${(r.ms / 1000).toFixed(1)} s: ${Math.round((r.n / r.ms) * 1000)} events/s`);
    const slowest = Math.max(...rows.map((r) => r.ms));
    say(`  all: ${Math.round((EVENTS / slowest) * 1000)} events/s; workers CPU ${cpu.map((c) => c.toFixed(1)).join(' + ')} s = ${((cpuSum * 1000) / EVENTS).toFixed(2)} ms per event`);
  } finally {
    for (const c of children) await stop(c);
  }
}

/** Pickup orders at the seeded shops' counters, placed, started, made and collected: real events to copy. */
async function placeSomeOrders(pool: pg.Pool) {
  Object.assign(process.env, projectEnv({ dbUrl, queuePrefix, password, redisUrl: REDIS_URL }));
  const { placeOrder } = await import('../src/lib/server/flows/placing.ts');
  const { advanceOrder, publishEvents } = { ...(await import('../src/lib/server/orders/index.ts')), ...(await import('../src/lib/server/events/events.ts')) };
  const { rows: product } = await pool.query(`SELECT id FROM products WHERE slug = 'coca-cola'`);
  for (const shop of ['bastille', 'montmartre', 'batignolles', 'montparnasse', 'canal']) {
    const actor = async (who: string) => {
      const { rows } = await pool.query('SELECT id, role, pizzeria_id, name FROM users WHERE email = $1', [`${who}.${shop}@ocpizza.test`]);
      return { kind: 'staff' as const, id: rows[0].id, role: rows[0].role, pizzeriaId: rows[0].pizzeria_id, name: rows[0].name };
    };
    const [counter, kitchen] = [await actor('counter'), await actor('kitchen')];
    for (let i = 0; i < 8; i++) {
      const placed = await placeOrder(pool, {
        pizzeriaId: counter.pizzeriaId, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Camille', phone: `06 ${10 + i} 00 00 0${i}` },
        items: [{ productId: product[0].id, quantity: 1 }], payment: 'on_delivery',
      }, counter);
      await advanceOrder(pool, kitchen, placed.order.id, 'preparing');
      await advanceOrder(pool, kitchen, placed.order.id, 'ready');
      await advanceOrder(pool, counter, placed.order.id, 'collected', undefined, { paymentMethod: 'cash' });
    }
  }
  await publishEvents(pool, 100_000);
}

ensureBuilt();
const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
try {
  const { migrate } = await import('../db/migrate-runner.ts');
  const { seed } = await import('../db/seed-data.ts');
  await migrate(dbUrl);
  await seed(pool, password);
  // 16 shops, one per partition: the seeded five and eleven more
  await pool.query(
    `INSERT INTO pizzerias (slug, name, address, lat, lng) SELECT 'bench-' || n, 'OC Pizza bench ' || n, '1 rue de Test, 75011 Paris', 48.86, 2.37 FROM generate_series(6, 16) n`,
  );
  await placeSomeOrders(pool);
  // those orders' events, spread over shops of every partition: what the burst copies
  await pool.query(`UPDATE order_events SET pizzeria_id = 1 + (id % 16)`);
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM order_events');
  say(`${rows[0].n} events of real orders to copy`);
  await pool.query(`UPDATE event_cursors SET last_event_id = (SELECT max(id) FROM order_events) WHERE name LIKE 'workers:%'`);
  await run(pool, 1);
  await run(pool, 2);
} finally {
  await pool.end();
  await dropBenchData(admin, dbName, queuePrefix);
  await admin.end();
}
