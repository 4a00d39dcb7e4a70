// Monitoring and running behind a balancer, against real Postgres, Redis and Socket.io: the metrics,
// request ids, the operations socket scope, serving while Redis is away, a guarded /metrics, and
// draining before a stop. No mocks.
import { describe, expect, it } from 'vitest';
import {
  seededProduct,
  Client,
  SHOPS,
  collect,
  connectSocket,
  customer,
  parsePrometheus,
  samplesOf,
  startTestApp,
  subscribe,
  testPool,
  waitUntil,
  move,
} from '../helpers.ts';
import type { SystemStatus } from '../../src/lib/shapes/views.ts';
import { useOperations } from '../operations.ts';
import { QUEUES } from '../../src/lib/server/kernel/queues.ts';
import { fileDatabase } from '../file-database.ts';

const { stack, openSockets, socketAs, metrics, metricValue, placePickup } = useOperations();

describe('monitoring', () => {
  it('GET /metrics is Prometheus text with request durations by route and status, sockets by role, relayed events and their lag, queue jobs, orders and pending migrations', async () => {
    const kitchen = await socketAs('kitchen.batignolles@ocpizza.test');
    const seen = collect(kitchen.socket);
    expect(await subscribe(kitchen.socket, { scope: 'kitchen' })).toMatchObject({ data: {} });
    const relayedBefore = samplesOf(await metrics(), 'ocpizza_events_relayed_total', { type: 'order.status' })[0]?.value ?? 0;
    const lagCountBefore = samplesOf(await metrics(), 'ocpizza_relay_lag_seconds_count')[0]?.value ?? 0;

    const placed = await placePickup(SHOPS.batignolles);
    await move(kitchen.client, placed.id, 'preparing');
    await seen.waitFor((e) => e.order.id === placed.id && e.order.status === 'preparing');

    const m = await metrics();
    const posted = samplesOf(m, 'ocpizza_http_request_duration_seconds_count', { method: 'POST', route: '/api/orders', status: '201' });
    expect(posted).toHaveLength(1);
    expect(posted[0].value).toBeGreaterThanOrEqual(1);
    expect(samplesOf(m, 'ocpizza_http_request_duration_seconds_bucket', { route: '/api/orders', status: '201', le: '+Inf' })[0].value).toBe(posted[0].value);
    // the route label is the route, not the URL: no order id in any label
    const routes = new Set(samplesOf(m, 'ocpizza_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect(routes).toContain('/api/orders/:id/status');
    expect([...routes].some((r) => r.includes(placed.id))).toBe(false);

    expect(samplesOf(m, 'ocpizza_sockets_connected', { role: 'kitchen' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(samplesOf(m, 'ocpizza_events_relayed_total', { type: 'order.status' })[0].value).toBeGreaterThan(relayedBefore);
    expect(samplesOf(m, 'ocpizza_relay_lag_seconds_count')[0].value).toBeGreaterThan(lagCountBefore);
    for (const queue of ['payments', 'prep-timers', 'dispatch', 'maintenance', 'notifications', 'printing']) {
      const failed = samplesOf(m, 'ocpizza_queue_jobs', { queue, state: 'failed' });
      expect(failed, queue).toHaveLength(1);
      expect(Number.isFinite(failed[0].value)).toBe(true);
    }
    expect(samplesOf(m, 'ocpizza_orders', { pizzeria: 'batignolles', status: 'preparing' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(samplesOf(m, 'ocpizza_schema_pending_migrations')[0].value).toBe(0);
    expect(samplesOf(m, 'ocpizza_events_unpublished')[0].value).toBeGreaterThanOrEqual(0);
    expect(samplesOf(m, 'ocpizza_process_cpu_seconds_total')).toHaveLength(1); // default process metrics, prefixed

    // the socket leaves: the gauge follows
    const kitchensBefore = samplesOf(m, 'ocpizza_sockets_connected', { role: 'kitchen' })[0].value;
    kitchen.socket.disconnect();
    await waitUntil(async () => ((await metricValue('ocpizza_sockets_connected', { role: 'kitchen' })) ?? 0) < kitchensBefore, 5000, 'the socket gauge to drop');

    await move(kitchen.client, placed.id, 'ready');
    await move(kitchen.client, placed.id, 'collected');
  });

  it('echoes the x-request-id a client sends in the response header and in an error body, and makes one up otherwise', async () => {
    const bad = { pizzeriaId: SHOPS.bastille, fulfilment: 'pickup', items: [] };
    const given = await fetch(`${stack.base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'support-ticket-42.a' },
      body: JSON.stringify(bad),
    });
    expect(given.status).toBe(422);
    expect(given.headers.get('x-request-id')).toBe('support-ticket-42.a');
    expect((await given.json()).error).toMatchObject({ code: expect.any(String), requestId: 'support-ticket-42.a' });

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const headers of [{}, { 'x-request-id': 'no spaces allowed; nor this' }, { 'x-request-id': 'x'.repeat(65) }] as Record<string, string>[]) {
      const res = await fetch(`${stack.base}/api/orders/00000000-0000-0000-0000-000000000000`, { headers });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(uuid);
      expect((await res.json()).error.requestId).toBe(id);
    }
    // two requests, two ids; a success carries one too
    const a = await fetch(`${stack.base}/api/pizzerias`);
    const b = await fetch(`${stack.base}/api/pizzerias`);
    expect(a.headers.get('x-request-id')).toMatch(uuid);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it("the 'system' scope: head office sees every connected screen with its shop and connection time, the queues and the relay; a manager only their shop's screens; a kitchen is refused", async () => {
    const t0 = Date.now();
    const bastilleKitchen = await socketAs('kitchen.bastille@ocpizza.test');
    expect(await subscribe(bastilleKitchen.socket, { scope: 'kitchen' })).toMatchObject({ data: {} });
    const canalKitchen = await socketAs('kitchen.canal@ocpizza.test');
    expect(await subscribe(canalKitchen.socket, { scope: 'kitchen' })).toMatchObject({ data: {} });

    const statusOf = async (email: string) => {
      const { socket } = await socketAs(email);
      const next = new Promise<SystemStatus>((resolve) => socket.once('system:status', resolve));
      const ack = await subscribe(socket, { scope: 'system' });
      return { ack, status: await next };
    };
    const { rows } = await stack.pool.query('SELECT coalesce(max(id), 0)::int AS last FROM order_events');

    const admin = await statusOf('admin@ocpizza.test');
    expect(admin.ack).toEqual({ data: { lastEventId: rows[0].last } });
    const mine = admin.status.screens.find((s) => s.socketId === bastilleKitchen.socket.id);
    expect(mine).toMatchObject({ role: 'kitchen', pizzeriaId: SHOPS.bastille, scopes: ['kitchen'], name: expect.any(String) });
    expect(Date.parse(mine!.connectedAt)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(Date.parse(mine!.connectedAt)).toBeLessThanOrEqual(Date.now());
    expect(admin.status.screens.some((s) => s.socketId === canalKitchen.socket.id && s.pizzeriaId === SHOPS.canal)).toBe(true);
    // staff watching the operations page are not screens
    expect(admin.status.screens.every((s) => s.role !== 'admin' && s.role !== 'manager')).toBe(true);
    // every queue of the queue map, the delivery platforms' included
    expect(admin.status.queues.map((q) => q.name).sort()).toEqual(Object.values(QUEUES).sort());
    expect(admin.status.queues.map((q) => q.name)).toContain('marketplaces');
    for (const q of admin.status.queues) expect(q).toEqual({ name: q.name, waiting: expect.any(Number), active: expect.any(Number), delayed: expect.any(Number), failed: expect.any(Number) });
    expect(admin.status.relay).toMatchObject({ listening: true, lastEventId: rows[0].last });
    expect(admin.status.hub.pid).toBe(process.pid);
    expect(admin.status).toHaveProperty('backup'); // null until a first backup; the backup tests above cover its content

    const manager = await statusOf('manager.bastille@ocpizza.test');
    expect(manager.ack).toMatchObject({ data: {} });
    expect(manager.status.screens.some((s) => s.socketId === bastilleKitchen.socket.id)).toBe(true);
    expect(manager.status.screens.every((s) => s.pizzeriaId === SHOPS.bastille)).toBe(true);

    const { socket: kitchenWatcher } = await socketAs('kitchen.montmartre@ocpizza.test');
    let leaked = 0;
    kitchenWatcher.on('system:status', () => leaked++);
    expect(await subscribe(kitchenWatcher, { scope: 'system' })).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    // the status is pushed every 2 s to watchers: the refused one never gets it
    await new Promise((res) => setTimeout(res, 2300));
    expect(leaked).toBe(0);
    const anonymous = await connectSocket(stack.base);
    openSockets.push(anonymous);
    expect(await subscribe(anonymous, { scope: 'system' })).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('running behind a balancer', () => {
  it('keeps serving pages and orders while Redis is away, saying it is degraded, and its probes and metrics still answer', async () => {
    const { app: noRedis, base } = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: `${fileDatabase().queuePrefix}_noredis` });
    try {
      // asked again as a balancer does: the app runs in this test process, whose event loop a loaded
      // machine may hold up at its start, and a loop held up lately answers 503 (loop-watch.ts)
      let asked = 0;
      let ready: Response;
      for (const deadline = Date.now() + 30_000; ;) {
        const t0 = Date.now();
        ready = await fetch(`${base}/readyz`);
        asked = Date.now() - t0;
        if (ready.status === 200 || Date.now() > deadline) break;
        await ready.text();
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(ready.status, 'the last /readyz answer, 30 s after the start').toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'degraded', checks: { postgres: true, redis: false, queues: false, schema: true } });
      const started = Date.now();
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(asked + Date.now() - started).toBeLessThan(6000); // one second for the queues, whatever their number
      // an order still goes through: the rate limiter lets it pass when it cannot count
      const pool = testPool();
      try {
        const placed = await new Client(base).post('/api/orders', {
          pizzeriaId: SHOPS.canal,
          fulfilment: 'pickup',
          customer,
          items: [{ productId: seededProduct('coca-cola'), quantity: 1 }],
          payment: 'on_delivery',
        });
        expect(placed.status).toBe(201);
      } finally {
        await pool.end();
      }
    } finally {
      await noRedis.close();
    }
  });

  it('guards /metrics with a bearer token when METRICS_TOKEN is set, and counts staff screens per shop', async () => {
    const token = 'metrics-token-for-tests-0123456789';
    const { app: guarded, base } = await startTestApp({ METRICS_TOKEN: token, QUEUE_PREFIX: `${fileDatabase().queuePrefix}_metrics` });
    try {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
      const kitchen = await new Client(base).login('kitchen.montparnasse@ocpizza.test');
      const socket = await connectSocket(base, { cookie: kitchen.cookie });
      try {
        await subscribe(socket, { scope: 'kitchen' });
        const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        const samples = parsePrometheus(await res.text());
        expect(samplesOf(samples, 'ocpizza_screens_connected', { pizzeria: 'montparnasse', role: 'kitchen' })[0]?.value).toBe(1);
        expect(samplesOf(samples, 'ocpizza_screens_connected', { pizzeria: 'canal', role: 'kitchen' })).toEqual([]);
      } finally {
        socket.close();
      }
    } finally {
      await guarded.close();
    }
  });

  it('with SHUTDOWN_DRAIN_MS, keeps answering (not ready) for that long before it stops listening', async () => {
    const { app: draining, base } = await startTestApp({ SHUTDOWN_DRAIN_MS: '2500', QUEUE_PREFIX: `${fileDatabase().queuePrefix}_drain` });
    const closing = draining.close();
    await new Promise((r) => setTimeout(r, 200));
    const during = await fetch(`${base}/readyz`);
    expect(during.status).toBe(503);
    expect((await during.json()).checks.accepting).toBe(false);
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
