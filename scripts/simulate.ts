// A demo without people: customers order at a steady rate, each shop's kitchen bakes what comes in
// (station by station where the shop has stations: the oven and the cold station cross their lines
// off, the pass sends out what every station has made),
// and drivers on scooters accept the offers, pick up, ride to the door along a straight line
// (sharing their position as a phone would), hand over with the customer's PIN, and ride back.
// Everything goes through the running server's API and sockets, as real screens do, so the
// manager's map, dispatch and the tracking pages' ETA move as on a real evening.
//
//   npm run simulate -- --drivers 3 --rate 6 --pace 3
//
// --base      the running server (default http://127.0.0.1:$PORT or :3000)
// --drivers   drivers per shop (default 2, the seeded ones; more are created as "Sim" drivers)
// --rate      orders per minute across the chain (default 6)
// --pace      how much faster than life the kitchens and the scooters go (default 3)
// --shops     which shops, by slug, comma-separated (default all)
// --minutes   stop after this long (default: until Ctrl-C)
// --decline   share of offers a driver declines (default 0.1)
//
//   npm run simulate -- --evening [--orders 60 --rush 0.7 --drivers 5 --cooks 3 --radius 2500 --seeds 10 --platform-share 0.3]
//
// --evening   no server: one shop's evening in virtual time, the same customers served firing at
//             once and by the shop's plan, as a table (promise kept, its error, pizzas waiting for
//             their driver, orders per driver-hour); --drivers defaults to 5 there, --rush is the
//             share of the orders between 19:30 and 21:00; --platform-share adds the delivery
//             platforms' orders (that share of all, collected by their couriers) and a row of the
//             plan blind to them
//
// Its customers are anonymous web customers, all from this machine's address: the server's limit
// of customer calls per address (RATE_LIMIT_ORDERS, 60 per 10 minutes) is meant for one person,
// not for a crowd. Start the server for a simulation with RATE_LIMIT_ORDERS=1000 (docs/simulator.md, "A demo
// with drivers on the road"); the simulator says at start how many calls its rate needs, and says
// so again (then waits) if the server refuses one. Each customer has a phone and an email of their
// own, and pays online within seconds.
//
// A server that restarts (or is away for a while) does not stop it: every call is tried again with
// a growing pause (up to 10 s), a session the server forgot is opened again, the drivers' phones
// reconnect and read their deliveries again; each of these is said in the output.
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import { parseConfig } from '../src/lib/server/config.ts';
import { distanceM, type LatLng } from '../src/lib/domain/geo.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { OrderView } from '../src/lib/shapes/views.ts';
import { linesAt, madeEverywhere, type Station } from '../src/lib/domain/stations.ts';
import { DEFAULT_HANDOVER_TARGET_SECONDS, DEFAULT_START_TARGET_SECONDS, stageFigures } from '../src/lib/domain/speed-of-service.ts';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    drivers: { type: 'string', default: '2' },
    rate: { type: 'string', default: '6' },
    pace: { type: 'string', default: '3' },
    shops: { type: 'string' },
    minutes: { type: 'string' },
    decline: { type: 'string', default: '0.1' },
    evening: { type: 'boolean', default: false },
    orders: { type: 'string', default: '60' },
    cooks: { type: 'string', default: '3' },
    seeds: { type: 'string', default: '10' },
    radius: { type: 'string', default: '2500' },
    rush: { type: 'string', default: '0.7' },
    'platform-share': { type: 'string', default: '0' },
  },
});
// --evening: the planner against firing at once, in virtual time (scripts/evening-table.ts): no server needed
if (args.evening) {
  const { eveningTable } = await import('./evening-table.ts');
  const n = (v: string | undefined, min: number, max: number) => Math.max(min, Math.min(max, Number(v)));
  process.stdout.write(`${eveningTable({ orders: n(args.orders, 1, 2000), drivers: n(process.argv.includes('--drivers') ? args.drivers : '5', 1, 50), cooks: n(args.cooks, 1, 10), radiusM: n(args.radius, 500, 10_000), rushShare: n(args.rush, 0, 1), seeds: n(args.seeds, 1, 100), platformShare: n(args['platform-share'], 0, 0.8) })}\n`);
  process.exit(0);
}
// RATE_LIMIT_ORDERS of this environment: the server's, when both read the same settings (.env)
if (existsSync('.env') && !process.env.DATABASE_URL) process.loadEnvFile('.env');
const config = parseConfig(process.env);
const BASE = (args.base ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
const DRIVERS = Math.max(1, Math.min(20, Number(args.drivers)));
const RATE = Math.max(0.1, Number(args.rate));
const PACE = Math.max(0.5, Math.min(60, Number(args.pace)));
const DECLINE = Math.max(0, Math.min(1, Number(args.decline)));
const PASSWORD = config.demoPassword;
if (!PASSWORD) throw new Error('the simulator logs in with DEMO_PASSWORD: set it (the seed uses it)');
const SPEED_MS = (config.eta.speedKmh.scooter * 1000) / 3600;

const log = (msg: string) => process.stdout.write(`${new Date().toLocaleTimeString('fr-FR')} ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (min: number, max: number) => min + Math.random() * (max - min);

/**
 * Whether the server answers: said once when it stops answering and once when it is back, however
 * many calls were waiting meanwhile.
 */
const server = {
  awaySince: 0,
  away(reason: string) {
    if (this.awaySince) return;
    this.awaySince = Date.now();
    log(`server unreachable (${reason}): retrying with backoff until it is back`);
  },
  back() {
    if (!this.awaySince) return;
    log(`server back after ${Math.round((Date.now() - this.awaySince) / 1000)} s: carrying on`);
    this.awaySince = 0;
  },
};
let limitSaidAt = 0;

/**
 * An HTTP client with a session cookie, as a browser keeps one. A call the server did not answer
 * (restarting, a proxy's 502/503/504) is tried again after 0.5 s, 1 s, 2 s… up to 10 s; a staff
 * session the server no longer knows is opened again; a refusal of the per-address limit waits as
 * the server says. A POST keeps its idempotency key across tries, so an order is placed once.
 */
class Session {
  cookie = '';
  email: string | null = null;
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && stopping) throw new Error('stopping');
      let res: Response;
      try {
        res = await fetch(BASE + path, {
          method,
          headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(15_000),
        });
      } catch (err) {
        server.away((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name);
        await sleep(backoff(attempt));
        continue;
      }
      if (res.status === 502 || res.status === 503 || res.status === 504) {
        server.away(`HTTP ${res.status}`);
        await sleep(backoff(attempt));
        continue;
      }
      server.back();
      const set = res.headers.get('set-cookie');
      if (set) this.cookie = set.split(';')[0];
      const answer = await res.json().catch(() => null);
      if (res.status === 401 && this.email && !relogged && path !== '/api/auth/login') {
        log(`${this.email}: session gone, logging in again`);
        relogged = true;
        await this.login(this.email);
        continue;
      }
      if (res.status === 429 && answer?.error?.code === 'rate_limited') {
        const wait = Math.min(600, Number(res.headers.get('retry-after')) || 60);
        if (Date.now() - limitSaidAt > 60_000) {
          limitSaidAt = Date.now();
          log(`the server refused a customer call: its limit per address (RATE_LIMIT_ORDERS) is too low for ${RATE} orders/min; start it with RATE_LIMIT_ORDERS=1000 for a simulation (docs/simulator.md). Waiting ${wait} s`);
        }
        await sleep(wait * 1000);
        continue;
      }
      return { status: res.status, body: answer };
    }
  }
  async login(email: string) {
    this.email = email;
    this.cookie = '';
    const r = await this.call('POST', '/api/auth/login', { email, password: PASSWORD });
    if (r.status !== 200) throw new Error(`${email} could not log in (${r.status}): is the database seeded with this DEMO_PASSWORD?`);
    return this;
  }
}

const backoff = (attempt: number) => Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)) * jitter(0.8, 1.2);

/** Runs one round of a loop; a round that fails is said and the loop goes on (nothing stops silently). */
async function round(who: string, work: () => Promise<void>) {
  try {
    await work();
  } catch (err) {
    if (!stopping) log(`${who}: ${(err as Error).message}; going on`);
  }
}

/** What a shop sells, as the customers pick: its pizzas, and its drinks and desserts. */
interface Menu {
  pizzas: number[];
  sides: number[];
}

interface Shop {
  id: number;
  slug: string;
  name: string;
  lat: number;
  lng: number;
  zone: { kind: 'radius'; radiusM: number } | { kind: 'polygon' };
}

/** A point `metres` from `from` towards `bearing` degrees. */
function offset(from: LatLng, metres: number, bearing: number): LatLng {
  const rad = (bearing * Math.PI) / 180;
  return {
    lat: from.lat + (metres * Math.cos(rad)) / 111_320,
    lng: from.lng + (metres * Math.sin(rad)) / (111_320 * Math.cos((from.lat * Math.PI) / 180)),
  };
}

const tracking = new Map<string, string>();
let stopping = false;

/** Extra drivers beyond the two seeded per shop, with the demo password (copied from the seeded admin's hash). */
async function ensureDrivers(shops: Shop[]): Promise<void> {
  if (DRIVERS <= 2) return;
  const db = new pg.Client({ connectionString: config.DATABASE_URL });
  await db.connect();
  try {
    for (const shop of shops) {
      for (let i = 3; i <= DRIVERS; i++) {
        await db.query(
          `INSERT INTO users (email, password_hash, name, role, pizzeria_id)
           SELECT $1, password_hash, $2, 'driver', $3 FROM users WHERE email = 'admin@ocpizza.test'
           ON CONFLICT (email) DO NOTHING`,
          [`driver${i}.${shop.slug}@ocpizza.test`, `Sim ${i} ${shop.name.replace('OC Pizza ', '')}`, shop.id],
        );
      }
    }
  } finally {
    await db.end();
  }
}

/** Customers: an order every 60/rate seconds on average, somewhere in a shop's zone. */
async function customers(shops: Shop[], products: Map<number, Menu>) {
  const guest = new Session();
  const run = randomUUID().slice(0, 6);
  let n = 0;
  while (!stopping) {
    await sleep(jitter(0.5, 1.5) * (60_000 / RATE));
    if (stopping) break;
    await round('customers', async () => {
    const shop = shops[Math.floor(Math.random() * shops.length)];
    const radius = shop.zone.kind === 'radius' ? shop.zone.radiusM : 2000;
    const spot = offset(shop, jitter(300, radius * 0.85), jitter(0, 360));
    const menu = products.get(shop.id)!;
    const pick = (list: number[]) => list[Math.floor(Math.random() * list.length)];
    // one or two pizzas, and every other order a drink or a dessert
    const items = [{ productId: pick(menu.pizzas), quantity: 1 + Math.floor(Math.random() * 2) }];
    if (menu.sides.length && Math.random() < 0.5) items.push({ productId: pick(menu.sides), quantity: 1 + Math.floor(Math.random() * 2) });
    n++;
    // a phone and an email of their own: the server's limits per destination see different people
    const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
    const r = await guest.call('POST', '/api/orders', {
      pizzeriaId: shop.id,
      fulfilment: 'delivery',
      customer: { name: `Client simulé ${n}`, phone: `06 ${digits.replace(/(\d\d)(?=\d)/g, '$1 ')}`, email: `client-${run}-${n}@example.org` },
      address: { street: `${1 + (n % 90)} rue de la Démo`, postcode: '75011', city: 'Paris', lat: spot.lat, lng: spot.lng, locatedBy: 'pin' },
      items,
      payment: Math.random() < 0.5 ? 'online' : 'on_delivery',
    }, { 'idempotency-key': randomUUID() });
    if (r.status === 201) {
      tracking.set(r.body.id, r.body.trackingToken);
      // a customer paying online types a test card on the demo payment page a few seconds later
      if (r.body.status === 'pending_payment') void payOnDemoPage(r.body.trackingToken);
      log(`order n°${r.body.number} at ${shop.name} (${distanceM(shop, spot).toFixed(0)} m away): ${BASE}/track/${r.body.trackingToken}`);
    } else log(`order refused at ${shop.name}: ${r.body?.error?.message ?? r.status}`);
    });
  }
}

/** The customer on the demo payment page (the payment is ready a moment after the order). */
async function payOnDemoPage(token: string) {
  for (let i = 0; i < 20 && !stopping; i++) {
    await sleep(jitter(1000, 3000));
    const r = await new Session().call('POST', `/api/track/${token}/demo-pay`, { number: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' });
    if (r.status !== 409 || r.body?.error?.code !== 'payment_not_ready') return;
  }
}

/** How long a station takes with its lines of an order, once the order is started (at the pace): the oven bakes, the cold station pours. */
const stationMs = (s: Station) => (s.kinds.includes('pizza') ? 6 * 60_000 : 90_000) / PACE;
/** The most tickets each screen of a shop showed at once (by station name; "Cuisine" for a shop with one screen). */
const busiest = new Map<string, Map<string, number>>();

/**
 * A shop's kitchen: starts what was received after a moment. With one screen, it has the order
 * ready a few minutes later (at the pace). With stations, each make station crosses its lines off
 * when they are made, and the pass sends out what every station has made.
 */
async function kitchen(shop: Shop) {
  const cook = await new Session().login(`kitchen.${shop.slug}@ocpizza.test`);
  const stations: Station[] = (await cook.call('GET', `/api/shops/${shop.id}/stations`)).body?.stations ?? [];
  const screens = new Map<string, number>();
  busiest.set(shop.name, screens);
  const seen = (screen: string, n: number) => screens.set(screen, Math.max(screens.get(screen) ?? 0, n));
  if (stations.length) log(`${shop.name} works with stations: ${stations.map((s) => s.name).join(', ')}`);
  while (!stopping) {
    await sleep(2000);
    await round(`kitchen of ${shop.name}`, async () => {
      const r = await cook.call('GET', `/api/orders?pizzeriaId=${shop.id}`);
      if (r.status !== 200) return;
      const now = Date.now();
      const open = (r.body as OrderView[]).filter((o) => o.status === 'received' || o.status === 'preparing');
      if (!stations.length) seen('Cuisine', open.length);
      for (const s of stations) {
        seen(s.name, s.isPass ? open.length : open.filter((o) => linesAt(o.items, s, stations).some(({ line }) => !line.doneAt)).length);
      }
      for (const o of open) {
        const since = (s: keyof OrderView['timestamps']) => (o.timestamps[s] ? now - Date.parse(o.timestamps[s]!) : 0);
        if (o.status === 'received' && since('received') > 30_000 / PACE) await cook.call('POST', `/api/orders/${o.id}/status`, { to: 'preparing', version: o.version });
        else if (o.status === 'preparing' && !stations.length && since('preparing') > (6 * 60_000) / PACE) {
          await cook.call('POST', `/api/orders/${o.id}/status`, { to: 'ready', version: o.version });
        } else if (o.status === 'preparing' && stations.length) {
          let current = o;
          for (const s of stations.filter((x) => !x.isPass && since('preparing') > stationMs(x))) {
            for (const { line } of linesAt(current.items, s, stations).filter(({ line }) => !line.doneAt)) {
              const crossed = await cook.call('POST', `/api/orders/${o.id}/lines/${line.id}`, { done: true });
              if (crossed.status === 200) current = crossed.body;
            }
          }
          // the pass: every station has made it (a shop without a pass made it ready with its last line)
          if (current.status === 'preparing' && madeEverywhere(current.items, stations)) {
            await cook.call('POST', `/api/orders/${o.id}/status`, { to: 'ready', version: current.version });
          }
        }
      }
    });
  }
}

/**
 * The evening in figures, from the event log: per shop, the orders handed over (collected, or out
 * with a driver) since the simulation began, the median and 90th percentile of the time from
 * received to handed over (computed as the speed-of-service page does), and the most tickets each
 * kitchen screen showed at once.
 */
async function eveningFigures(shops: Shop[], since: Date) {
  const db = new pg.Client({ connectionString: config.DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query<{ pizzeria_id: number; received_at: Date; preparing_at: Date | null; ready_at: Date | null; handed_at: Date | null }>(
      `SELECT pizzeria_id, received_at, preparing_at, ready_at, CASE fulfilment WHEN 'pickup' THEN collected_at ELSE out_for_delivery_at END AS handed_at
       FROM orders WHERE created_at >= $1 AND received_at IS NOT NULL AND status <> 'cancelled'`,
      [since],
    );
    const min = (sec: number | null) => (sec === null ? '–' : `${(sec / 60).toFixed(1)} min`);
    const targets = { start: DEFAULT_START_TARGET_SECONDS, make: config.PREP_TARGET_SECONDS, handover: DEFAULT_HANDOVER_TARGET_SECONDS };
    log(`the evening at ${PACE}× pace (times as measured, not scaled back):`);
    for (const shop of shops) {
      const orders = rows
        .filter((r) => r.pizzeria_id === shop.id)
        .map((r) => ({ receivedAt: r.received_at, startedAt: r.preparing_at, readyAt: r.ready_at, handedAt: r.handed_at, hour: 0, lines: [] }));
      const { start, make, handover, total } = stageFigures(orders, targets);
      const screens = [...(busiest.get(shop.name) ?? [])].map(([name, n]) => `${name} ${n}`).join(', ');
      log(`  ${shop.name}: ${total.count} handed over, received → handed over median ${min(total.median)}, p90 ${min(total.p90)}` +
        ` (to start ${min(start.median)}, to make ${min(make.median)}, to hand over ${min(handover.median)}); most tickets on a screen at once: ${screens || '–'}`);
    }
  } finally {
    await db.end();
  }
}

/** A driver on a scooter: accepts offers, picks up, rides to each door, hands over with the PIN, rides back. */
async function driver(shop: Shop, index: number) {
  const email = `driver${index}.${shop.slug}@ocpizza.test`;
  const me = await new Session().login(email);
  const who = (await me.call('GET', '/api/auth/me')).body;
  const myId: number = who.user?.id ?? who.id;
  const orders = new Map<string, OrderView>();
  const apply = (o: OrderView) => {
    const held = orders.get(o.id);
    if (held && held.version > o.version) return;
    if (o.driver?.id === myId || o.offer?.driverId === myId) orders.set(o.id, o);
    else orders.delete(o.id);
  };
  const name = who.user?.name ?? email;
  // offers being answered (declared before the socket: an offer can arrive as soon as it connects)
  const answering = new Set<string>();
  const socket: Socket = ioClient(BASE, { transports: ['websocket'], extraHeaders: { cookie: me.cookie }, reconnectionDelayMax: 5000 });
  // each try carries the session as it is now (it may have been opened again meanwhile)
  socket.io.on('reconnect_attempt', () => (socket.io.opts.extraHeaders = { cookie: me.cookie }));
  socket.on('order:updated', (e: OrderUpdated) => {
    apply(e.order);
    if (e.type === 'order.offered' && e.order.offer?.driverId === myId && !answering.has(e.order.id)) void answer(e.order);
  });
  /** What the phone missed while away: its deliveries and the offers still open, read again. */
  const resync = async () => {
    const r = await me.call('GET', '/api/orders');
    if (r.status !== 200) return;
    for (const o of r.body as OrderView[]) {
      apply(o);
      if (o.offer?.driverId === myId && !answering.has(o.id)) void answer(o);
    }
  };
  let connections = 0;
  socket.on('connect', () =>
    socket.emit('subscribe', { scope: 'driver' }, (ack: { error?: { code: string } }) => {
      if (ack?.error) {
        // the server no longer knows this session: open it again, then reconnect with it
        log(`${name}: the phone's session was refused (${ack.error.code}), logging in again`);
        void round(name, async () => {
          await me.login(email);
          socket.io.opts.extraHeaders = { cookie: me.cookie };
          socket.disconnect().connect();
        });
        return;
      }
      if (connections++ > 0) {
        log(`${name}: phone reconnected, reading its deliveries again`);
        void round(name, resync);
      }
    }),
  );
  socket.on('disconnect', (reason) => {
    if (stopping) return;
    // a server that ended the socket itself (a session it closed) is not reconnected by the client
    if (reason === 'io server disconnect') {
      void round(name, async () => {
        await me.login(email);
        socket.io.opts.extraHeaders = { cookie: me.cookie };
        socket.connect();
      });
    }
  });
  await me.call('POST', '/api/driver/shift', { onShift: true });
  await resync();

  async function answer(o: OrderView) {
    answering.add(o.id);
    try {
      await sleep(jitter(1000, 4000) / Math.max(1, PACE / 3));
      const accept = Math.random() >= DECLINE;
      const r = await me.call('POST', `/api/orders/${o.id}/offer`, { accept, version: o.version });
      if (r.status === 200) {
        apply(r.body);
        log(`${name} ${accept ? 'accepts' : 'declines'} n°${o.number}`);
      }
    } catch (err) {
      if (!stopping) log(`${name}: answering n°${o.number} failed (${(err as Error).message})`);
    } finally {
      answering.delete(o.id);
    }
  }

  let at: LatLng = offset(shop, jitter(20, 400), jitter(0, 360));
  let lastSent = 0;
  // a phone away from the server keeps no backlog of where it was: the next position says it all
  const share = () =>
    socket.connected &&
    socket.emit('driver:position', { lat: at.lat, lng: at.lng, accuracy: Math.round(jitter(5, 15)), at: Date.now(), speed: SPEED_MS }, () => {});
  const ride = (to: LatLng, dt: number) => {
    const d = distanceM(at, to);
    const step = SPEED_MS * PACE * dt;
    if (d <= step) at = { ...to };
    else at = { lat: at.lat + ((to.lat - at.lat) * step) / d, lng: at.lng + ((to.lng - at.lng) * step) / d };
    return distanceM(at, to) < 15;
  };

  let last = Date.now();
  while (!stopping) {
    await sleep(1000);
    const now = Date.now();
    const dt = (now - last) / 1000;
    last = now;
    await round(name, async () => {
      const mine = [...orders.values()].filter((o) => o.driver?.id === myId);
      const ready = mine.filter((o) => o.status === 'ready');
      const carried = mine.filter((o) => o.status === 'out_for_delivery' && o.address?.lat != null);
      if (ready.length && !carried.length) {
        // to the shop, then everything waiting there in one go
        if (ride(shop, dt)) {
          for (const o of ready) {
            const r = await me.call('POST', `/api/orders/${o.id}/status`, { to: 'out_for_delivery', version: o.version });
            if (r.status === 200) apply(r.body);
            else if (r.status === 409) await resync();
          }
        }
      } else if (carried.length) {
        const next = carried.sort((a, b) => distanceM(at, { lat: a.address!.lat!, lng: a.address!.lng! }) - distanceM(at, { lat: b.address!.lat!, lng: b.address!.lng! }))[0];
        if (ride({ lat: next.address!.lat!, lng: next.address!.lng! }, dt)) {
          const token = tracking.get(next.id);
          const pin = token ? (await new Session().call('GET', `/api/track/${token}`)).body?.deliveryPin : null;
          const r = await me.call('POST', `/api/orders/${next.id}/deliver`, {
            version: next.version,
            proof: pin ? { pin } : { photo: true },
            ...(next.amountDueCents > 0 ? { collected: { amountCents: next.amountDueCents, method: Math.random() < 0.5 ? 'cash' : 'card' } } : {}),
          });
          if (r.status === 200) {
            apply(r.body);
            log(`n°${next.number} delivered`);
          } else if (r.status === 409 && r.body?.error?.code === 'stale') {
            await resync();
          } else if (!pin) {
            // an order placed before the simulator started: its PIN is the customer's; hand it back to the shop
            const f = await me.call('POST', `/api/orders/${next.id}/failed`, { version: next.version, reason: 'absent' });
            if (f.status === 200) apply(f.body);
          }
        }
      } else ride(shop, dt);
    });
    if (now - lastSent >= 3000) {
      share();
      lastSent = now;
    }
  }
  await me.call('POST', '/api/driver/shift', { onShift: false }).catch(() => {});
  socket.close();
}

async function main() {
  const shops = ((await new Session().call('GET', '/api/pizzerias')).body as Shop[]).filter(
    (s) => !args.shops || args.shops.split(',').includes(s.slug),
  );
  if (!shops.length) throw new Error(`no shop at ${BASE} matches ${args.shops ?? 'any slug'}`);
  await ensureDrivers(shops);
  const products = new Map<number, Menu>();
  for (const s of shops) {
    const menu = (await new Session().call('GET', `/api/pizzerias/${s.id}/menu`)).body;
    const list = ((menu.products ?? menu) as { id: number; category: string; available?: boolean }[]).filter((p) => p.available !== false);
    products.set(s.id, { pizzas: list.filter((p) => p.category === 'pizza').map((p) => p.id), sides: list.filter((p) => p.category !== 'pizza').map((p) => p.id) });
  }
  const began = new Date();
  log(`simulating ${shops.length} shop(s), ${DRIVERS} driver(s) each, ${RATE} orders/min, ${PACE}× pace, against ${BASE}`);
  // customer calls per 10 minutes from this one address: each order, and half of them paid online
  // (a payment page tried about twice until the payment is ready)
  const needed = Math.ceil(RATE * 10 * 2);
  const limit = Number(process.env.RATE_LIMIT_ORDERS ?? 60);
  log(
    needed < limit
      ? `about ${needed} customer calls per 10 min from this address: within RATE_LIMIT_ORDERS=${limit}`
      : `about ${needed} customer calls per 10 min from this address: start the server with RATE_LIMIT_ORDERS=1000 (or above ${needed}) for a simulation, or it will refuse orders (docs/simulator.md)`,
  );
  log(`watch it: ${BASE}/manager (manager.<shop>@ocpizza.test or admin@ocpizza.test), ${BASE}/driver, and the tracking links below`);
  const stop = () => {
    if (!stopping) log('stopping: drivers end their shifts');
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (args.minutes) setTimeout(stop, Number(args.minutes) * 60_000).unref();
  const runs = [customers(shops, products), ...shops.map((s) => kitchen(s))];
  for (const s of shops) for (let i = 1; i <= DRIVERS; i++) runs.push(driver(s, i));
  const results = await Promise.allSettled(runs);
  await eveningFigures(shops, began).catch((err) => log(`no figures: ${(err as Error).message}`));
  for (const r of results) if (r.status === 'rejected') log(`stopped with an error: ${r.reason?.message ?? r.reason}`);
  process.exit(results.some((r) => r.status === 'rejected') ? 1 : 0);
}

await main();
