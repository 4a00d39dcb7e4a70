import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededProduct, Client, SHOPS, addressFor, customer, silentLog, testConfig, publishAll } from '../helpers.ts';
import { useStack } from '../services.ts';
import { createApp, type App } from '../../server/app.ts';
import { fileDatabase } from '../file-database.ts';

// Every route, walked with what an attacker or a broken client sends: each answer is a 4xx with an
// error code, never a 500, and the orders, their lines, the stock and the event log do not change.

const stack = useStack();
const margherita = seededProduct('margherita');
let placed: { id: string; trackingToken: string; version: number };
const sessions: Record<'anonymous' | 'admin' | 'driver', string> = { anonymous: '', admin: '', driver: '' };

beforeAll(async () => {
  const r = await new Client(stack.base).post('/api/orders', validOrder());
  expect(r.status).toBe(201);
  placed = r.body;
  sessions.admin = (await new Client(stack.base).login('admin@ocpizza.test')).cookie;
  sessions.driver = (await new Client(stack.base).login('driver1.canal@ocpizza.test')).cookie;
});
afterAll(async () => {
  await new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`);
  await stack.pool.query(`DELETE FROM login_failures WHERE email LIKE 'nobody@%'`);
});

function validOrder(): Record<string, any> {
  return {
    pizzeriaId: SHOPS.canal,
    fulfilment: 'delivery',
    customer: { ...customer },
    address: { ...addressFor(SHOPS.canal) },
    items: [{ productId: margherita, quantity: 1 }],
    payment: 'on_delivery',
  };
}

/** A digest of every row that an order request could change. */
async function digest(): Promise<string> {
  await publishAll(stack.pool); // what legitimate orders recorded, published first: only hostile requests could change it now
  const tables = ['orders', 'order_items', 'stock', 'stock_reservations', 'order_events', 'order_event_inbox', 'idempotency_keys'];
  const parts = await Promise.all(
    tables.map(async (t) => (await stack.pool.query(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS d FROM ${t} x`)).rows[0].d),
  );
  return parts.join(':');
}

// ---------- hostile values ----------

const HUGE = [2 ** 31, 2 ** 53, 1e308, -(2 ** 31) - 1];
const BAD_NUMBERS: unknown[] = [...HUGE, -1, 0, 1.5, '1', '', null, true, [], {}, [1], { $gt: 0 }];
const CONTROL = ['a\u0000b', '\u0000', 'line\nbreak', 'bell\u0007', 'esc\u001b[31m', 'del\u007f'];
const BAD_TEXT: unknown[] = [...CONTROL, 'x'.repeat(5000), '', '   ', 42, null, [], {}, ['a'], { a: 'b' }];
const deep = (n: number): unknown => (n === 0 ? 1 : { a: deep(n - 1) });

const INT_PATHS = ['2147483648', '99999999999999999999', '-1', '0', '1.5', '1e3', '0x10', 'abc', '%00', '1%00', '%0a', 'x'.repeat(3000), '%E0%A4%A'];
const UUID_PATHS = [
  '------------------------------------',
  '00000000-0000-0000-0000-00000000000g',
  'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
  '123456789012345678901234567890123456',
  `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}%00`,
  '%00', '1', '2147483648', 'x'.repeat(3000), '%E0%A4%A',
];
const TOKEN_PATHS = ['short', `${'a'.repeat(30)}%00`, 'x'.repeat(5000), '%E0%A4%A', '..%2F..%2Fetc', `${'a'.repeat(24)}%0a`];

/** Copies of `value` with the value at `path` replaced by each hostile value (or removed). */
function mutate(value: Record<string, any>, path: (string | number)[], replacements: unknown[]): unknown[] {
  return replacements.map((r) => {
    const copy = structuredClone(value);
    let o: any = copy;
    for (const k of path.slice(0, -1)) o = o[k];
    o[path.at(-1)!] = r;
    return copy;
  });
}

const RAW_BODIES = ['{', '{"a":', 'null', '"a string"', '12', '[]', '[1,2]', '\u0000', '{"a":"\\u0000"}', '['.repeat(3000) + ']'.repeat(3000)];
// a body of everything: each generic hostile body is sent to every route that takes one
const JUNK_BODIES: unknown[] = [[], [{}], 'x', 7, null, { unknown: 1 }, deep(200), { __proto__: { admin: true } }, { constructor: { prototype: { x: 1 } } }];

interface Case {
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

const ROUTES = [
  'POST /api/auth/login',
  'GET /api/pizzerias/:id/menu',
  'POST /api/orders',
  'GET /api/track/:token',
  'POST /api/track/:token/cancel',
  'PATCH /api/track/:token',
  'GET /api/orders',
  'GET /api/orders/:id',
  'POST /api/orders/:id/status',
  'POST /api/driver/shift',
  'anywhere: hostile cookies and unknown routes',
] as const;

/** The hostile requests of each route (built after beforeAll: some name the order it placed). */
function cases(): Record<(typeof ROUTES)[number], Case[]> {
  const order = validOrder();
  const orderBodies = [
    ...mutate(order, ['pizzeriaId'], BAD_NUMBERS),
    ...mutate(order, ['fulfilment'], BAD_TEXT),
    ...mutate(order, ['channel'], ['takeaway', ...BAD_TEXT]),
    ...mutate(order, ['payment'], ['bitcoin', ...BAD_TEXT]),
    ...mutate(order, ['customer'], [...BAD_TEXT, deep(50)]),
    ...mutate(order, ['customer', 'name'], BAD_TEXT),
    ...mutate(order, ['customer', 'phone'], [...BAD_TEXT, '06 12 34 56 78\u0000']),
    ...mutate(order, ['customer', 'email'], ['a@b.c\u0000', 'not-an-email', ...BAD_TEXT.slice(6)]),
    ...mutate(order, ['customer', 'extra'], ['field']),
    ...mutate(order, ['address', 'street'], BAD_TEXT),
    ...mutate(order, ['address', 'city'], BAD_TEXT),
    ...mutate(order, ['address', 'postcode'], ['7501', '750011', '75011\u0000', ...BAD_TEXT]),
    ...mutate(order, ['address', 'lat'], [91, -91, ...HUGE, '48.8', null]),
    ...mutate(order, ['address', 'lng'], [181, -181, ...HUGE, '2.3']),
    ...mutate(order, ['address'], [[], 'rue', 1, { ...addressFor(SHOPS.canal), floor: 3 }]),
    ...mutate(order, ['items'], [[], {}, 'all', null, Array.from({ length: 31 }, () => ({ productId: margherita, quantity: 1 })), deep(100)]),
    ...mutate(order, ['items', 0, 'productId'], BAD_NUMBERS),
    ...mutate(order, ['items', 0, 'quantity'], [...BAD_NUMBERS, 21]),
    ...mutate(order, ['items', 0, 'price'], [0]),
    ...mutate(order, ['items'], [[1, 2, 3].map(() => ({ productId: margherita, quantity: 20 }))]),
    ...mutate(order, ['totalCents'], [1]),
  ];
  const statusBodies = [
    ...mutate({ to: 'cancelled' }, ['to'], ['flying', ...BAD_TEXT]),
    ...mutate({ to: 'cancelled', version: 1 }, ['version'], BAD_NUMBERS),
    { to: 'cancelled', extra: 1 },
  ];
  const modifyBodies = [
    ...mutate({ items: [{ productId: margherita, quantity: 1 }] }, ['items', 0, 'productId'], BAD_NUMBERS),
    ...mutate({ items: [{ productId: margherita, quantity: 1 }] }, ['items', 0, 'quantity'], [...BAD_NUMBERS, 21]),
    ...mutate({ items: [{ productId: margherita, quantity: 1 }], version: 1 }, ['version'], [...BAD_NUMBERS.filter((v) => v !== 1)]),
    { items: [1, 2].map(() => ({ productId: margherita, quantity: 20 })) },
    { items: [{ productId: margherita, quantity: 1 }], status: 'delivered' },
  ];
  const loginBodies = [
    ...mutate({ email: 'nobody@ocpizza.test', password: 'x' }, ['email'], [...BAD_TEXT.filter((v) => v !== '' && v !== '   '), 'nobody@ocpizza.test\u0000']),
    ...mutate({ email: 'nobody@ocpizza.test', password: 'x' }, ['password'], [...BAD_TEXT.filter((v) => v !== '' && v !== '   ' && v !== 'line\nbreak' && typeof v !== 'string'), 'pass\u0000word', 'x'.repeat(201)]),
    { email: 'nobody@ocpizza.test', password: 'x', remember: true },
  ];
  const withBodies = (method: string, path: string, bodies: unknown[]): Case[] => [
    ...bodies.map((body) => ({ method, path, body })),
    ...JUNK_BODIES.map((body) => ({ method, path, body })),
    ...RAW_BODIES.map((raw) => ({ method, path, raw })),
    { method, path, raw: JSON.stringify({ pad: 'x'.repeat(40_000) }) },
  ];
  const token = placed.trackingToken;
  return {
    'POST /api/auth/login': withBodies('POST', '/api/auth/login', loginBodies),
    'GET /api/pizzerias/:id/menu': INT_PATHS.map((id) => ({ method: 'GET', path: `/api/pizzerias/${id}/menu` })),
    'POST /api/orders': [
      ...withBodies('POST', '/api/orders', orderBodies),
      ...['short', 'x'.repeat(101), 'has space', 'a;b=c-key'].map((key) => ({ method: 'POST', path: '/api/orders', body: order, headers: { 'idempotency-key': key } })),
    ],
    'GET /api/track/:token': TOKEN_PATHS.map((t) => ({ method: 'GET', path: `/api/track/${t}` })),
    'POST /api/track/:token/cancel': [
      ...TOKEN_PATHS.map((t) => ({ method: 'POST', path: `/api/track/${t}/cancel`, body: {} })),
      { method: 'POST', path: `/api/track/${token}/cancel`, raw: '{' },
    ],
    'PATCH /api/track/:token': [
      ...TOKEN_PATHS.map((t) => ({ method: 'PATCH', path: `/api/track/${t}`, body: { items: [{ productId: margherita, quantity: 1 }] } })),
      ...withBodies('PATCH', `/api/track/${token}`, modifyBodies),
    ],
    'GET /api/orders': [
      ...INT_PATHS.map((id) => ({ method: 'GET', path: `/api/orders?pizzeriaId=${id}` })),
      ...['flying', '%00', 'received%00', 'x'.repeat(3000)].map((s) => ({ method: 'GET', path: `/api/orders?status=${s}` })),
      { method: 'GET', path: '/api/orders?pizzeriaId=1&pizzeriaId=2' },
      { method: 'GET', path: '/api/orders?pizzeriaId[gt]=1' },
      { method: 'GET', path: '/api/orders?status=received&status=ready' },
      { method: 'GET', path: '/api/orders?limit=100000' },
    ],
    'GET /api/orders/:id': UUID_PATHS.map((id) => ({ method: 'GET', path: `/api/orders/${id}` })),
    'POST /api/orders/:id/status': [
      ...UUID_PATHS.map((id) => ({ method: 'POST', path: `/api/orders/${id}/status`, body: { to: 'cancelled' } })),
      ...withBodies('POST', `/api/orders/${placed.id}/status`, statusBodies),
    ],
    'POST /api/driver/shift': withBodies('POST', '/api/driver/shift', [
      ...mutate({ onShift: true }, ['onShift'], ['true', 1, 0, null, [], {}, 'yes\u0000']),
      { onShift: true, driverId: 1 },
    ]),
    'anywhere: hostile cookies and unknown routes': [
      { method: 'GET', path: '/api/orders', headers: { cookie: 'ocp_session=%E0%A4%A' } },
      { method: 'POST', path: '/api/orders', body: { nope: 1 }, headers: { cookie: `ocp_session=${'x'.repeat(5000)}` } },
      { method: 'GET', path: '/api/nowhere' },
      { method: 'DELETE', path: '/api/orders' },
      { method: 'PUT', path: `/api/orders/${placed.id}/status`, body: { to: 'cancelled' } },
      { method: 'GET', path: '/api/%E0%A4%A' },
    ],
  };
}

async function send(c: Case, cookie: string) {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.body !== undefined || c.raw !== undefined) headers['content-type'] = 'application/json';
  if (cookie && !headers.cookie) headers.cookie = cookie;
  const res = await fetch(stack.base + c.path, {
    method: c.method,
    headers,
    body: c.raw ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: reported below */
  }
  return { status: res.status, json, text };
}

describe('every API route answers hostile input with a 4xx and changes nothing', () => {
  for (const who of ['anonymous', 'admin', 'driver'] as const) {
    for (const route of ROUTES) {
      it(`${route}, as ${who}`, async () => {
        const before = await digest();
        const wrong: string[] = [];
        for (const c of cases()[route]) {
          const r = await send(c, sessions[who]);
          // the last-resort answer to a value Postgres refused means validation let it through: a miss too
          const reachedDatabase = /malformed or out of range/.test(r.json?.error?.message ?? '');
          if (r.status < 400 || r.status >= 500 || typeof r.json?.error?.code !== 'string' || reachedDatabase) {
            wrong.push(`${c.method} ${c.path.slice(0, 80)} ${JSON.stringify(c.body ?? c.raw ?? null)?.slice(0, 120)} -> ${r.status} ${r.text.slice(0, 160)}`);
          }
        }
        expect(wrong).toEqual([]);
        expect(await digest()).toBe(before);
      });
    }
  }

  it('still answers the valid requests it was guarding (the table is not refusing everything)', async () => {
    const admin = { cookie: sessions.admin };
    expect((await send({ method: 'GET', path: `/api/pizzerias/${SHOPS.canal}/menu` }, '')).status).toBe(200);
    expect((await send({ method: 'GET', path: `/api/track/${placed.trackingToken}` }, '')).status).toBe(200);
    expect((await send({ method: 'GET', path: `/api/orders/${placed.id}` }, admin.cookie)).status).toBe(200);
    expect((await send({ method: 'GET', path: `/api/orders?pizzeriaId=${SHOPS.canal}&status=received` }, admin.cookie)).status).toBe(200);
    // a cookie that does not decode is no session, not an error
    const me = await send({ method: 'GET', path: '/api/auth/me', headers: { cookie: 'ocp_session=%E0%A4%A' } }, '');
    expect([me.status, me.json]).toEqual([200, { user: null }]);
  });
});

// ---------- pages (the built SvelteKit app, as production mounts it; CI builds it first) ----------

const pagesBuilt = existsSync(join(process.cwd(), 'build', 'handler.js'));

describe.runIf(pagesBuilt || !!process.env.CI)('pages with params answer hostile values without a 500 and change nothing', () => {
  let pages: App;
  let pagesBase: string;
  let admin: string;

  beforeAll(async () => {
    // the built pages open their own pool and queue from the environment (a deployment gives
    // them the server's): this run's, or their account mails would wait under the default prefix
    process.env.DATABASE_URL = fileDatabase().databaseUrl;
    process.env.QUEUE_PREFIX = fileDatabase().queuePrefix;
    pages = await createApp({ config: testConfig(), log: silentLog, withPages: true });
    pagesBase = `http://127.0.0.1:${await pages.listen(0, '127.0.0.1')}`;
    admin = (await new Client(pagesBase).login('admin@ocpizza.test')).cookie;
  });
  afterAll(async () => {
    await pages?.close();
  });

  const page = (path: string, init: { method?: string; cookie?: string; form?: Record<string, string>; body?: string; type?: string } = {}) =>
    fetch(pagesBase + path, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        // as a browser navigates (not an enhanced form, which gets its result as JSON with a 200)
        accept: 'text/html',
        origin: pagesBase,
        ...(init.cookie ? { cookie: init.cookie } : {}),
        ...(init.form || init.type ? { 'content-type': init.type ?? 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : init.body,
    });

  it('answers a tracking link with a bad token with a 404', async () => {
    for (const t of TOKEN_PATHS) {
      const r = await page(`/track/${t}`);
      expect([400, 404], t).toContain(r.status);
    }
  });

  it('ignores or refuses hostile query parameters and form fields, never a 500', async () => {
    const before = await digest();
    const wrong: string[] = [];
    const check = async (what: string, r: Promise<Response>) => {
      const res = await r;
      if (res.status >= 500) wrong.push(`${what} -> ${res.status}`);
    };
    for (const v of ['99999999999', '2147483648', '-1', '1.5', '%00', 'x'.repeat(3000), '%E0%A4%A', '1&shop=2']) {
      await check(`/?shop=${v}`, page(`/?shop=${v}`));
      for (const p of ['/kitchen', '/counter', '/manager', '/manager/system']) await check(`${p}?shop=${v} as admin`, page(`${p}?shop=${v}`, { cookie: admin }));
      await check(`/kitchen?shop=${v} anonymous`, page(`/kitchen?shop=${v}`));
    }
    for (const next of ['/%00', '//evil.example', '/%5Cevil.example', '/%C3%A9', `/${'x'.repeat(3000)}`, '%E0%A4%A']) {
      await check(`/login?next=${next} as admin`, page(`/login?next=${next}`, { cookie: admin }));
    }
    for (const email of ['a\u0000b', 'nobody@ocpizza.test\u0000', 'x'.repeat(5000), '\u001b[31m']) {
      const r = await page('/login', { method: 'POST', form: { email, password: 'x\u0000y' } });
      if (r.status < 400 || r.status >= 500) wrong.push(`POST /login ${JSON.stringify(email).slice(0, 40)} -> ${r.status}`);
    }
    for (const [type, body] of [['application/json', '{"email":"a"}'], ['text/plain', 'email=a'], ['multipart/form-data; boundary=x', '--x--']]) {
      const r = await page('/login', { method: 'POST', type, body });
      if (r.status < 400 || r.status >= 500) wrong.push(`POST /login as ${type} -> ${r.status}`);
    }
    const noAction = await page(`/track/${placed.trackingToken}`, { method: 'POST', form: { items: '1' } });
    if (noAction.status < 400 || noAction.status >= 500) wrong.push(`POST /track/:token -> ${noAction.status}`);
    expect(wrong).toEqual([]);
    expect(await digest()).toBe(before);
  });
});
