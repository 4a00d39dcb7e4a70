// Redis behind Sentinel loses its master in the middle of an evening (kill -9), and the product
// carries on by itself: the sentinels promote the replica within seconds, every connection (the
// queues, the workers, the hubs' streams, the rate limits) follows it, and what the promoted
// replica had not received yet (replication is asynchronous) is queued again from Postgres by the
// workers as soon as Redis answers. No payment, timer or message is lost or doubled. Real Redis
// servers and sentinels (Debian's redis-server and redis-sentinel), Postgres on a database of the
// file's own (its workers follow every event of it), the local Stripe server and an SMTP server.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, connectSocket, createShop, createSideDatabase, move, prepTimerOf, seededProduct, subscribe, waitUntil, type TestSocket } from '../helpers.ts';
import { startStack, startTestSmtp, useFakeStripe, type Stack, type TestSmtp } from '../services.ts';
import { startRedisSentinel, type RedisSentinelCluster } from '../../scripts/ha/redis-sentinel.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { fileDatabase } from '../file-database.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const margherita = seededProduct('margherita');
const LIVE = 20_000;
// this file's ports (the machine's Redis on 6379 is left alone)
const BASE_PORT = 16000;
// Debian's redis-server and redis-sentinel (CI installs them: .ci/run)
const engines = ['/usr/bin/redis-server', '/usr/bin/redis-sentinel'].every((p) => existsSync(p));

let ha: RedisSentinelCluster;
let side: Awaited<ReturnType<typeof createSideDatabase>>;
let smtp: TestSmtp;
let stack: Stack;
const sockets: TestSocket[] = [];

const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const movements = async (orderId: string) =>
  (await stack.pool.query<{ kind: string; amount_cents: number }>('SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 ORDER BY id', [orderId])).rows.map((r) => [r.kind, r.amount_cents]);
const capturesOf = (intentId: string) => fake.calls.filter((c) => c.method === 'POST' && c.path === `/v1/payment_intents/${intentId}/capture`).length;
const mailsTo = (to: string) => smtp.inbox.filter((m) => m.to && !Array.isArray(m.to) && m.to.value.some((a) => a.address === to));
const readyz = async () => (await fetch(`${stack.base}/readyz`)).json();

async function deliver(event: object) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  return res.status;
}

async function place(shopId: number, email: string, payment: 'online' | 'on_delivery') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shopId, fulfilment: 'pickup', customer: { name: 'Inès', phone: '0611223344', email },
    items: [{ productId: margherita, quantity: 1 }], payment,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number };
}

/** The card hold of an online order, webhook and all, until the order reaches the kitchen. */
async function payOnline(o: { id: string; token: string }) {
  const intent = (await waitUntil(() => fake.intentOf(o.id), LIVE, 'the PaymentIntent'))!;
  fake.authorise(intent);
  expect(await deliver(fake.event('payment_intent.amount_capturable_updated', intent))).toBe(200);
  await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order paid and in the kitchen');
  return intent;
}

describe.skipIf(!engines)('Redis behind Sentinel loses its master mid-evening', () => {
  beforeAll(async () => {
    [ha, side, smtp] = await Promise.all([
      startRedisSentinel({ dir: mkdtempSync(join(tmpdir(), 'ocpizza-sentinel-')), basePort: BASE_PORT }),
      createSideDatabase('ha-redis', { seed: true }),
      startTestSmtp(),
    ]);
    stack = await startStack({
      env: {
        ...stripe.env(),
        DATABASE_URL: side.url,
        REDIS_SENTINELS: ha.sentinels,
        REDIS_SENTINEL_NAME: ha.name,
        QUEUE_PREFIX: `${fileDatabase().queuePrefix}_ha`,
        SMTP_URL: smtp.url,
        // an order in the oven is late 20 s after it started: its timer falls due during the test
        PREP_TARGET_SECONDS: '20',
        DISPATCH_RETRY_MS: '300',
      },
      // two hubs: what crosses between them goes through Redis (the system page's screens by the streams, positions by their shop's channel)
      hubs: 2,
      workers: true,
    });
  }, 90_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await stack?.close();
    await Promise.all([ha?.stop(), smtp?.close()]);
    await side?.drop();
  }, 60_000);

  it('the replica is promoted and nothing is lost: captures exact, timers fire, each message sent once, screens live', async () => {
    const shop = await createShop(stack.pool, 'ha-redis');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const screen = await connectSocket(stack.base, { cookie: kitchen.cookie });
    sockets.push(screen);
    expect(await subscribe(screen, { scope: 'kitchen' })).toMatchObject({ data: {} });
    const seen: OrderUpdated[] = [];
    screen.on('order:updated', (e) => seen.push(e));
    // the other hub sees this screen through the streams (as the system page lists every hub's screens)
    // (while Redis fails over the other hub cannot be asked: a refusal then is a "not yet"; a hub whose
    // connection never comes back still fails the wait, at its deadline)
    const seenAcross = async () => (await stack.hubs[1].app.hub.io.fetchSockets().catch(() => [])).some((s) => s.id === screen.id);
    await waitUntil(seenAcross, LIVE, 'the other hub seeing the kitchen screen');
    // a driver's phone on the second hub, the shop's map on the first: positions cross by the shop's channel
    const driver = await new Client(stack.hubs[1].base).login(shop.email('driver1'));
    expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    const phone = await connectSocket(stack.hubs[1].base, { cookie: driver.cookie });
    const map = await connectSocket(stack.base, { cookie: (await new Client(stack.base).login(shop.email('manager'))).cookie });
    sockets.push(phone, map);
    expect(await subscribe(map, { scope: 'shop' })).toMatchObject({ data: {} });
    const mapSaw: number[] = [];
    map.on('driver:position', (p) => mapSaw.push(p.lat));
    let lat = 48.86;
    // a position shared (refused while Redis is not reached: the phone keeps it and sends again) and on the map
    let lastAck: unknown = null;
    const crosses = async () => {
      const sent = (lat = Math.round((lat + 0.001) * 1e6) / 1e6);
      const ack = (lastAck = await phone.timeout(5000).emitWithAck('driver:position', { lat: sent, lng: 2.37, accuracy: 10, at: Date.now() }).catch((err: Error) => `no answer: ${err.message}`));
      if (!ack || typeof ack !== 'object' || !('data' in ack)) return false;
      return waitUntil(() => mapSaw.includes(sent), 3000, 'the position on the map').then(() => true, () => false);
    };
    expect(await crosses()).toBe(true);
    const before = await readyz();
    const first = await ha.master();
    expect(before.redis).toMatchObject({ master: first, sentinel: true, replicas: 1, sentinels: { answering: 3, of: 3, quorum: true } });

    // the evening so far: a card order paid, a cash order with an email, both going into the oven
    const card = await place(shop.id, `card-${shop.id}@example.test`, 'online');
    const intent = await payOnline(card);
    const cash = await place(shop.id, `cash-${shop.id}@example.test`, 'on_delivery');
    await waitUntil(() => mailsTo(`card-${shop.id}@example.test`).length === 1 && mailsTo(`cash-${shop.id}@example.test`).length === 1, LIVE, 'the received emails');
    // the capture and the oven timers are queued in the very moment the master dies
    await move(kitchen, card.id, 'preparing');
    await move(kitchen, cash.id, 'preparing');
    // the last write before the death that the replica never got (replication is asynchronous): the cash order's oven timer
    const timer = await waitUntil(() => prepTimerOf(stack.workers.queues.prep, stack.pool, cash.id), LIVE, "the cash order's oven timer");
    await timer!.remove();
    const { killedAt, address } = await ha.killMaster();

    // customers keep ordering while Redis fails over (orders are Postgres's)
    const during = await place(shop.id, `during-${shop.id}@example.test`, 'online');
    const promoted = await ha.promoted(address);
    const duringIntent = await waitUntil(() => fake.intentOf(during.id), LIVE, 'the PaymentIntent of an order placed during the failover');
    const jobsAgainAt = Date.now();
    await waitUntil(async () => (await readyz()).redis?.master === promoted.address, LIVE, '/readyz naming the new master');
    const readyzAt = Date.now();
    await waitUntil(seenAcross, LIVE, 'the other hub seeing the kitchen screen again');
    const hubsAt = Date.now();
    // the map, opened before the failover, hears the phone on the other hub again (its hub listens anew on the new master)
    await waitUntil(crosses, LIVE, 'a position crossing the hubs again').catch(async (err: Error) => {
      // what each side saw, for a failure that passes when run again: the phone's last answer, the
      // sockets, and each hub's positions published, read from Redis and channels listened to
      const said = await Promise.all(stack.hubs.map(async (h, i) => {
        const text = await (await fetch(`${h.base}/metrics`)).text().catch((e: Error) => e.message);
        return `hub ${i}: ${text.split('\n').filter((l) => /^ocpizza_position/.test(l)).join(', ')}`;
      }));
      throw new Error(`${err.message}; the phone's last answer ${JSON.stringify(lastAck)}, phone connected ${phone.connected}, map connected ${map.connected}, the map saw ${JSON.stringify(mapSaw.slice(-3))}; ${said.join('; ')}`);
    });
    const positionsAt = Date.now();
    fake.authorise(duringIntent!);
    expect(await deliver(fake.event('payment_intent.amount_capturable_updated', duringIntent!))).toBe(200);
    await waitUntil(async () => (await track(during.token)).status === 'received', LIVE, 'the order placed during the failover paid');
    const after = await place(shop.id, `after-${shop.id}@example.test`, 'on_delivery');

    // money: the card order captured once, the order of the failover held once
    await waitUntil(async () => (await track(card.token)).payment.status === 'paid', LIVE, 'the capture');
    expect(await movements(card.id)).toEqual([['authorised', card.total], ['captured', card.total]]);
    expect(capturesOf(intent.id)).toBe(1);
    expect(await movements(during.id)).toEqual([['authorised', during.total]]);
    // timers: both orders in the oven are flagged late when their 20 s are up, the lost one queued
    // again by the workers as soon as they reached the new master (not a minute later)
    await waitUntil(async () => (await track(card.token)).late && (await track(cash.token)).late, Math.max(1000, killedAt + 30_000 - Date.now()), 'the oven timers to fire');
    // messages: one received email each, nobody twice
    await waitUntil(() => mailsTo(`after-${shop.id}@example.test`).length === 1 && mailsTo(`during-${shop.id}@example.test`).length === 1, LIVE, 'the emails of the failover');
    await stack.workers.reconcile();
    for (const who of ['card', 'cash', 'during', 'after']) expect(mailsTo(`${who}-${shop.id}@example.test`).map((m) => m.subject), who).toHaveLength(1);
    // the kitchen screen heard of the orders placed during and after the failover
    await waitUntil(() => seen.some((e) => e.order.id === during.id) && seen.some((e) => e.order.id === after.id), LIVE, 'the kitchen screen told');
    // operators: /readyz names the new master, through Sentinel, without a replica now; the failover is counted
    const now = await readyz();
    expect(now).toMatchObject({ status: 'ready', checks: { redis: true }, redis: { master: promoted.address, sentinel: true, replicas: 0 } });
    expect(now.redis.failovers).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${stack.base}/metrics`)).text();
    expect(metrics).toMatch(/^ocpizza_redis_failovers_total [1-9]/m);
    expect(metrics).toMatch(/^ocpizza_redis_replicas\{sentinel="true"\} 0$/m);
    console.log(
      `[ha-redis] master ${address} killed: sentinels promoted ${promoted.address} after ${promoted.at - killedAt} ms; ` +
        `jobs flowing again (an order's PaymentIntent created) after ${jobsAgainAt - killedAt} ms; /readyz on the new master after ${readyzAt - killedAt} ms; ` +
        `hubs sharing screens again after ${hubsAt - killedAt} ms, positions after ${positionsAt - killedAt} ms`,
    );
  }, 90_000);

  it("with the sentinels' quorum lost as well, Redis stays down and says so; orders are still taken, and the evening resumes once a quorum is back", async () => {
    const shop = await createShop(stack.pool, 'ha-quorum');
    // the dead master comes back, as a replica of the promoted one
    await ha.restartNode(`127.0.0.1:${BASE_PORT}`);
    await waitUntil(async () => (await ha.replicas()) === 1, LIVE, 'the old master replicating');
    const master = await ha.master();
    // two sentinels of three die, then the master: one sentinel cannot agree a failover alone
    ha.killSentinel(0);
    ha.killSentinel(1);
    const { killedAt } = await ha.killMaster();
    await new Promise((r) => setTimeout(r, 5000));
    expect(await ha.master()).toBe(master);
    // /readyz says it: Redis not reached, one sentinel of three answering, no failover possible
    const down = await waitUntil(async () => {
      const r = await readyz();
      return r.redis?.sentinels?.answering === 1 && r;
    }, LIVE, '/readyz counting the sentinels left');
    expect(down).toMatchObject({ status: 'degraded', checks: { postgres: true, redis: false }, redis: { master: null, sentinel: true, sentinels: { answering: 1, of: 3, quorum: false } } });
    expect(await (await fetch(`${stack.base}/metrics`)).text()).toMatch(/^ocpizza_redis_sentinels\{state="quorum"\} 0$/m);
    // the counter still takes orders: they wait in Postgres for the jobs
    const waiting = await place(shop.id, `quorum-card-${shop.id}@example.test`, 'online');
    const cash = await place(shop.id, `quorum-${shop.id}@example.test`, 'on_delivery');
    expect(fake.intentOf(waiting.id)).toBeFalsy();
    expect(mailsTo(`quorum-${shop.id}@example.test`)).toHaveLength(0);

    // one sentinel back: two of three agree, the replica is promoted, the jobs run again
    ha.restartSentinel(0);
    const backAt = Date.now();
    const promoted = await ha.promoted(master, 30_000);
    await waitUntil(() => fake.intentOf(waiting.id), 30_000, 'the PaymentIntent of the order taken while Redis was down');
    const jobsAgainAt = Date.now();
    await waitUntil(async () => (await readyz()).redis?.master === promoted.address, LIVE, '/readyz naming the new master');
    await waitUntil(() => mailsTo(`quorum-${shop.id}@example.test`).length === 1, LIVE, 'the received email');
    expect((await track(cash.token)).status).toBe('received');
    console.log(
      `[ha-redis] quorum lost: no failover for the ${backAt - killedAt} ms one sentinel of three was left; a second sentinel back, ` +
        `${promoted.address} promoted ${promoted.at - backAt} ms later, jobs flowing again ${jobsAgainAt - backAt} ms later`,
    );
  }, 90_000);
});
