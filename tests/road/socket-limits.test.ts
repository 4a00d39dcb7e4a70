// One socket cannot degrade the others: bounded subscriptions and calls per socket, bounded
// connections per client address, checked origins, replays that never stop the relay, and a
// logout that ends the session's sockets at once. Real Postgres, Redis and Socket.io.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  seededProduct,
  Client,
  SHOPS,
  collect,
  connectSocket,
  startTestApp,
  subscribe,
  deleteRedisKeys,
  placeThroughApi,
  waitUntil,
  createShop,
  type TestSocket,
} from '../helpers.ts';
import { useStack } from '../services.ts';
import type { App } from '../../server/app.ts';

const stack = useStack({ env: { RESUME_MAX_EVENTS: '2000' } });
const margherita = seededProduct('margherita');
const open: TestSocket[] = [];
const apps: App[] = [];
/** The queue prefixes of the servers started here: emptied when the file is done. */
const prefixes: string[] = [];

afterEach(() => {
  for (const s of open.splice(0)) s.disconnect();
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  for (const prefix of prefixes.splice(0)) await deleteRedisKeys(prefix);
});

async function socket(opts: Parameters<typeof connectSocket>[1] = {}, at = stack.base) {
  const s = await connectSocket(at, { reconnection: false, ...opts });
  open.push(s);
  return s;
}

/** A polling handshake as a browser starts one: the status and the refusal the client reads. */
async function handshake(at: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${at}/socket.io/?EIO=4&transport=polling`, { headers });
  return { status: res.status, body: await res.text() };
}

/** Resolves with the reason when the server ends this socket. */
const disconnected = (s: TestSocket) => new Promise<string>((resolve) => (s.connected ? s.once('disconnect', resolve) : resolve('already')));

const placeOrder = (shop: number) => placeThroughApi(stack.base, { pizzeriaId: shop, productId: margherita });

/** A server of its own with these limits (its own queue prefix, so its counts start at zero). */
async function limitedApp(overrides: Record<string, string>) {
  const prefix = `limits_${Math.random().toString(36).slice(2, 10)}`;
  prefixes.push(prefix);
  const started = await startTestApp({ QUEUE_PREFIX: prefix, ...overrides });
  apps.push(started.app);
  return started.base;
}

describe('subscriptions per socket', () => {
  it('an anonymous socket cannot open menu rooms for shops that do not exist', async () => {
    const s = await socket();
    expect(await subscribe(s, { scope: 'menu', pizzeriaId: 987_654 })).toMatchObject({ error: { code: 'not_found' } });
    expect(await subscribe(s, { scope: 'menu', pizzeriaId: SHOPS.bastille })).toMatchObject({ data: { lastEventId: expect.any(Number) } });
    const rooms = stack.app.hub.io.of('/').sockets.get(s.id!)!.rooms;
    expect([...rooms].filter((r) => r.startsWith('menu:'))).toEqual([`menu:${SHOPS.bastille}`]);
  });

  it('a storefront switching shops follows one menu at a time', async () => {
    const s = await socket();
    for (const shop of Object.values(SHOPS)) await subscribe(s, { scope: 'menu', pizzeriaId: shop });
    const rooms = stack.app.hub.io.of('/').sockets.get(s.id!)!.rooms;
    expect([...rooms].filter((r) => r.startsWith('menu:'))).toEqual([`menu:${SHOPS.canal}`]);
  });

  it('past the subscriptions a real screen needs, the socket is refused with a clear code, then disconnected', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const s = await socket({ cookie: admin.cookie });
    const acks = [];
    for (const shop of Object.values(SHOPS)) acks.push(await subscribe(s, { scope: 'kitchen', pizzeriaId: shop }));
    for (const shop of [SHOPS.bastille, SHOPS.montmartre, SHOPS.batignolles]) acks.push(await subscribe(s, { scope: 'shop', pizzeriaId: shop }));
    expect(acks.every((a) => 'data' in a)).toBe(true);
    const gone = disconnected(s);
    expect(await subscribe(s, { scope: 'hq' })).toMatchObject({ error: { code: 'too_many_subscriptions' } });
    expect(await gone).toBe('io server disconnect');
  });

  it('a flood of subscribe calls is refused as rate limited and the socket disconnected, before it costs the server', async () => {
    const s = await socket();
    const gone = disconnected(s);
    const acks = await Promise.all(
      Array.from({ length: 60 }, (_, i) => Promise.race([subscribe(s, { scope: 'menu', pizzeriaId: 1_000 + i }), gone.then(() => null)])),
    );
    expect(acks.some((a) => a?.error?.code === 'rate_limited')).toBe(true);
    expect(await gone).toBe('io server disconnect');
  });

  it('hostile payloads get a refused ack and change nothing', async () => {
    const s = await socket();
    const hostile: unknown[] = [
      null,
      'kitchen',
      [],
      { scope: 'menu', pizzeriaId: 2 ** 31 },
      { scope: 'menu', pizzeriaId: -1 },
      { scope: 'menu', pizzeriaId: 1.5 },
      { scope: 'kitchen\u0000', pizzeriaId: 1 },
      { scope: 'order', lastEventId: -5 },
      { scope: 'order', lastEventId: 2 ** 60 },
      { scope: 'menu', pizzeriaId: 1, extra: 'x'.repeat(1000) },
      { scope: { $ne: 1 } },
    ];
    for (const h of hostile) {
      const ack = await subscribe(s, h as never);
      expect(ack.error?.code, JSON.stringify(h)).toMatch(/^(invalid|forbidden)$/);
    }
    const rooms = stack.app.hub.io.of('/').sockets.get(s.id!)!.rooms;
    expect(rooms.size).toBe(1); // its own room only
  });

  it('a message larger than the cap closes that socket, not the server', async () => {
    const s = await socket();
    const gone = disconnected(s);
    s.emit('subscribe', { scope: 'menu', pizzeriaId: 1, pad: 'x'.repeat(40_000) } as never, () => {});
    expect(await gone).toBe('transport close');
    const other = await socket();
    expect(await subscribe(other, { scope: 'menu', pizzeriaId: SHOPS.bastille })).toHaveProperty('data');
  });
});

describe('replays never stop the relay', () => {
  it('while hundreds of screens replay a long history, a new order still reaches the kitchen before they are done', async () => {
    // a history to replay: enough events in Bastille
    for (let i = 0; i < 40; i++) await placeOrder(SHOPS.bastille);
    const kitchen = await new Client(stack.base).login('kitchen.bastille@ocpizza.test');
    const watcher = await socket({ cookie: kitchen.cookie });
    const seen = collect(watcher);
    await subscribe(watcher, { scope: 'kitchen' });

    const replayers = await Promise.all(Array.from({ length: 10 }, () => socket({ cookie: kitchen.cookie })));
    let lastReplayDoneAt = 0;
    const replays = replayers.flatMap((r) =>
      Array.from({ length: 15 }, () =>
        subscribe(r, { scope: 'kitchen', lastEventId: 0 }).then((ack) => {
          lastReplayDoneAt = performance.now();
          return ack;
        }),
      ),
    );
    const placed = await placeOrder(SHOPS.bastille);
    const live = await seen.waitFor((e) => e.order.id === placed.id, 30_000);
    const liveAt = performance.now();
    const acks = await Promise.all(replays);
    expect(live.type).toBe('order.placed');
    expect(acks.every((a) => 'data' in a)).toBe(true);
    // the relay did not wait for the replays: the new ticket arrived while they were still going
    expect(liveAt).toBeLessThan(lastReplayDoneAt);
  });

  it('a screen that replays gets what happened meanwhile once, and in order', async () => {
    const kitchen = await new Client(stack.base).login('kitchen.montmartre@ocpizza.test');
    const first = await placeOrder(SHOPS.montmartre);
    const { rows } = await stack.pool.query<{ id: number }>('SELECT min(id)::int AS id FROM order_events WHERE order_id = $1', [first.id]);
    const s = await socket({ cookie: kitchen.cookie });
    const seen = collect(s);
    // orders keep coming while the screen replays
    const placing = Promise.all(Array.from({ length: 10 }, () => placeOrder(SHOPS.montmartre)));
    const ack = await subscribe(s, { scope: 'kitchen', lastEventId: rows[0].id - 1 });
    const placed = await placing;
    expect(ack).toHaveProperty('data.lastEventId');
    for (const p of placed) await seen.waitFor((e) => e.order.id === p.id);
    const ids = seen.events.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    const mine = seen.events.filter((e) => e.order.pizzeriaId === SHOPS.montmartre);
    expect(mine.length).toBe(seen.events.length);
    expect(seen.events[0].order.id).toBe(first.id);
  });
});

describe('connections per client address', () => {
  it('past the live sockets allowed for one address, a new handshake is refused; another address is not affected', async () => {
    const limited = await limitedApp({ SOCKET_MAX_PER_ADDRESS: '3' });
    for (let i = 0; i < 3; i++) await socket({}, limited);
    expect(await handshake(limited)).toMatchObject({ status: 403, body: expect.stringContaining('too_many_connections') });
    await expect(socket({}, limited)).rejects.toThrow();
    // behind a trusted proxy (loopback here), the forwarded address is the client's
    await expect(socket({ headers: { 'x-forwarded-for': '203.0.113.7' } }, limited)).resolves.toBeTruthy();
    // a socket that leaves frees its place
    open.shift()!.disconnect();
    await waitUntil(async () => (await socket({}, limited).then(() => true, () => false)), 5000, 'a freed place');
  });

  it('past the connections per minute allowed for one address, the next handshake is refused as rate limited', async () => {
    const limited = await limitedApp({ SOCKET_CONNECTS_PER_MINUTE: '5' });
    for (let i = 0; i < 5; i++) (await socket({}, limited)).disconnect();
    expect(await handshake(limited)).toMatchObject({ status: 403, body: expect.stringContaining('rate_limited') });
    await expect(socket({}, limited)).rejects.toThrow();
  });
});

describe('origins', () => {
  it('a socket handshake from another origin is refused with 403; the same origin and non-browser clients are let in', async () => {
    const port = new URL(stack.base).port;
    // a page on the same host, another port: same site, another origin
    expect(await handshake(stack.base, { origin: 'http://127.0.0.1:5999' })).toMatchObject({ status: 403, body: expect.stringContaining('bad_origin') });
    await expect(socket({ headers: { origin: 'http://evil.example' } })).rejects.toThrow();
    await expect(socket({ headers: { origin: `http://127.0.0.1:${port}` } })).resolves.toBeTruthy();
    await expect(socket()).resolves.toBeTruthy();
  });

  it('with PUBLIC_ORIGIN set, only that origin may open a socket', async () => {
    const limited = await limitedApp({ PUBLIC_ORIGIN: 'https://commande.ocpizza.test' });
    await expect(socket({ headers: { origin: 'https://commande.ocpizza.test' } }, limited)).resolves.toBeTruthy();
    expect(await handshake(limited, { origin: limited })).toMatchObject({ status: 403, body: expect.stringContaining('bad_origin') });
  });
});

describe('sessions', () => {
  it('logging out ends that session\'s sockets at once: no customer details reach them afterwards', async () => {
    const kitchen = await new Client(stack.base).login('kitchen.batignolles@ocpizza.test');
    const other = await new Client(stack.base).login('kitchen.batignolles@ocpizza.test');
    const s = await socket({ cookie: kitchen.cookie });
    const stays = await socket({ cookie: other.cookie });
    await subscribe(s, { scope: 'kitchen' });
    await subscribe(stays, { scope: 'kitchen' });
    const seen = collect(s);
    const staysSeen = collect(stays);
    const gone = disconnected(s);
    expect((await kitchen.post('/api/auth/logout')).status).toBe(200);
    expect(await gone).toBe('io server disconnect');
    const placed = await placeOrder(SHOPS.batignolles);
    await staysSeen.waitFor((e) => e.order.id === placed.id);
    expect(seen.events.filter((e) => e.order.id === placed.id)).toEqual([]);
    expect(stays.connected).toBe(true);
  });

  it('a session ended elsewhere (another server, housekeeping) stops opening the API within moments, though the API keeps sessions it has seen in memory', async () => {
    const manager = await new Client(stack.base).login('manager.canal@ocpizza.test');
    expect((await manager.get('/api/orders')).status).toBe(200); // now known to this server
    const { rows } = await stack.pool.query(
      `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = 'manager.canal@ocpizza.test') RETURNING id`,
    );
    expect(rows.length).toBeGreaterThan(0);
    // within moments (the API keeps a session it has seen for minutes, unless told it ended)
    await waitUntil(async () => (await manager.get('/api/orders')).status === 401, 3000, 'the API to refuse the ended session');
  });

  it('an account changed elsewhere (a driver lent to another shop, a manager made a cook) is judged by what it now is within moments, though the API keeps sessions it has seen', async () => {
    const [home, other] = [await createShop(stack.pool, 'lent-from'), await createShop(stack.pool, 'lent-to')];
    const driver = await new Client(stack.base).login(home.email('driver1'));
    const manager = await new Client(stack.base).login(home.email('manager'));
    const me = async (c: Client) => (await c.get('/api/auth/me')).body.user;
    expect(await me(driver)).toMatchObject({ role: 'driver', pizzeriaId: home.id });
    expect(await me(manager)).toMatchObject({ role: 'manager', pizzeriaId: home.id });
    expect((await manager.get('/api/staff')).status).toBe(200);
    await stack.pool.query('UPDATE users SET lent_to = $1 WHERE email = $2', [other.id, home.email('driver1')]);
    await stack.pool.query(`UPDATE users SET role = 'kitchen' WHERE email = $1`, [home.email('manager')]);
    await waitUntil(async () => (await me(driver)).pizzeriaId === other.id, 3000, 'the API to see the driver lent');
    await waitUntil(async () => (await me(manager)).role === 'kitchen', 3000, 'the API to see the manager made a cook');
    // the cook's screen no longer opens what only a manager may
    expect((await manager.get('/api/staff')).status).toBe(403);
    await stack.pool.query('UPDATE users SET lent_to = NULL WHERE email = $1', [home.email('driver1')]);
    await waitUntil(async () => (await me(driver)).pizzeriaId === home.id, 3000, 'the API to see the driver back');
  });

  it('a disabled account loses its sockets and its sessions', async () => {
    const driver = await new Client(stack.base).login('driver2.canal@ocpizza.test');
    const s = await socket({ cookie: driver.cookie });
    await subscribe(s, { scope: 'driver' });
    const gone = disconnected(s);
    await stack.pool.query(`UPDATE users SET active = false WHERE email = 'driver2.canal@ocpizza.test'`);
    try {
      expect(await gone).toBe('io server disconnect');
      expect((await driver.get('/api/auth/me')).body.user).toBeNull();
    } finally {
      await stack.pool.query(`UPDATE users SET active = true WHERE email = 'driver2.canal@ocpizza.test'`);
    }
  });
});
