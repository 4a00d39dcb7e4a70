// Restarts, with real sockets, Postgres and Redis: the server goes away and comes back while a
// screen is subscribed and orders keep moving; graceful stops within their time limit; and the
// real entry points (server and workers) stopping on SIGTERM.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { io as ioClient } from 'socket.io-client';
import {
  seededProduct,
  Client,
  SHOPS,
  childEnv,
  connectSocket,
  createSideDatabase,
  customer,
  deleteRedisKeys,
  freePort,
  silentLog,
  subscribe,
  testConfig,
  testPool,
  waitUntil,
  type TestSocket,
  publishAll,
} from '../helpers.ts';
import { createApp, type App } from '../../server/app.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { LiveLink } from '../../src/lib/realtime/live-link.ts';
import { advanceOrder, type StaffActor } from '../../src/lib/server/orders/index.ts';
import { placeOrder } from '../../src/lib/server/flows/placing.ts';
import { fileDatabase } from '../file-database.ts';

let pool: pg.Pool;
const coca = seededProduct('coca-cola');
const margherita = seededProduct('margherita');
let savedStock: { pizzeria_id: number; ingredient_id: number; on_hand: number }[];
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  pool = testPool();
  // orders moved here consume a little stock: given back at the end
  savedStock = (await pool.query('SELECT pizzeria_id, ingredient_id, on_hand FROM stock')).rows;
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await pool.query(
    `UPDATE stock s SET on_hand = x.on_hand FROM jsonb_to_recordset($1::jsonb) AS x(pizzeria_id int, ingredient_id int, on_hand int)
     WHERE s.pizzeria_id = x.pizzeria_id AND s.ingredient_id = x.ingredient_id AND s.on_hand <> x.on_hand`,
    [JSON.stringify(savedStock)],
  );
  await pool.end();
});

async function staff(email: string): Promise<StaffActor> {
  const { rows } = await pool.query('SELECT id, role, pizzeria_id, name FROM users WHERE email = $1', [email]);
  return { kind: 'staff', id: rows[0].id, role: rows[0].role, pizzeriaId: rows[0].pizzeria_id, name: rows[0].name };
}

const lastEventIdInDb = async () => Number((await pool.query('SELECT coalesce(max(id), 0) AS n FROM order_events')).rows[0].n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startApp(port: number, overrides: Record<string, string> = {}) {
  const app = await createApp({ config: testConfig(overrides), log: silentLog });
  await app.listen(port, '127.0.0.1');
  return app;
}

/** Keeps orders moving through the services (as the API and workers would) until stopped. */
function keepOrdersMoving(actors: { counter: StaffActor; kitchen: StaffActor; canalCounter: StaffActor }) {
  let stop = false;
  let cycles = 0;
  const errors: unknown[] = [];
  const pickup = (shop: number, productId: number) => ({
    pizzeriaId: shop,
    channel: 'counter' as const,
    fulfilment: 'pickup' as const,
    customer,
    items: [{ productId, quantity: 1 }],
    payment: 'on_delivery' as const,
  });
  const done = (async () => {
    while (!stop) {
      try {
        const n = cycles++;
        // a ticket that is made and collected, one that is cancelled, and noise from another shop
        const made = await placeOrder(pool, pickup(SHOPS.bastille, coca), actors.counter);
        const dropped = await placeOrder(pool, pickup(SHOPS.bastille, margherita), actors.counter);
        await advanceOrder(pool, actors.kitchen, made.order.id, 'preparing');
        const other = await placeOrder(pool, pickup(SHOPS.canal, margherita), actors.canalCounter);
        await advanceOrder(pool, actors.counter, dropped.order.id, 'cancelled');
        await advanceOrder(pool, actors.kitchen, made.order.id, 'ready');
        await advanceOrder(pool, actors.canalCounter, other.order.id, 'cancelled');
        await advanceOrder(pool, actors.kitchen, made.order.id, 'collected', undefined, { paymentMethod: 'cash' });
        if (n % 3 === 0) await sleep(5);
      } catch (err) {
        errors.push(err);
        stop = true;
      }
    }
  })();
  return {
    get cycles() {
      return cycles;
    },
    errors,
    async stop() {
      stop = true;
      await done;
    },
  };
}

describe('a restart while screens are live', () => {
  it('the server restarts while a kitchen screen is subscribed and orders keep moving: the screen is told, reconnects by itself and ends up with every event of its shop exactly once and in order, without a gap', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let app: App = await startApp(port, { SHUTDOWN_TIMEOUT_MS: '5000' });
    cleanups.push(() => app.close());
    const login = await new Client(base).login('kitchen.bastille@ocpizza.test');
    const actors = {
      counter: await staff('counter.bastille@ocpizza.test'),
      kitchen: await staff('kitchen.bastille@ocpizza.test'),
      canalCounter: await staff('counter.canal@ocpizza.test'),
    };

    // the screen: the pages' own live link (src/lib/realtime/live-link.ts) on a real socket
    const start = await lastEventIdInDb();
    const received: OrderUpdated[] = [];
    const acks: string[] = [];
    const resyncs: number[] = [];
    const disconnects: string[] = [];
    let restarting = 0;
    let connects = 0;
    const screen: TestSocket = ioClient(base, {
      transports: ['websocket'],
      extraHeaders: { cookie: login.cookie },
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
    });
    const link = new LiveLink(screen, {
      subscription: { scope: 'kitchen' },
      lastEventId: start,
      onEvent: (e) => received.push(e),
      onResync: async () => (resyncs.push(Date.now()), lastEventIdInDb()),
      onStatus: (status, error) => {
        if (status === 'live' || status === 'refused') acks.push(error ?? status);
      },
      comebackDelayMs: () => 100,
    });
    cleanups.push(() => link.close());
    screen.on('connect', () => connects++);
    screen.on('server:restarting', () => restarting++);
    screen.on('disconnect', (reason) => disconnects.push(reason));
    await waitUntil(() => acks.length === 1, 5000, 'the first subscription');

    const mover = keepOrdersMoving(actors);
    try {
      await waitUntil(() => received.length >= 20, 10_000, 'events before the restart');

      // server A stops while orders keep moving
      const t0 = Date.now();
      await app.close();
      const closeMs = Date.now() - t0;
      expect(closeMs).toBeLessThan(5000);
      expect(restarting).toBe(1);
      await waitUntil(() => disconnects.length === 1, 5000, 'the screen to notice');
      // a transport close, not a server-side disconnect: socket.io-client reconnects by itself
      expect(disconnects[0]).toBe('transport close');
      const seenBeforeRestart = received.length;
      const cyclesAtStop = mover.cycles;
      await waitUntil(() => mover.cycles >= cyclesAtStop + 3, 10_000, 'orders moving while no server listens');

      // server B on the same port: the screen comes back without being told to
      app = await startApp(port, { SHUTDOWN_TIMEOUT_MS: '5000' });
      await waitUntil(() => acks.length === 2, 10_000, 'the screen to reconnect and subscribe again');
      expect(connects).toBe(2);
      const cyclesAtReconnect = mover.cycles;
      await waitUntil(() => mover.cycles >= cyclesAtReconnect + 5, 10_000, 'orders moving after the restart');
      expect(received.length).toBeGreaterThan(seenBeforeRestart);
    } finally {
      await mover.stop();
    }
    expect(mover.errors).toEqual([]);

    // every event of the shop stored after the screen's starting point reaches it
    await publishAll(pool);
    const stored = (await pool.query('SELECT id FROM order_events WHERE pizzeria_id = $1 AND id > $2 ORDER BY id', [SHOPS.bastille, start])).rows.map((r) => Number(r.id));
    expect(stored.length).toBeGreaterThan(40);
    await waitUntil(() => received.some((e) => e.eventId === stored.at(-1)), 10_000, 'the last event to arrive');
    await sleep(200);
    expect(acks).toEqual(['live', 'live']); // subscribed twice, never refused
    expect(resyncs).toEqual([]); // and never told to reload: the gap was replayed
    // no gap, nothing of another shop, each once and in order (replay and live never interleave)
    expect(received.map((e) => e.eventId)).toEqual(stored);
    expect(received.every((e) => e.order.pizzeriaId === SHOPS.bastille)).toBe(true);

    // applied by version, as the screen's OrderBoard does: each order's versions in order, each once, up to its last
    const board = new Map<string, number>();
    const applied = new Map<string, number[]>();
    for (const e of received) {
      const current = board.get(e.order.id) ?? 0;
      if (e.order.version <= current) continue; // a repeat (replay and live overlap): dropped
      board.set(e.order.id, e.order.version);
      applied.set(e.order.id, [...(applied.get(e.order.id) ?? []), e.order.version]);
    }
    const { rows: finals } = await pool.query(
      `SELECT order_id, array_agg((payload->>'version')::int ORDER BY id) AS versions FROM order_events
       WHERE pizzeria_id = $1 AND id > $2 GROUP BY order_id`,
      [SHOPS.bastille, start],
    );
    expect(finals.length).toBeGreaterThan(10);
    for (const f of finals) expect(applied.get(f.order_id), `order ${f.order_id}`).toEqual(f.versions);
  });

  it('a screen is told of the restart even when its connection is busy sending something else at that moment', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = await startApp(port);
    const kitchen = await new Client(base).login('kitchen.montparnasse@ocpizza.test');
    const socket = await connectSocket(base, { cookie: kitchen.cookie });
    cleanups.push(() => socket.close());
    expect(await subscribe(socket, { scope: 'kitchen' })).toMatchObject({ data: {} });
    const got: string[] = [];
    socket.on('menu:availability', () => got.push('menu'));
    socket.on('server:restarting', () => got.push('restarting'));
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    // something goes out to every screen in the very tick the stop begins (a relayed event, a menu refresh)
    // (this hub's own sockets, as the relay and the menu refresh emit)
    app.hub.io.local.emit('menu:availability', { pizzeriaId: SHOPS.montparnasse, revision: 1, products: [] });
    await app.close();
    expect(await gone).toBe('transport close');
    await waitUntil(() => got.length === 2, 2000, 'both messages');
    expect(got).toEqual(['menu', 'restarting']);
  });

  it('once close() began, /readyz answers 503 with accepting=false on a request already on its way', async () => {
    const port = await freePort();
    const app = await startApp(port);
    // a request whose headers are still arriving when the stop begins
    const conn = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((resolve) => conn.once('connect', () => resolve()));
    let response = '';
    conn.on('data', (d) => (response += d));
    const ended = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    conn.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(100);
    const closing = app.close(3000);
    await sleep(50);
    conn.write('\r\n');
    const t0 = Date.now();
    await ended;
    await closing;
    // the connection closes after its response: the stop does not wait for the forced close
    expect(Date.now() - t0).toBeLessThan(1000);
    const [head, body] = response.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503/);
    expect(head).toMatch(/^connection: close$/im);
    const json = JSON.parse(body.trim().startsWith('{') ? body : body.split('\r\n')[1]);
    expect(json).toMatchObject({ status: 'not_ready', checks: { accepting: false } });
    // and nobody new gets in
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('close() finishes within SHUTDOWN_TIMEOUT_MS even with a socket connected and a request that never ends', async () => {
    const port = await freePort();
    const timeoutMs = 1500;
    const app = await startApp(port, { SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
    const base = `http://127.0.0.1:${port}`;
    const kitchen = await new Client(base).login('kitchen.canal@ocpizza.test');
    const socket = await connectSocket(base, { cookie: kitchen.cookie });
    cleanups.push(() => socket.close());
    expect(await subscribe(socket, { scope: 'kitchen' })).toMatchObject({ data: {} });
    let told = false;
    socket.on('server:restarting', () => (told = true));
    // a client that started a request and went silent
    const stuck = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
    stuck.write('POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"pizz');
    const stuckClosed = new Promise<void>((resolve) => stuck.once('close', () => resolve()));
    await sleep(100);

    const t0 = Date.now();
    await app.close(); // the configured SHUTDOWN_TIMEOUT_MS
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(timeoutMs + 500);
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 50); // it did wait for the request, up to the limit
    await stuckClosed;
    await waitUntil(() => told, 2000, "the socket to be told");
  });
});

describe('the real entry points on SIGTERM', () => {
  function spawnEntry(entry: string, env: Record<string, string>) {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: process.cwd(), env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d) => (out.stdout += d));
    child.stderr!.on('data', (d) => (out.stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    return { child, out, exited };
  }
  const logs = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; level: number; [k: string]: unknown });

  it('the server (server/index.ts) tells its sockets, stops within SHUTDOWN_TIMEOUT_MS and exits 0, logging that it stops', async () => {
    // the entry point serves the built pages too: `npm test` builds them first
    expect(existsSync(join(process.cwd(), 'build', 'handler.js')), 'build/handler.js is missing: run `npm run build`').toBe(true);
    const port = await freePort();
    const timeoutMs = 4000;
    const base = `http://127.0.0.1:${port}`;
    const server = spawnEntry('server/index.ts', {
      NODE_ENV: 'test',
      DATABASE_URL: fileDatabase().databaseUrl,
      QUEUE_PREFIX: fileDatabase().queuePrefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DEMO_PASSWORD: inject('demoPassword'),
      SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
    });
    await waitUntil(
      async () => server.child.exitCode !== null || (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)),
      30_000,
      'the server to listen',
    );
    expect(server.child.exitCode, server.out.stderr).toBeNull();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // it serves the pages as well as the API
    expect((await fetch(`${base}/`)).status).toBe(200);

    const kitchen = await new Client(base).login('kitchen.bastille@ocpizza.test');
    const socket = await connectSocket(base, { cookie: kitchen.cookie });
    cleanups.push(() => socket.close());
    socket.io.reconnection(false);
    expect(await subscribe(socket, { scope: 'kitchen' })).toMatchObject({ data: {} });
    let told = false;
    let disconnected = '';
    socket.on('server:restarting', () => (told = true));
    socket.on('disconnect', (reason) => (disconnected = reason));

    const t0 = Date.now();
    server.child.kill('SIGTERM');
    const { code, signal, at } = await server.exited;
    expect({ code, signal }, server.out.stderr).toEqual({ code: 0, signal: null });
    expect(at - t0).toBeLessThan(timeoutMs);
    await waitUntil(() => disconnected, 2000, 'the socket to be disconnected');
    expect(told).toBe(true);
    expect(disconnected).toBe('transport close');

    const lines = logs(server.out.stdout);
    expect(lines.find((l) => /^OC Pizza Live listening/.test(l.msg))).toMatchObject({ port });
    expect(lines.find((l) => /stopping/.test(l.msg))).toMatchObject({ signal: 'SIGTERM', timeoutMs });
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]); // no error logged on the way out
  });

  it('the workers (workers/index.ts) stop on SIGTERM within SHUTDOWN_TIMEOUT_MS and exit 0', async () => {
    // their own database: the event reactor would otherwise react to the shared one's history
    const side = await createSideDatabase('workers_sigterm', { migrate: true });
    cleanups.push(() => side.drop());
    const prefix = `${fileDatabase().queuePrefix}_sigterm`;
    cleanups.push(() => deleteRedisKeys(prefix));
    const timeoutMs = 3000;
    const workers = spawnEntry('workers/index.ts', {
      NODE_ENV: 'test',
      DATABASE_URL: side.url,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
    });
    await waitUntil(() => workers.child.exitCode !== null || workers.out.stdout.includes('workers started'), 30_000, 'the workers to start');
    expect(workers.child.exitCode, workers.out.stderr).toBeNull();

    const t0 = Date.now();
    workers.child.kill('SIGTERM');
    const { code, signal, at } = await workers.exited;
    expect({ code, signal }, workers.out.stderr).toEqual({ code: 0, signal: null });
    expect(at - t0).toBeLessThan(timeoutMs + 2000);
    const lines = logs(workers.out.stdout);
    expect(lines.find((l) => /stopping workers/.test(l.msg))).toMatchObject({ signal: 'SIGTERM' });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
