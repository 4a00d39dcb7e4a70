// The failover drill (not a test): `npm run drill`.
//
// It starts, on this machine, the whole system as production runs it: Postgres as a Patroni cluster
// (a leader and a synchronous standby, the leader key in etcd, HAProxy in front), Redis with a
// replica and three sentinels, two servers behind Nginx and two workers processes (scripts/ha/).
// It drives an evening through Nginx, as the screens and phones do: customers order (pickup and
// delivery, paid at the door or by card on a Stripe-speaking server in this process), kitchens move
// their tickets, drivers are on shift, and kitchen, shop and head-office screens follow live. During
// it, one after the other, with the evening going on between:
//   1. the Postgres leader is killed (kill -9 of its Patroni and its postmaster);
//   2. the Redis master is killed;
//   3. a server is killed (kill -9; brought back afterwards, as systemd would);
//   4. a workers process is killed (kill -9; brought back afterwards).
// Then it stops the evening, lets the workers finish, and prints a table per fault: the time until
// an order is accepted again and until every screen is live again (an event written after the fault
// received), orders placed / acknowledged (201) / present afterwards, then for the whole evening:
// events lost, duplicated or out of order per screen (against the events the database stored),
// money (each card held, captured or let go on the provider exactly as the ledger says) and messages
// (each email sent once). It exits 1 when anything was lost, duplicated or wrong.
//
//   npm run drill [-- --gap 20 --keep --dir /tmp/ocpizza-drill]
//
// --gap    seconds of evening before the first fault and between faults (default 20)
// --every  seconds between two orders across the chain (default 0.5)
// --async-standby  Postgres' standby follows asynchronously (no synchronous mode) and is made 3 s
//          behind before the leader dies (the leader's WAL sender held still): what the failover loses
//          then is counted (orders answered 201 and absent afterwards)
// --keep   leave the cluster running at the end (its addresses are printed)
// --dir    where the cluster keeps its data and logs (default: a new folder under the system's tmp)
//
// Its client does what a real client does: an order is sent with an Idempotency-Key and sent again
// with the same key after a network error or a 5xx, until it is answered; a move answered 409
// (already made, its answer lost) is read back.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import Stripe from 'stripe';
import { io as ioClient } from 'socket.io-client';
import { LiveLink } from '../src/lib/realtime/live-link.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import { FakeStripe } from '../tests/stripe-server.ts';
import { startTestSmtp } from '../tests/services.ts';
import { startCluster, type Cluster } from './ha/cluster.ts';
import { checkHistory } from './ha/history.ts';
import { verifyJournal } from '../src/lib/server/fiscal/verify.ts';
import { appendEntries, lockChain } from '../src/lib/server/fiscal/journal.ts';
import { fiscalKeyFromPem } from '../src/lib/server/fiscal/keys.ts';
import { shopChain } from '../src/lib/domain/fiscal-chain.ts';
import { transaction } from '../src/lib/server/db.ts';

const { values: args } = parseArgs({
  options: {
    gap: { type: 'string', default: '20' },
    every: { type: 'string', default: '0.5' },
    'async-standby': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});
const GAP_MS = Number(args.gap) * 1000;
// Nginx serves the drill's site with a certificate made for it a minute ago: this process alone trusts it
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const RECOVERY_LIMIT_MS = 90_000;
/** With --async-standby: how long the standby stops receiving the leader's WAL before the leader dies. */
const STANDBY_BEHIND_MS = 3000;
/** An order every half second across the chain by default: a rush many times a real Friday's, so that every fault meets orders in flight. */
const PLACE_EVERY_MS = Number(args.every) * 1000;
const WEBHOOK_SECRET = 'whsec_drillLocalOnly';
const PASSWORD = 'drill-demo-password';
const SHOP_SLUGS = ['bastille', 'montmartre', 'batignolles', 'montparnasse', 'canal'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => console.log(line);
const stamp = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- a client that retries as a real one

interface Answer {
  status: number;
  body: any;
}

class Client {
  cookie = '';
  constructor(readonly base: string) {}
  /** One request; a network error is status 0. */
  async once(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    try {
      const res = await fetch(this.base + path, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
      const setCookie = res.headers.get('set-cookie');
      if (setCookie) this.cookie = setCookie.split(';')[0];
      const text = await res.text();
      let json: any = text;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: kept as text */
      }
      return { status: res.status, body: json };
    } catch (err) {
      return { status: 0, body: { error: { code: 'network', message: (err as Error).message } } };
    }
  }
  /** Sent again (the same request, the same headers) after a network error or a 5xx, up to `limitMs`. */
  async retried(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, limitMs = RECOVERY_LIMIT_MS): Promise<Answer & { tries: number }> {
    const until = Date.now() + limitMs;
    for (let tries = 1; ; tries++) {
      const r = await this.once(method, path, body, headers);
      if ((r.status !== 0 && r.status < 500) || Date.now() > until) return { ...r, tries };
      await sleep(Math.min(250 * tries, 1000));
    }
  }
  async login(email: string) {
    const r = await this.retried('POST', '/api/auth/login', { email, password: PASSWORD });
    if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
    return this;
  }
}

// ---------------------------------------------------------------- the screens

interface Screen {
  name: string;
  pizzeriaId: number | null;
  startAfter: number;
  received: { e: OrderUpdated; at: number }[];
  link: LiveLink;
  close(): void;
}

async function openScreen(base: string, staff: Client, name: string, scope: 'kitchen' | 'shop' | 'hq', pizzeriaId: number | null, startAfter: number): Promise<Screen> {
  const socket = ioClient(base, { transports: ['websocket'], rejectUnauthorized: false, extraHeaders: { cookie: staff.cookie }, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
  const received: Screen['received'] = [];
  let live!: () => void;
  const first = new Promise<void>((r) => (live = r));
  const link = new LiveLink(socket, {
    subscription: { scope, ...(pizzeriaId ? { pizzeriaId } : {}) },
    lastEventId: startAfter,
    onEvent: (e) => received.push({ e, at: Date.now() }),
    onResync: async () => {
      throw new Error(`${name} was told to reload: the gap could not be replayed`);
    },
    onStatus: (status) => status === 'live' && live(),
    comebackDelayMs: () => 200,
  });
  await first;
  return { name, pizzeriaId, startAfter, received, link, close: () => link.close() };
}

// ---------------------------------------------------------------- the evening

type Way = 'pickup-door' | 'delivery-door' | 'pickup-card';
interface Placed {
  key: string;
  way: Way;
  shop: number;
  email: string;
  sentAt: number;
  ackAt: number | null;
  tries: number;
  id: string | null;
  token: string | null;
  total: number;
  status: string;
  done: boolean;
  refused: string | null;
}

interface Shop {
  id: number;
  slug: string;
  kitchen: Client;
  manager: Client;
}

function evening(o: { base: string; shops: Shop[]; stripe: FakeStripe; signer: Stripe; products: number[] }) {
  const placed: Placed[] = [];
  let stopped = false;
  let n = 0;
  const customer = new Client(o.base);

  async function deliverWebhook(event: object) {
    const payload = JSON.stringify(event);
    const header = o.signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const until = Date.now() + RECOVERY_LIMIT_MS;
    // Stripe sends a webhook again until it is answered 2xx
    for (;;) {
      const r = await customer.once('POST', '/api/payments/stripe/webhook', JSON.parse(payload), { 'stripe-signature': header });
      if ((r.status >= 200 && r.status < 300) || Date.now() > until) return r;
      await sleep(500);
    }
  }

  async function payByCard(p: Placed) {
    const until = Date.now() + RECOVERY_LIMIT_MS;
    let intent = o.stripe.intentOf(p.id!);
    while (!intent && Date.now() < until) {
      await sleep(200);
      intent = o.stripe.intentOf(p.id!);
    }
    if (!intent) return void (p.refused = 'no payment form');
    o.stripe.authorise(intent);
    await deliverWebhook(o.stripe.event('payment_intent.amount_capturable_updated', intent));
  }

  async function place() {
    const i = n++;
    const shop = o.shops[i % o.shops.length];
    const way: Way = (['pickup-door', 'delivery-door', 'pickup-card', 'pickup-door'] as const)[i % 4];
    const email = `drill-${i}@example.test`;
    const p: Placed = { key: randomUUID(), way, shop: shop.id, email, sentAt: Date.now(), ackAt: null, tries: 0, id: null, token: null, total: 0, status: '', done: false, refused: null };
    placed.push(p);
    const body = {
      pizzeriaId: shop.id,
      fulfilment: way === 'delivery-door' ? 'delivery' : 'pickup',
      customer: { name: `Client ${i}`, phone: `06${String(10_000_000 + i).slice(-8)}`, email },
      ...(way === 'delivery-door' ? { address: ADDRESSES[shop.slug] } : {}),
      items: [{ productId: o.products[i % o.products.length], quantity: 1 + (i % 2) }],
      payment: way === 'pickup-card' ? 'online' : 'on_delivery',
    };
    const r = await customer.retried('POST', '/api/orders', body, { 'idempotency-key': p.key });
    p.tries = r.tries;
    if (r.status !== 201) return void (p.refused = `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    Object.assign(p, { ackAt: Date.now(), id: r.body.id, token: r.body.trackingToken, total: r.body.total, status: r.body.status });
    if (way === 'pickup-card') await payByCard(p);
  }

  const NEXT: Record<string, string> = { received: 'preparing', preparing: 'ready', ready: 'collected' };
  async function moveOne(p: Placed) {
    const shop = o.shops.find((s) => s.id === p.shop)!;
    const seen = await shop.kitchen.retried('GET', `/api/orders/${p.id}`);
    if (seen.status !== 200) return;
    p.status = seen.body.status;
    const to = NEXT[p.status];
    if (!to || (to === 'collected' && p.way === 'delivery-door')) return void (p.done = p.status !== 'pending_payment' && (!to || to === 'collected'));
    const due = Number(seen.body.amountDueCents ?? 0);
    const r = await shop.kitchen.retried('POST', `/api/orders/${p.id}/status`, { to, ...(to === 'collected' && due > 0 ? { paymentMethod: 'cash' } : {}) });
    if (r.status === 200) p.status = r.body.status ?? to;
  }

  const placing = (async () => {
    while (!stopped) {
      const at = Date.now();
      void place();
      await sleep(Math.max(0, PLACE_EVERY_MS - (Date.now() - at)));
    }
  })();
  const moving = (async () => {
    while (!stopped) {
      const open = placed.filter((p) => p.id && !p.done && p.status !== 'pending_payment').slice(0, 12);
      await Promise.all(open.map((p) => moveOne(p).catch(() => undefined)));
      // the card orders wait for their payment: read again now and then
      for (const p of placed.filter((p) => p.id && p.status === 'pending_payment').slice(0, 3)) {
        const seen = await o.shops.find((s) => s.id === p.shop)!.kitchen.once('GET', `/api/orders/${p.id}`);
        if (seen.status === 200) p.status = seen.body.status;
      }
      await sleep(250);
    }
  })();
  return {
    placed,
    async stop() {
      stopped = true;
      await Promise.all([placing, moving]);
      // the orders in flight get their answers
      const until = Date.now() + RECOVERY_LIMIT_MS;
      while (placed.some((p) => !p.ackAt && !p.refused) && Date.now() < until) await sleep(200);
    },
  };
}

const ADDRESSES: Record<string, { street: string; postcode: string; city: string; lat: number; lng: number }> = {
  bastille: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 },
  montmartre: { street: '20 rue Lepic', postcode: '75018', city: 'Paris', lat: 48.8853, lng: 2.3336 },
  batignolles: { street: '30 rue des Dames', postcode: '75017', city: 'Paris', lat: 48.8837, lng: 2.3216 },
  montparnasse: { street: '10 rue de la Gaîté', postcode: '75014', city: 'Paris', lat: 48.8395, lng: 2.3233 },
  canal: { street: '40 quai de Valmy', postcode: '75010', city: 'Paris', lat: 48.8716, lng: 2.3648 },
};

// ---------------------------------------------------------------- the faults

interface FaultFigures {
  name: string;
  at: number;
  acceptedAgainMs: number | null;
  screensLiveMs: number | null;
  placed: number;
  acknowledged: number;
  present: number;
  refused: number;
}

async function recoveryOf(t0: number, placed: Placed[], screens: Screen[], pool: pg.Pool, lastEventBefore: number) {
  const until = t0 + RECOVERY_LIMIT_MS;
  let acceptedAgainMs: number | null = null;
  let screensLiveMs: number | null = null;
  while (Date.now() < until && (acceptedAgainMs === null || screensLiveMs === null)) {
    if (acceptedAgainMs === null) {
      const first = placed.filter((p) => p.sentAt >= t0 && p.ackAt).sort((a, b) => a.ackAt! - b.ackAt!)[0];
      if (first) acceptedAgainMs = first.ackAt! - t0;
    }
    if (screensLiveMs === null) {
      // each screen has an event the database wrote after the fault (its shop's, for a shop's screen)
      const after = await pool
        .query<{ id: string; pizzeria_id: number }>('SELECT id, pizzeria_id FROM order_events WHERE id > $1 ORDER BY id', [lastEventBefore])
        .then((r) => r.rows.map((x) => ({ id: Number(x.id), shop: x.pizzeria_id })))
        .catch(() => []);
      const times = screens.map((s) => {
        const ids = new Set(after.filter((a) => s.pizzeriaId === null || a.shop === s.pizzeriaId).map((a) => a.id));
        return s.received.find((r) => r.at >= t0 && ids.has(r.e.eventId))?.at ?? null;
      });
      if (times.every((t) => t !== null)) screensLiveMs = Math.max(...(times as number[])) - t0;
    }
    await sleep(200);
  }
  return { acceptedAgainMs, screensLiveMs };
}

/** How long after `t0` a new connection through HAProxy reaches a Postgres that takes writes. */
async function writableAgain(url: string, t0: number): Promise<number | null> {
  while (Date.now() - t0 < RECOVERY_LIMIT_MS) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    const ok = await c
      .connect()
      .then(() => c.query<{ w: boolean }>('SELECT NOT pg_is_in_recovery() AS w'))
      .then((r) => r.rows[0].w)
      .catch(() => false);
    await c.end().catch(() => undefined);
    if (ok) return Date.now() - t0;
    await sleep(200);
  }
  return null;
}

// ---------------------------------------------------------------- the drill

async function main() {
  const started = Date.now();
  const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'ocpizza-drill-'));
  const stripe = new FakeStripe();
  const stripeUrl = await stripe.start();
  const smtp = await startTestSmtp();
  say(`# Failover drill, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — data and logs in ${dir}`);
  let cluster: Cluster | null = null;
  const closers: (() => unknown)[] = [];
  try {
    cluster = await startCluster({
      dir,
      synchronous: !args['async-standby'],
      env: {
        DEMO_PASSWORD: PASSWORD,
        STRIPE_SECRET_KEY: 'sk_test_drillLocal',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_PUBLISHABLE_KEY: 'pk_test_drillLocal',
        STRIPE_API_URL: stripeUrl,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'OC Pizza <commandes@ocpizza.test>',
        GEOCODER_URL: 'none',
        MAP_TILE_URL: 'none',
        DISPATCH_PRESENT_ONLY: 'false',
        OFFER_TIMEOUT_SECONDS: '0',
        // one address places the whole evening's orders
        RATE_LIMIT_ORDERS: '100000',
        UNPAID_ORDERS_PER_CLIENT: '100000',
        UNPAID_ITEMS_PER_CLIENT: '100000',
        UNPAID_STOCK_SHARE: '1',
        ORDERS_PER_CONTACT_PER_HOUR: '100000',
        MESSAGES_PER_DESTINATION_PER_HOUR: '100000',
        MESSAGES_PER_CLIENT_PER_HOUR: '100000',
        SOCKET_CONNECTS_PER_MINUTE: '100000',
        SOCKET_MAX_PER_ADDRESS: '100000',
        // and signs its staff in from there
        RATE_LIMIT_LOGIN: '1000',
      },
      log: (line) => say(`  ${stamp(started)}  ${line}`),
    });
    say(`cluster up in ${stamp(started)}: ${cluster.describe()}`);
    const pool = new pg.Pool({ connectionString: cluster.databaseUrl, max: 4 });
    pool.on('error', () => undefined);
    closers.push(() => pool.end());
    // plenty of stock: the evening is about faults, not about running out
    await pool.query('UPDATE stock SET on_hand = 100000');
    const products = (await pool.query<{ id: number }>("SELECT id FROM products WHERE category = 'pizza' AND active ORDER BY id LIMIT 4")).rows.map((r) => r.id);

    const base = cluster.base;
    const closings: Promise<{ shop: string; status: number; tries: number }>[] = [];
    const yesterday = new Date(Date.now() - 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
    const shops: Shop[] = [];
    for (const slug of SHOP_SLUGS) {
      const id = (await pool.query<{ id: number }>('SELECT id FROM pizzerias WHERE slug = $1', [slug])).rows[0].id;
      shops.push({ id, slug, kitchen: await new Client(base).login(`kitchen.${slug}@ocpizza.test`), manager: await new Client(base).login(`manager.${slug}@ocpizza.test`) });
      for (const d of ['driver1', 'driver2']) await (await new Client(base).login(`${d}.${slug}@ocpizza.test`)).retried('POST', '/api/driver/shift', { onShift: true });
    }
    const hq = await new Client(base).login('admin@ocpizza.test');
    const startAfter = Number((await pool.query('SELECT coalesce(max(id), 0) AS n FROM order_events')).rows[0].n);
    const screens: Screen[] = [];
    for (const s of shops) {
      screens.push(await openScreen(base, s.kitchen, `kitchen ${s.slug}`, 'kitchen', s.id, startAfter));
      screens.push(await openScreen(base, s.manager, `shop ${s.slug}`, 'shop', s.id, startAfter));
    }
    screens.push(await openScreen(base, hq, 'head office', 'hq', null, startAfter));
    for (const s of screens) closers.push(() => s.close());
    say(`${screens.length} screens live; the evening starts (an order every ${PLACE_EVERY_MS / 1000} s, every ticket moved along)`);

    // the cluster starts today: each shop's journal is given yesterday's last sale (a card payment,
    // signed with the cluster's key), so that yesterday has something to close during the failover
    const fiscalKey = fiscalKeyFromPem(cluster.fiscalKeyPem);
    for (const s of shops) {
      const chain = shopChain(s.id);
      await transaction(pool, async (tx) =>
        appendEntries(tx, chain, await lockChain(tx, chain), [{
          kind: 'payment', sourceKey: `drill-yesterday:${s.id}`, occurredAt: `${yesterday}T20:00:00.000Z`, operator: 'system', orderId: null,
          body: { order: { businessDay: yesterday }, payments: [{ way: 'counter_card', cents: 1250 }] }, salesCents: 0, vatCents: 0, moneyCents: 1250,
        }], fiscalKey),
      );
    }

    const night = evening({ base, shops, stripe, signer: new Stripe('sk_test_drillSigner'), products });
    const faults: FaultFigures[] = [];
    const lastEventId = async () => Number((await pool.query('SELECT coalesce(max(id), 0) AS n FROM order_events')).rows[0].n);
    const steps: [string, () => Promise<unknown>, (() => Promise<unknown>) | null][] = [
      [
        args['async-standby'] ? `Postgres leader killed (kill -9), its asynchronous standby ${STANDBY_BEHIND_MS / 1000} s behind` : 'Postgres leader killed (kill -9)',
        () => cluster!.killPostgresLeader({ standbyBehindMs: args['async-standby'] ? STANDBY_BEHIND_MS : 0 }),
        () => cluster!.restorePostgres(),
      ],
      ['Redis master killed (kill -9)', () => cluster!.killRedisMaster(), () => cluster!.restoreRedis()],
      ['a server killed (kill -9)', () => cluster!.killServer(0), () => cluster!.restartServer(0)],
      ['a workers process killed (kill -9)', () => cluster!.killWorkers(0), () => cluster!.restartWorkers(0)],
    ];
    await sleep(GAP_MS);
    for (const [name, fault, restore] of steps) {
      const before = await lastEventId();
      const up = cluster.alive();
      if (![...up.servers, ...up.workers].every(Boolean)) say(`${stamp(started)}  before the fault, running: servers ${up.servers}, workers ${up.workers}`);
      const windowStart = Date.now();
      await fault();
      // recovery is timed from the kill (with --async-standby the fault first holds the standby back)
      const t0 = Date.now();
      say(`${stamp(started)}  ${name}`);
      // head office closes yesterday for every shop while Postgres fails over (a closing cut in the middle)
      if (name.startsWith('Postgres')) closings.push(...shops.map((s) => s.manager.retried('POST', `/api/shops/${s.id}/fiscal/closings`, { day: yesterday }).then((r) => ({ shop: s.slug, status: r.status, tries: r.tries }))));
      // the engines' own part: when the database takes writes again (a new leader behind HAProxy)
      const writable = name.startsWith('Postgres') ? writableAgain(cluster.databaseUrl, t0) : Promise.resolve(null);
      const r = await recoveryOf(t0, night.placed, screens, pool, before);
      const dbMs = await writable;
      if (dbMs !== null) say(`${stamp(started)}    the database took writes again after ${dbMs} ms (the standby promoted, HAProxy pointing at it)`);
      say(`${stamp(started)}    orders accepted again after ${r.acceptedAgainMs ?? '—'} ms, every screen live again after ${r.screensLiveMs ?? '—'} ms`);
      faults.push({ name, at: windowStart, ...r, placed: 0, acknowledged: 0, present: 0, refused: 0 });
      await sleep(GAP_MS);
      // the dead machine comes back (systemd, Patroni's own restart), as the operator's runbook says
      if (restore) await restore();
    }
    await night.stop();
    say(`${stamp(started)}  the evening stops; the workers finish what is left`);
    await sleep(8000);

    // ------------------------------------------------------------ the account
    const placed = night.placed;
    const acked = placed.filter((p) => p.id);
    const present = new Set(
      (await pool.query<{ id: string }>('SELECT id FROM orders WHERE id = ANY($1::uuid[])', [acked.map((p) => p.id)])).rows.map((r) => r.id),
    );
    // a duplicate is an order more than one for a placing: each placing has its own email
    const perEmail = (await pool.query<{ email: string; n: string }>("SELECT customer_email AS email, count(*) AS n FROM orders WHERE customer_email LIKE 'drill-%' GROUP BY 1")).rows;
    const duplicatedOrders = perEmail.filter((r) => Number(r.n) > 1).length;
    const windows = faults.map((f, i) => [f.at, faults[i + 1]?.at ?? Infinity] as const);
    faults.forEach((f, i) => {
      const inWindow = placed.filter((p) => p.sentAt >= windows[i][0] && p.sentAt < windows[i][1]);
      Object.assign(f, {
        placed: inWindow.length,
        acknowledged: inWindow.filter((p) => p.id).length,
        present: inWindow.filter((p) => p.id && present.has(p.id)).length,
        refused: inWindow.filter((p) => p.refused).length,
      });
    });

    // events: each screen against what the database stored for it after its start
    const stored = (await pool.query<{ id: string; pizzeria_id: number }>('SELECT id, pizzeria_id FROM order_events WHERE id > $1 ORDER BY id', [startAfter])).rows.map((r) => ({
      id: Number(r.id),
      shop: r.pizzeria_id,
    }));
    const eventRows = screens.map((s) => {
      const expected = stored.filter((e) => s.pizzeriaId === null || e.shop === s.pizzeriaId).map((e) => e.id);
      const got = s.received.map((r) => r.e.eventId);
      const h = checkHistory(got, expected);
      const [lost, duplicated, outOfOrder] = [h.lost.length, h.duplicated.length, h.outOfOrder.length];
      // events a screen was shown that the database no longer has (written on a leader that died before its standby had them)
      const storedIds = new Set(expected);
      // a publish cut by the leader's death and published again (publishes do not wait for the standby,
      // migration 0030) shows the same order version under a new id: counted apart, kept once by the screen
      const again = (id: number) => {
        const e = s.received.find((r) => r.e.eventId === id)!.e;
        return s.received.some((r) => storedIds.has(r.e.eventId) && r.e.order.id === e.order.id && r.e.order.version === e.order.version);
      };
      const gone = [...new Set(got.filter((id) => !storedIds.has(id)))];
      const phantom = gone.filter((id) => !again(id)).length;
      const republished = gone.length - phantom;
      return { name: s.name, expected: expected.length, received: got.length, lost, duplicated, outOfOrder, phantom, republished };
    });

    // money: every card order as the provider has it, against the ledger
    const cards = acked.filter((p) => p.way === 'pickup-card');
    const ledger = new Map<string, { captured: number; released: number; authorised: number }>();
    for (const r of (await pool.query<{ order_id: string; kind: string; total: string }>(
      'SELECT order_id, kind, sum(amount_cents) AS total FROM payment_movements WHERE order_id = ANY($1::uuid[]) GROUP BY 1, 2',
      [cards.map((p) => p.id)],
    )).rows) {
      const m = ledger.get(r.order_id) ?? { captured: 0, released: 0, authorised: 0 };
      (m as Record<string, number>)[r.kind] = Number(r.total);
      ledger.set(r.order_id, m);
    }
    const moneyWrong: string[] = [];
    for (const p of cards) {
      const intent = stripe.intentOf(p.id!);
      const m = ledger.get(p.id!) ?? { captured: 0, released: 0, authorised: 0 };
      if (!intent) moneyWrong.push(`${p.id}: no payment at the provider`);
      else if (intent.amount_received !== m.captured) moneyWrong.push(`${p.id}: provider took ${intent.amount_received}, ledger says ${m.captured}`);
      else if (intent.status === 'succeeded' && intent.amount_received !== p.total) moneyWrong.push(`${p.id}: took ${intent.amount_received} of ${p.total}`);
    }
    const capturedCards = cards.filter((p) => stripe.intentOf(p.id!)?.status === 'succeeded').length;
    const captureCalls = stripe.calls.filter((c) => c.path.endsWith('/capture')).length;

    // messages: each email once (a placing has its own address; the same subject twice is a duplicate)
    const mails = new Map<string, number>();
    for (const m of smtp.inbox) {
      const to = (Array.isArray(m.to) ? m.to[0] : m.to)?.text ?? '';
      const k = `${to}|${m.subject}`;
      mails.set(k, (mails.get(k) ?? 0) + 1);
    }
    const twice = [...mails.entries()].filter(([, v]) => v > 1);
    const mailsTwice = twice.length;

    // the fiscal journal: every chain whole after the faults, and yesterday closed once per shop
    const closed = await Promise.all(closings);
    const perShop = (await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM fiscal_entries WHERE kind = 'closing' AND body->>'level' = 'day' AND body->'period'->>'key' = $1 GROUP BY chain",
      [yesterday],
    )).rows.map((r) => Number(r.n));
    const journal = await verifyJournal(pool);

    say('');
    say(`## Failover drill — ${new Date().toISOString().slice(0, 10)}, ${Math.round((Date.now() - started) / 1000)} s on this machine`);
    say('');
    say('| fault | orders accepted again after | every screen live again after | orders placed | answered 201 | present afterwards | refused |');
    say('| --- | --- | --- | --- | --- | --- | --- |');
    for (const f of faults) {
      const ms = (v: number | null) => (v === null ? 'not within 90 s' : `${(v / 1000).toFixed(1)} s`);
      say(`| ${f.name} | ${ms(f.acceptedAgainMs)} | ${ms(f.screensLiveMs)} | ${f.placed} | ${f.acknowledged} | ${f.present} | ${f.refused} |`);
    }
    const lostOrders = acked.filter((p) => !present.has(p.id!)).length;
    const totals = eventRows.reduce(
      (t, r) => ({ expected: t.expected + r.expected, lost: t.lost + r.lost, duplicated: t.duplicated + r.duplicated, outOfOrder: t.outOfOrder + r.outOfOrder, phantom: t.phantom + r.phantom, republished: t.republished + r.republished }),
      { expected: 0, lost: 0, duplicated: 0, outOfOrder: 0, phantom: 0, republished: 0 },
    );
    say('');
    say(`Whole evening: ${placed.length} orders placed, ${acked.length} answered 201, ${lostOrders} of them lost, ${duplicatedOrders} duplicated; ${placed.filter((p) => p.refused).length} refused.`);
    say(`Screens (${screens.length}): ${totals.expected} deliveries expected, ${totals.lost} lost, ${totals.duplicated} duplicated, ${totals.outOfOrder} out of order, ${totals.phantom} shown that the database no longer has (and ${totals.republished} shown under an id lost with the leader, the same order version coming again under a new one).`);
    // each event shown that the database no longer has: what it was, and whether the same order version came again under another id
    const storedSet = new Set(stored.map((e) => e.id));
    const shown = new Map<number, OrderUpdated>();
    for (const sc of screens) for (const r of sc.received) if (!storedSet.has(r.e.eventId)) shown.set(r.e.eventId, r.e);
    for (const e of shown.values()) {
      const again = screens.flatMap((sc) => sc.received).find((r) => storedSet.has(r.e.eventId) && r.e.order.id === e.order.id && r.e.order.version === e.order.version);
      say(`  event #${e.eventId} (${e.type}, order ${e.order.number} version ${e.order.version}, at ${e.at}) is not in the database${again ? `; the same version came again as #${again.e.eventId} (${again.e.type})` : '; that version never came again'}`);
    }
    for (const r of eventRows.filter((r) => r.lost || r.duplicated || r.outOfOrder || r.phantom))
      say(`  ${r.name}: ${r.expected} expected, ${r.received} received, ${r.lost} lost, ${r.duplicated} duplicated, ${r.outOfOrder} out of order, ${r.phantom} no longer in the database`);
    say(`Money: ${cards.length} card orders, ${capturedCards} captured at the provider (${captureCalls} capture calls), ${moneyWrong.length} differing from the ledger.`);
    for (const w of moneyWrong.slice(0, 10)) say(`  ${w}`);
    say(`Fiscal journal: ${journal.chains.length} chains, ${journal.ok ? 'all whole' : 'BROKEN'}; yesterday's closing asked during the Postgres failover for ${closed.length} shops (answers ${closed.map((c) => `${c.status}${c.tries > 1 ? ` after ${c.tries} tries` : ''}`).join(', ')}), closed once in each: ${perShop.length === shops.length && perShop.every((n) => n === 1) ? 'yes' : `NO (${perShop.join(', ')})`}.`);
    say(`Messages: ${smtp.inbox.length} emails, ${mailsTwice} sent twice.`);
    for (const [k, v] of twice.slice(0, 10)) say(`  ${v} times: ${k}`);
    for (const p of placed.filter((p) => p.refused).slice(0, 5)) say(`  refused: ${p.way} ${p.refused}`);
    const failed = !journal.ok || perShop.length !== shops.length || perShop.some((n) => n !== 1) || closed.some((c) => c.status !== 200) || lostOrders > 0 || duplicatedOrders > 0 || totals.lost > 0 || totals.duplicated > 0 || totals.outOfOrder > 0 || totals.phantom > 0 || moneyWrong.length > 0 || mailsTwice > 0;
    if (args.keep) say(`\nThe cluster keeps running: ${cluster.describe()}`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (cluster && !args.keep) await cluster.stop();
    await stripe.stop();
    await smtp.close();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
