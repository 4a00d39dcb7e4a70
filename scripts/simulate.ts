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
import { parseConfig } from '../src/lib/server/kernel/config.ts';
import { distanceM } from '../src/lib/domain/geo.ts';
import type { OrderView } from '../src/lib/shapes/views.ts';
import { linesAt, madeEverywhere, type Station } from '../src/lib/domain/stations.ts';
import { DEFAULT_HANDOVER_TARGET_SECONDS, DEFAULT_START_TARGET_SECONDS, stageFigures } from '../src/lib/domain/speed-of-service.ts';
import { configure, jitter, log, offset, round, Session, sim, sleep, type Menu, type Shop } from './sim-common.ts';
import { driver } from './sim-driver.ts';

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
const SETTINGS = configure({ base: BASE, rate: RATE, pace: PACE, decline: DECLINE, password: PASSWORD, speedMs: SPEED_MS });

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
  while (!sim.stopping) {
    await sleep(jitter(0.5, 1.5) * (60_000 / RATE));
    if (sim.stopping) break;
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
      sim.tracking.set(r.body.id, r.body.trackingToken);
      // a customer paying online types a test card on the demo payment page a few seconds later
      if (r.body.status === 'pending_payment') void payOnDemoPage(r.body.trackingToken);
      log(`order n°${r.body.number} at ${shop.name} (${distanceM(shop, spot).toFixed(0)} m away): ${BASE}/track/${r.body.trackingToken}`);
    } else log(`order refused at ${shop.name}: ${r.body?.error?.message ?? r.status}`);
    });
  }
}

/** The customer on the demo payment page (the payment is ready a moment after the order). */
async function payOnDemoPage(token: string) {
  for (let i = 0; i < 20 && !sim.stopping; i++) {
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
  while (!sim.stopping) {
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
    if (!sim.stopping) log('stopping: drivers end their shifts');
    sim.stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (args.minutes) setTimeout(stop, Number(args.minutes) * 60_000).unref();
  const runs = [customers(shops, products), ...shops.map((s) => kitchen(s))];
  for (const s of shops) for (let i = 1; i <= DRIVERS; i++) runs.push(driver(SETTINGS, s, i));
  const results = await Promise.allSettled(runs);
  await eveningFigures(shops, began).catch((err) => log(`no figures: ${(err as Error).message}`));
  for (const r of results) if (r.status === 'rejected') log(`stopped with an error: ${r.reason?.message ?? r.reason}`);
  process.exit(results.some((r) => r.status === 'rejected') ? 1 : 0);
}

await main();
