// The shops' event partitions shared by two real workers processes (workers/event-partitions.ts):
// each takes half of them; one is killed -9 mid-evening, and the other takes its partitions over
// within seconds, from their written places; every order's text is sent, and sent once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { childEnv, createShop, customer, deleteRedisKeys, seededProduct, testPool, userId, waitUntil, workersStartFromNow } from '../helpers.ts';
import { placeOrder } from '../../src/lib/server/flows/placing.ts';
import { advanceOrder, type StaffActor } from '../../src/lib/server/orders/index.ts';
import { EVENT_PARTITIONS, partitionOf } from '../../src/lib/server/events/events.ts';
import { fileDatabase } from '../file-database.ts';

let pool: pg.Pool;
const prefix = `${fileDatabase().queuePrefix}_parts`;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
const margherita = seededProduct('margherita');

beforeAll(async () => {
  pool = testPool();
  // the processes react from now on: what the template holds is not theirs
  await workersStartFromNow(pool);
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await deleteRedisKeys(prefix);
  await pool.end();
});

interface Proc {
  child: ReturnType<typeof spawn>;
  out: { stdout: string };
  exited: Promise<unknown>;
}

function startWorkersProcess(): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
    cwd: process.cwd(),
    env: childEnv({ NODE_ENV: 'test', DATABASE_URL: fileDatabase().databaseUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '3000' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '' };
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', () => undefined);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return { child, out, exited };
}

/** The texts a process says it sent (no SMS provider in tests: each is logged), by phone number. */
function textsTo(procs: Proc[]): Map<string, number> {
  const sent = new Map<string, number>();
  for (const p of procs) {
    for (const line of p.out.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const l = JSON.parse(line) as { msg: string; to?: string };
      if (l.msg.startsWith('SMS not sent') && l.to) sent.set(l.to, (sent.get(l.to) ?? 0) + 1);
    }
  }
  return sent;
}

/** The partitions held, by Postgres backend (one per workers process). */
async function holders(): Promise<number[]> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 7242011 AND objsubid = 2
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY pid ORDER BY n DESC`,
  );
  return rows.map((r) => r.n);
}

async function staff(email: string): Promise<StaffActor> {
  const { rows } = await pool.query('SELECT id, role, pizzeria_id, name FROM users WHERE email = $1', [email]);
  return { kind: 'staff', id: rows[0].id, role: rows[0].role, pizzeriaId: rows[0].pizzeria_id, name: rows[0].name };
}

describe('two workers processes share the shops’ partitions', () => {
  it('each reacts to half of the partitions; one killed -9, the other takes its partitions over within seconds, and every text is sent once', async () => {
    // shops in several partitions, each with a counter taking phone orders
    const shops = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => createShop(pool, `parts${i}`)));
    expect(new Set(shops.map((s) => partitionOf(s.id))).size).toBeGreaterThan(1);
    const counters = await Promise.all(shops.map((s) => staff(s.email('counter'))));
    expect(await userId(pool, shops[0].email('kitchen'))).toBeGreaterThan(0);
    let n = 0;
    const phones: string[] = [];
    const place = async (i: number) => {
      const k = n++;
      // each in a range of its own: texts are limited per range of numbers (sms-limits.ts)
      const kk = String(k).padStart(2, '0');
      phones.push(`+336${kk}000000`);
      const phone = `06 ${kk} 00 00 00`;
      const placed = await placeOrder(pool, {
        pizzeriaId: shops[i].id, channel: 'counter', fulfilment: 'pickup', customer: { ...customer, phone },
        items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
      }, counters[i]);
      await advanceOrder(pool, await staff(shops[i].email('kitchen')), placed.order.id, 'preparing');
    };

    const a = startWorkersProcess();
    const b = startWorkersProcess();
    await waitUntil(() => [a, b].every((p) => p.out.stdout.includes('workers started')), 60_000, 'both workers processes to start');
    // shared: half each (the first took them all, and handed half over to the second)
    await waitUntil(async () => (await holders()).join() === `${EVENT_PARTITIONS / 2},${EVENT_PARTITIONS / 2}`, 15_000, 'the partitions shared half and half');

    // an evening: orders in every shop, a text for each as it is received
    for (let round = 0; round < 3; round++) for (let i = 0; i < shops.length; i++) await place(i);
    await waitUntil(() => phones.every((p) => textsTo([a, b]).get(p)), 20_000, 'the texts of the first orders');

    // one process dies mid-evening, orders still coming
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await a.exited;
    const placing = (async () => {
      for (let round = 0; round < 3; round++) for (let i = 0; i < shops.length; i++) await place(i);
    })();
    await waitUntil(async () => (await holders()).join() === `${EVENT_PARTITIONS}`, 10_000, 'the other process to take every partition');
    const takeoverMs = Date.now() - killedAt;
    await placing;
    await waitUntil(() => phones.every((p) => textsTo([a, b]).get(p)), 20_000, 'every text, after the kill');
    // a moment more for any text sent twice (an event reacted to again after the takeover)
    await new Promise((r) => setTimeout(r, 1500));
    const texts = textsTo([a, b]);
    console.log(`partitions: ${EVENT_PARTITIONS / 2} + ${EVENT_PARTITIONS / 2} over two processes; one killed -9, its partitions taken over after ${takeoverMs} ms; ${phones.length} orders, ${[...texts.values()].reduce((x, y) => x + y, 0)} texts`);
    expect(takeoverMs).toBeLessThan(10_000);
    expect(phones.filter((p) => texts.get(p) !== 1)).toEqual([]);
    // each partition's place is past its shops' last events
    const { rows } = await pool.query<{ behind: number }>(
      `SELECT count(*)::int AS behind FROM pizzerias p
         JOIN event_cursors c ON c.name = 'workers:' || order_event_part(p.id)
        WHERE p.id = ANY($1) AND c.last_event_id < (SELECT max(id) FROM order_events e WHERE e.pizzeria_id = p.id)`,
      [shops.map((s) => s.id)],
    );
    expect(rows[0].behind).toBe(0);
  }, 120_000);
});
