import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededProduct, Client, SHOPS, deliveryOrder, silentLog, startTestApp, storedEvents, testConfig, countOf, orderCount, reservedSum } from '../helpers.ts';
import { useStack } from '../services.ts';
import { createApp, type App } from '../../server/app.ts';
import { MAX_ITEMS_PER_ORDER, MAX_QUANTITY_PER_PRODUCT } from '../../src/lib/domain/pricing.ts';
import { deleteExpiredIdempotencyKeys } from '../../src/lib/server/kernel/idempotency.ts';
import { fileDatabase } from '../file-database.ts';

const stack = useStack();
const margherita = seededProduct('margherita');
const coca = seededProduct('coca-cola');

// every order this file places is cancelled at the end, so its stock is free for the other files
const placedTokens = new Set<string>();
afterAll(async () => {
  for (const token of placedTokens) await new Client(stack.base).post(`/api/track/${token}/cancel`);
});

const count = (sql: string, params: unknown[] = []) => countOf(stack.pool, sql, params);

const order = (overrides: Record<string, unknown> = {}) =>
  deliveryOrder(SHOPS.batignolles, [{ productId: margherita, quantity: 1 }, { productId: coca, quantity: 1 }], overrides);

async function send(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(stack.base + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (json?.trackingToken) placedTokens.add(json.trackingToken);
  return { status: res.status, headers: res.headers, body: json };
}

describe('quantity caps hold after repeated lines are merged', () => {
  it('refuses three lines of twenty of one pizza with a field message, and reserves nothing', async () => {
    const [orders, reserved] = [await orderCount(stack.pool), await reservedSum(stack.pool)];
    const r = await new Client(stack.base).post('/api/orders', order({ items: [1, 2, 3].map(() => ({ productId: margherita, quantity: 20 })) }));
    expect(r.status).toBe(422);
    expect(r.body.error.fields.items).toMatch(new RegExp(`at most ${MAX_QUANTITY_PER_PRODUCT} of one product`));
    expect([await orderCount(stack.pool), await reservedSum(stack.pool)]).toEqual([orders, reserved]);
  });

  it(`refuses more than ${MAX_ITEMS_PER_ORDER} items in one order, even when each product is within its cap`, async () => {
    const { rows } = await stack.pool.query<{ id: number }>('SELECT id FROM products WHERE active ORDER BY id LIMIT 4');
    const items = rows.map((p) => ({ productId: p.id, quantity: 15 }));
    const before = await orderCount(stack.pool);
    const r = await new Client(stack.base).post('/api/orders', order({ items }));
    expect(r.status).toBe(422);
    expect(r.body.error.fields.items).toMatch(new RegExp(`at most ${MAX_ITEMS_PER_ORDER} items per order`));
    expect(await orderCount(stack.pool)).toBe(before);
  });

  it('applies the same caps to the counter and to a change by tracking link', async () => {
    const counter = await new Client(stack.base).login('counter.batignolles@ocpizza.test');
    const split = [{ productId: coca, quantity: 15 }, { productId: coca, quantity: 15 }];
    const atCounter = await counter.post('/api/orders', order({ channel: 'counter', fulfilment: 'pickup', address: undefined, items: split }));
    expect(atCounter.status).toBe(422);
    expect(atCounter.body.error.fields.items).toMatch(/at most 20 of one product/);

    const placed = await send('POST', '/api/orders', order());
    expect(placed.status).toBe(201);
    const reserved = await reservedSum(stack.pool);
    const changed = await new Client(stack.base).patch(`/api/track/${placed.body.trackingToken}`, { items: split });
    expect(changed.status).toBe(422);
    expect(changed.body.error.fields.items).toMatch(/at most 20 of one product/);
    expect(await reservedSum(stack.pool)).toBe(reserved);
    const { rows } = await stack.pool.query('SELECT version FROM orders WHERE id = $1', [placed.body.id]);
    expect(rows[0].version).toBe(placed.body.version);
  });
});

describe('Idempotency-Key on placing an order', () => {
  it('answers a repeat of the same request with the first order, without placing another', async () => {
    const key = randomUUID();
    const before = await orderCount(stack.pool);
    const first = await send('POST', '/api/orders', order(), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    // the same body with its keys in another order is the same request
    const { items, ...rest } = order();
    const again = await send('POST', '/api/orders', { items, ...rest }, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toMatchObject({ id: first.body.id, number: first.body.number, trackingToken: first.body.trackingToken, total: first.body.total });
    expect(await orderCount(stack.pool)).toBe(before + 1);
    expect((await storedEvents(stack.pool, first.body.id)).filter((e) => e.type === 'order.placed')).toHaveLength(1);
  });

  it('refuses the same key with a different body, and placing without a key still places each time', async () => {
    const key = `checkout-${randomUUID()}`;
    expect((await send('POST', '/api/orders', order(), { 'idempotency-key': key })).status).toBe(201);
    const before = await orderCount(stack.pool);
    const other = await send('POST', '/api/orders', order({ items: [{ productId: coca, quantity: 2 }] }), { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(other.body.error.fields['Idempotency-Key']).toBeTruthy();
    expect(await orderCount(stack.pool)).toBe(before);
    expect((await send('POST', '/api/orders', order())).status).toBe(201);
    expect((await send('POST', '/api/orders', order())).status).toBe(201);
    expect(await orderCount(stack.pool)).toBe(before + 2);
  });

  it('places exactly one order when many requests with one key arrive at once', async () => {
    const key = randomUUID();
    const before = await orderCount(stack.pool);
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('POST', '/api/orders', order(), { 'idempotency-key': key })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await orderCount(stack.pool)).toBe(before + 1);
  });

  it('refuses a malformed key with a field message, placing nothing', async () => {
    const before = await orderCount(stack.pool);
    for (const bad of ['short', 'x'.repeat(101), 'has space in it', 'semi;colon-key', 'ünïcödé-key']) {
      const r = await fetch(`${stack.base}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': encodeURI(bad) === bad ? bad : encodeURIComponent(bad) },
        body: JSON.stringify(order()),
      });
      expect(r.status, bad).toBe(422);
      expect((await r.json()).error.fields['Idempotency-Key']).toBeTruthy();
    }
    expect(await orderCount(stack.pool)).toBe(before);
  });

  it('does not hand one staff member the order another placed under the same key', async () => {
    const key = randomUUID();
    const phoneOrder = order({ channel: 'phone', fulfilment: 'pickup', address: undefined });
    const counter = await new Client(stack.base).login('counter.batignolles@ocpizza.test');
    const manager = await new Client(stack.base).login('manager.batignolles@ocpizza.test');
    expect((await send('POST', '/api/orders', phoneOrder, { cookie: counter.cookie, 'idempotency-key': key })).status).toBe(201);
    const r = await send('POST', '/api/orders', phoneOrder, { cookie: manager.cookie, 'idempotency-key': key });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('idempotency_key_reused');
  });

  it('forgets keys after a day, so housekeeping can delete them', async () => {
    const key = randomUUID();
    const first = await send('POST', '/api/orders', order(), { 'idempotency-key': key });
    await stack.pool.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]);
    expect(await deleteExpiredIdempotencyKeys(stack.pool)).toBeGreaterThanOrEqual(1);
    expect(await count('SELECT count(*) AS n FROM idempotency_keys WHERE key = $1', [key])).toBe(0);
    const again = await send('POST', '/api/orders', order(), { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
  });
});

describe('Origin of state-changing API requests', () => {
  it('refuses a write from another origin with 403 bad_origin and changes nothing', async () => {
    const host = new URL(stack.base).host;
    const before = await orderCount(stack.pool);
    for (const origin of [`http://${host.replace(/:\d+$/, ':1')}`, 'https://evil.example', 'null']) {
      const r = await send('POST', '/api/orders', order(), { origin });
      expect(r.status, origin).toBe(403);
      expect(r.body.error.code).toBe('bad_origin');
    }
    expect(await orderCount(stack.pool)).toBe(before);

    // with a staff cookie too: a page on another port must not move orders
    const kitchen = await new Client(stack.base).login('kitchen.batignolles@ocpizza.test');
    const placed = await send('POST', '/api/orders', order());
    const moved = await send('POST', `/api/orders/${placed.body.id}/status`, { to: 'preparing' }, { cookie: kitchen.cookie, origin: 'http://127.0.0.1:1' });
    expect(moved.status).toBe(403);
    expect((await stack.pool.query('SELECT status FROM orders WHERE id = $1', [placed.body.id])).rows[0].status).toBe('received');
    const login = await send('POST', '/api/auth/login', { email: 'kitchen.batignolles@ocpizza.test', password: inject('demoPassword') }, { origin: 'https://evil.example' });
    expect(login.status).toBe(403);
  });

  it('lets same-origin and origin-less writes through, and reads from anywhere', async () => {
    expect((await send('POST', '/api/orders', order(), { origin: stack.base })).status).toBe(201);
    expect((await send('POST', '/api/orders', order())).status).toBe(201);
    expect((await send('GET', '/api/pizzerias', undefined, { origin: 'https://evil.example' })).status).toBe(200);
  });

  it('accepts the configured public origin behind a proxy and refuses the request host then', async () => {
    const proxied = await startTestApp({ PUBLIC_ORIGIN: 'https://order.ocpizza.test', QUEUE_PREFIX: `${fileDatabase().queuePrefix}_origin` });
    try {
      const post = (origin: string) =>
        fetch(`${proxied.base}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(order()) });
      const ok = await post('https://order.ocpizza.test');
      expect(ok.status).toBe(201);
      placedTokens.add((await ok.json()).trackingToken);
      expect((await post(proxied.base)).status).toBe(403);
    } finally {
      await proxied.app.close();
    }
  });
});

describe('failed logins are counted by the client address behind a trusted proxy', () => {
  it('locks one forwarded address out of one account, not everyone behind the proxy', async () => {
    const email = 'driver2.batignolles@ocpizza.test';
    const tryLogin = (ip: string, password: string) => send('POST', '/api/auth/login', { email, password }, { 'x-forwarded-for': ip });
    try {
      for (let i = 0; i < 10; i++) expect((await tryLogin('203.0.113.7', `guess-${i}`)).status).toBe(401);
      expect((await tryLogin('203.0.113.7', inject('demoPassword'))).status).toBe(429);
      expect((await tryLogin('203.0.113.8', inject('demoPassword'))).status).toBe(200);
      expect(await count('SELECT count(*) AS n FROM login_failures WHERE email = $1 AND ip = $2', [email, '203.0.113.7'])).toBe(10);
    } finally {
      await stack.pool.query('DELETE FROM login_failures WHERE email = $1', [email]);
    }
  });
});

// ---------- the login page and form actions (the built SvelteKit app, as production mounts it; CI builds it first) ----------

const pagesBuilt = existsSync(join(process.cwd(), 'build', 'handler.js'));

describe.runIf(pagesBuilt || !!process.env.CI)('the login page and form actions', () => {
  let pages: App;
  let pagesBase: string;

  beforeAll(async () => {
    // the built pages open their own pool and queue from the environment (a deployment gives
    // them the server's): this run's, or their account mails would wait under the default prefix
    process.env.DATABASE_URL = fileDatabase().databaseUrl;
    process.env.QUEUE_PREFIX = fileDatabase().queuePrefix;
    pages = await createApp({ config: testConfig(), log: silentLog, withPages: true });
    pagesBase = `http://127.0.0.1:${await pages.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await pages?.close();
  });

  /** A form posted as a browser posts it (no JavaScript): from `origin`, through a proxy that forwards `ip`. */
  const postForm = (path: string, form: Record<string, string>, opts: { origin?: string; ip?: string; cookie?: string } = {}) =>
    fetch(pagesBase + path, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        origin: opts.origin ?? pagesBase,
        ...(opts.ip ? { 'x-forwarded-for': opts.ip } : {}),
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });

  it('refuses a form posted from another origin (SvelteKit\'s own check), and a logout from there leaves the session open', async () => {
    const email = 'manager.batignolles@ocpizza.test';
    const cross = await postForm('/login', { email, password: inject('demoPassword') }, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
    const same = await postForm('/login', { email, password: inject('demoPassword') });
    expect(same.status).toBe(303);
    const cookie = same.headers.get('set-cookie')!.split(';')[0];
    expect((await postForm('/logout', {}, { origin: `${pagesBase.replace(/:\d+$/, ':1')}`, cookie })).status).toBe(403);
    const me = await fetch(`${pagesBase}/api/auth/me`, { headers: { cookie } });
    expect((await me.json()).user?.email).toBe(email);
  });

  it('counts failed logins on the page by the forwarded client address, like the API, so one address behind the proxy locks out only itself', async () => {
    const email = 'driver1.batignolles@ocpizza.test';
    const api = (ip: string, password: string) =>
      fetch(`${pagesBase}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ email, password }),
      });
    try {
      for (let i = 0; i < 10; i++) expect((await postForm('/login', { email, password: `guess-${i}` }, { ip: '198.51.100.4' })).status).toBe(401);
      expect(await count('SELECT count(*) AS n FROM login_failures WHERE email = $1 AND ip = $2', [email, '198.51.100.4'])).toBe(10);
      // that address is locked out at both doors
      expect((await postForm('/login', { email, password: inject('demoPassword') }, { ip: '198.51.100.4' })).status).toBe(429);
      expect((await api('198.51.100.4', inject('demoPassword'))).status).toBe(429);
      // everyone else behind the same proxy is not
      expect((await postForm('/login', { email, password: inject('demoPassword') }, { ip: '198.51.100.5' })).status).toBe(303);
      expect((await api('198.51.100.6', inject('demoPassword'))).status).toBe(200);
      // and a client cannot pick its own address with the header the server sets for the pages
      const spoof = await fetch(`${pagesBase}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin: pagesBase, 'x-forwarded-for': '198.51.100.4', 'x-ocpizza-client-address': '192.0.2.1' },
        body: new URLSearchParams({ email, password: inject('demoPassword') }).toString(),
      });
      expect(spoof.status).toBe(429);
    } finally {
      await stack.pool.query('DELETE FROM login_failures WHERE email = $1', [email]);
    }
  });

  // last of this block: a second server with pages takes over the pages' shared pool
  it('counts the "forgot your password?" form with the API\'s account routes per client address, and refuses past the limit', async () => {
    const strict = await createApp({ config: testConfig({ RATE_LIMIT_ORDERS: '3' }), log: silentLog, withPages: true });
    const strictBase = `http://127.0.0.1:${await strict.listen(0, '127.0.0.1')}`;
    try {
      const ip = '198.51.100.77';
      const form = () =>
        fetch(`${strictBase}/account/forgot`, {
          method: 'POST',
          redirect: 'manual',
          headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin: strictBase, 'x-forwarded-for': ip },
          body: new URLSearchParams({ email: 'someone@example.test' }).toString(),
        });
      const api = () => fetch(`${strictBase}/api/account/forgot`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: '{"email":"someone@example.test"}' });
      expect((await form()).status).toBeLessThan(400);
      expect((await api()).status).toBe(202);
      expect((await form()).status).toBeLessThan(400);
      // the fourth from that address, by either door, is refused; another address is not
      expect((await form()).status).toBe(429);
      expect((await api()).status).toBe(429);
      expect((await fetch(`${strictBase}/api/account/forgot`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.78' }, body: '{"email":"someone@example.test"}' })).status).toBe(202);
    } finally {
      await strict.close();
    }
  });
});
