// The chain benchmark's load (scripts/bench-chain.ts): the screens (a kitchen per shop, head
// office on each server, a tracking page per open order, every driver's phone), orders placed at
// a Friday rate and moved through every status, positions from the phones, head office's board
// read now and then; and what each screen received.
import { performance } from 'node:perf_hooks';
import { io as ioClient, type Socket } from 'socket.io-client';
import { percentile, say, sleep } from './bench-common.ts';
import { CONNECT_BATCH, post, sortedOf } from './bench-rush-common.ts';
import type { ChainSetup, ChainShop } from './bench-chain-setup.ts';

export interface ChainScreen {
  kind: 'kitchen' | 'hq' | 'order';
  shop: number | null;
  orderId: string | null;
  /** order id#version → when it first came */
  seen: Map<string, number>;
  duplicates: number;
  socket: Socket;
}
/** A move the screens should show: its order's version after it, when it was sent. */
interface Measured {
  orderId: string;
  shop: number;
  version: number;
  sentAt: number;
  to: string;
}
export interface LoadResult {
  orders: number;
  /** How long placing them took (at the rate asked, unless the system fell behind). */
  placingSeconds: number;
  deliveries: number;
  moves: number;
  refused: number;
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  lostByKind: Record<string, number>;
  p50: number;
  p99: number;
  positionsSent: number;
  positionsRefused: number;
  boardP50: number;
  boardP99: number;
  boardReads: number;
}

/** A socket connected to `base` and subscribed; every order:updated it receives is kept. */
export async function openScreen(base: string, s: Omit<ChainScreen, 'seen' | 'duplicates' | 'socket'>, auth: { cookie?: string; trackingToken?: string }): Promise<ChainScreen> {
  const socket = ioClient(base, {
    transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000,
    extraHeaders: auth.cookie ? { cookie: auth.cookie } : undefined, auth: auth.trackingToken ? { trackingToken: auth.trackingToken } : {},
  });
  const screen: ChainScreen = { ...s, seen: new Map(), duplicates: 0, socket };
  socket.on('order:updated', (e: { order: { id: string; version: number } }) => {
    const key = `${e.order.id}#${e.order.version}`;
    if (screen.seen.has(key)) screen.duplicates++;
    else screen.seen.set(key, performance.now());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () => resolve());
  });
  if (s.kind !== 'order' || auth.trackingToken) {
    const ack = await socket.timeout(30_000).emitWithAck('subscribe', { scope: s.kind });
    if (!ack || 'error' in ack) throw new Error(`subscribe ${s.kind} refused: ${JSON.stringify(ack?.error)}`);
  }
  return screen;
}

/** Connects in batches. */
export async function inBatches<T>(items: T[], f: (item: T, i: number) => Promise<void>) {
  for (let i = 0; i < items.length; i += CONNECT_BATCH) await Promise.all(items.slice(i, i + CONNECT_BATCH).map((x, j) => f(x, i + j)));
}

/** The staff screens (a kitchen per shop, head office once on each server) and every driver's phone, dealt out between the servers. */
export async function openStaffScreens(setup: ChainSetup) {
  const { bases, shops } = setup;
  const screens: ChainScreen[] = [];
  await inBatches(shops, async (s, i) => {
    screens.push(await openScreen(bases[i % bases.length], { kind: 'kitchen', shop: s.id, orderId: null }, { cookie: s.kitchen }));
  });
  for (const base of bases) screens.push(await openScreen(base, { kind: 'hq', shop: null, orderId: null }, { cookie: setup.adminCookie }));
  const phones: { shop: ChainShop; driver: number; socket: Socket }[] = [];
  const drivers = shops.flatMap((shop) => shop.drivers.map((d) => ({ shop, d })));
  await inBatches(drivers, async ({ shop, d }, i) => {
    const socket = ioClient(bases[(i + 1) % bases.length], { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000, extraHeaders: { cookie: d.cookie } });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect_error', reject);
      socket.once('connect', () => resolve());
    });
    phones.push({ shop, driver: d.id, socket });
  });
  return { screens, phones };
}

/** What one run of orders does: placements at a rate, each order's steps, positions and board reads beside them. */
export interface LoadArgs {
  setup: ChainSetup;
  screens: ChainScreen[];
  phones: { shop: ChainShop; driver: number; socket: Socket }[];
  seconds: number;
  ordersPerHour: number;
  stepMs: number;
  positionMs: number;
  boardReads: number;
}

/** Orders for `seconds` at the Friday rate, each moved through every status; waits for the last one. */
export async function runLoad(a: LoadArgs): Promise<LoadResult> {
  const { setup } = a;
  const rate = (setup.shops.length * a.ordersPerHour) / 3600; // orders a second, chain-wide
  const total = Math.max(1, Math.round(rate * a.seconds));
  const measured: Measured[] = [];
  const counters = { refused: 0, deliveries: 0, seq: 0 };
  const start = performance.now();
  let stopSide = false;
  const side = Promise.all([sendPositions(a, () => stopSide), readBoard(a, () => stopSide)]);
  const lives: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    lives.push(orderLife(a, counters, measured).catch((err: Error) => {
      counters.refused++;
      if (counters.refused <= 3) say(`  an order's life failed: ${err.message}`);
    }));
  }
  const placingSeconds = (performance.now() - start) / 1000;
  await Promise.all(lives);
  // the positions and board reads run as long as the orders do, and at least `seconds`
  await sleep(Math.max(0, start + a.seconds * 1000 - performance.now()));
  stopSide = true;
  const [positions, board] = await side;
  await sleep(3000); // stragglers
  return { orders: total, placingSeconds, deliveries: counters.deliveries, refused: counters.refused, ...tally(a.screens, measured), positionsSent: positions.sent, positionsRefused: positions.refused, ...board };
}

/** One order's evening: placed, its tracking page opened, moved step by step, its page closed. */
async function orderLife(a: LoadArgs, c: { deliveries: number; seq: number }, measured: Measured[]) {
  const { setup, stepMs } = a;
  const i = c.seq++;
  const shop = setup.shops[i % setup.shops.length];
  const base = setup.bases[i % setup.bases.length];
  const delivery = i % 2 === 1;
  const address = { street: `${1 + (i % 90)} rue de la Paix`, postcode: '75002', city: 'Paris', lat: shop.lat + 0.002, lng: shop.lng + 0.002, locatedBy: 'pin' };
  const placed = await post(base, '/api/orders', {
    pizzeriaId: shop.id, channel: 'online', fulfilment: delivery ? 'delivery' : 'pickup', customer: { name: `Client ${i}`, phone: `06${String(i).padStart(8, '0')}` },
    items: [{ productId: setup.pizzas[i % setup.pizzas.length], quantity: 1 + (i % 2) }], payment: 'on_delivery', ...(delivery ? { address } : {}),
  }, undefined, { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
  if (placed.status !== 201) throw new Error(`placing: ${placed.status} ${JSON.stringify(placed.body)}`);
  const id: string = placed.body.id;
  // the customer's tracking page: its data (the PIN the driver asks for at the door), then its live socket
  const page = await fetch(`${setup.bases[(i + 1) % setup.bases.length]}/api/track/${placed.body.trackingToken}`);
  if (page.status !== 200) throw new Error(`tracking page: ${page.status}`);
  const { deliveryPin } = (await page.json()) as { deliveryPin: string | null };
  const tracking = await openScreen(setup.bases[(i + 1) % setup.bases.length], { kind: 'order', shop: shop.id, orderId: id }, { trackingToken: placed.body.trackingToken });
  a.screens.push(tracking);
  const step = async (path: string, body: unknown, cookie: string, to: string) => {
    await sleep(stepMs);
    const sentAt = performance.now();
    const r = await post(setup.bases[(i + measured.length) % setup.bases.length], path, body, cookie);
    if (r.status !== 200) throw new Error(`${to}: ${r.status} ${JSON.stringify(r.body)}`);
    measured.push({ orderId: id, shop: shop.id, version: r.body.version, sentAt, to });
  };
  await step(`/api/orders/${id}/status`, { to: 'preparing' }, shop.kitchen, 'preparing');
  await step(`/api/orders/${id}/status`, { to: 'ready' }, shop.kitchen, 'ready');
  if (!delivery) {
    await step(`/api/orders/${id}/status`, { to: 'collected', paymentMethod: 'cash' }, shop.counter, 'collected');
  } else {
    const driver = shop.drivers[i % shop.drivers.length];
    const assigned = await post(base, `/api/orders/${id}/assign`, { driverId: driver.id }, shop.manager);
    if (assigned.status !== 200) throw new Error(`assign: ${assigned.status} ${JSON.stringify(assigned.body)}`);
    await step(`/api/orders/${id}/status`, { to: 'out_for_delivery' }, driver.cookie, 'out_for_delivery');
    await step(`/api/orders/${id}/deliver`, { proof: { pin: deliveryPin }, collected: { amountCents: placed.body.total, method: 'cash' } }, driver.cookie, 'delivered');
    c.deliveries++;
  }
  // the customer closes the page once it shows the order handed over (or after 30 s: then it is lost)
  const last = `${id}#${measured.filter((m) => m.orderId === id).at(-1)!.version}`;
  for (const by = performance.now() + 30_000; !tracking.seen.has(last) && performance.now() < by;) await sleep(100);
  tracking.socket.disconnect();
}

/** The first driver of each shop shares a position every `positionMs` (staggered), as a phone does. */
async function sendPositions(a: LoadArgs, done: () => boolean) {
  const out = { sent: 0, refused: 0 };
  const first = new Map<number, (typeof a.phones)[number]>();
  for (const p of a.phones) if (!first.has(p.shop.id)) first.set(p.shop.id, p);
  const phones = [...first.values()];
  await Promise.all(phones.map(async (phone, i) => {
    await sleep((a.positionMs * i) / phones.length);
    for (let k = 0; !done(); k++) {
      const at = Date.now();
      const p = { lat: phone.shop.lat + 0.001 * Math.sin(k / 5 + i), lng: phone.shop.lng + 0.001 * Math.cos(k / 5 + i), accuracy: 8, at };
      const ack = await phone.socket.timeout(5000).emitWithAck('driver:position', p).catch(() => null);
      if (ack && 'data' in ack) out.sent++;
      else if (++out.refused <= 2) say(`  a position was refused: ${JSON.stringify(ack)}`);
      await sleep(Math.max(0, at + a.positionMs - Date.now()));
    }
  }));
  return out;
}

/** Head office's board (the manager page's data, as a tap on it loads it), read `boardReads` times over the run, timed. */
async function readBoard(a: LoadArgs, done: () => boolean) {
  const times: number[] = [];
  const every = (a.seconds * 1000) / a.boardReads;
  for (let i = 0; !done() && i < a.boardReads; i++) {
    await sleep(every / 2);
    const t0 = performance.now();
    const r = await fetch(`${a.setup.bases[i % 2]}/manager/__data.json`, { headers: { cookie: a.setup.adminCookie } });
    const body = await r.text();
    if (r.status !== 200 || !body.includes('"type":"data"')) throw new Error(`head office's board: ${r.status} ${body.slice(0, 200)}`);
    times.push(performance.now() - t0);
    await sleep(every / 2);
  }
  const sorted = sortedOf(times);
  return { boardP50: percentile(sorted, 50), boardP99: percentile(sorted, 99), boardReads: times.length };
}

/** For each move: the screens that should show it (its shop's kitchen, every head office, its tracking page) and what they got. */
function tally(screens: ChainScreen[], measured: Measured[]) {
  const kitchens = new Map<number, ChainScreen[]>();
  const tracking = new Map<string, ChainScreen>();
  const hq = screens.filter((s) => s.kind === 'hq');
  for (const s of screens) {
    if (s.kind === 'kitchen') kitchens.set(s.shop!, [...(kitchens.get(s.shop!) ?? []), s]);
    if (s.kind === 'order') tracking.set(s.orderId!, s);
  }
  let expected = 0;
  let received = 0;
  const lostByKind: Record<string, number> = {};
  const latencies: number[] = [];
  for (const m of measured) {
    const key = `${m.orderId}#${m.version}`;
    for (const s of [...(kitchens.get(m.shop) ?? []), ...hq, tracking.get(m.orderId)!]) {
      expected++;
      const at = s.seen.get(key);
      if (at === undefined) {
        const k = `${s.kind} ${m.to}`;
        lostByKind[k] = (lostByKind[k] ?? 0) + 1;
        continue;
      }
      received++;
      latencies.push(at - m.sentAt);
    }
  }
  const sorted = sortedOf(latencies);
  return {
    moves: measured.length, expected, received, lost: expected - received, lostByKind,
    duplicated: screens.reduce((a, s) => a + s.duplicates, 0), p50: percentile(sorted, 50), p99: percentile(sorted, 99),
  };
}
