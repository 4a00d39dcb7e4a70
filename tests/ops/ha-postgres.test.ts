// A Postgres failover in the middle of an evening, on the engines production runs: Patroni (a leader
// and a synchronous standby), etcd and HAProxy, started here from Debian's packages
// (scripts/ha/pg-cluster.ts). The server and the workers reach the leader through HAProxy; customers
// keep placing orders as a real client does (an Idempotency-Key per order, the same key again after
// a 503 or a lost connection) and a kitchen screen follows its shop. The leader is killed (kill -9 of
// Patroni and its Postgres): every order answered 201 is there afterwards, once; the screen has every
// event of its shop, once and in order; the workers catch up; the time until orders are accepted again
// and the screen is live again is printed.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { missingClusterBinaries, startPgCluster, type PgCluster } from '../../scripts/ha/pg-cluster.ts';
import { migrate } from '../../db/migrate-runner.ts';
import { seed } from '../../db/seed-data.ts';
import { startStack, type Stack } from '../services.ts';
import { Client, SHOPS, addressFor, customer, deleteRedisKeys, reactorPast, seededProduct, waitUntil, type TestSocket } from '../helpers.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { LiveLink } from '../../src/lib/realtime/live-link.ts';
import { fileDatabase } from '../file-database.ts';

const missing = missingClusterBinaries();
if (missing.length) console.warn(`ha-postgres: skipped, this machine lacks ${missing.join(', ')} (apt-get install -y patroni etcd-server haproxy)`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Eight consecutive free ports (HA_PG_BASE_PORT pins the first). */
async function freePortRun(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  if (process.env.HA_PG_BASE_PORT) return Number(process.env.HA_PG_BASE_PORT);
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new Error('no run of free ports');
}

describe.skipIf(missing.length > 0)('a Postgres failover mid-evening (Patroni, etcd, HAProxy)', () => {
  let cluster: PgCluster;
  let stack: Stack;
  let dir: string;
  let databaseUrl: string;
  const queuePrefix = `${fileDatabase().queuePrefix}_ha`;

  beforeAll(async () => {
    dir = join(tmpdir(), `ocpizza-ha-${randomBytes(4).toString('hex')}`);
    const t0 = Date.now();
    cluster = await startPgCluster({ dir, basePort: await freePortRun(8) });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE ocpizza');
    await admin.end();
    databaseUrl = cluster.urlFor('ocpizza');
    await migrate(databaseUrl);
    const seeding = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    await seed(seeding, inject('demoPassword'));
    // an evening of a few hundred drinks: stock never the reason an order is refused here
    await seeding.query('UPDATE stock SET on_hand = 1000000');
    await seeding.end();
    console.log(`cluster started, migrated and seeded in ${Date.now() - t0} ms (leader ${await cluster.leader()}, sync standby ${await cluster.syncStandby()})`);
    stack = await startStack({ workers: true, env: { DATABASE_URL: databaseUrl, QUEUE_PREFIX: queuePrefix, DATABASE_SYNC_STANDBYS: '1' } });
  }, 120_000);

  afterAll(async () => {
    await stack?.close().catch(() => {});
    await cluster?.stop();
    await deleteRedisKeys(queuePrefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('kill -9 of the leader: every order answered 201 is kept once, the kitchen screen misses nothing, the workers catch up, and orders are accepted again within seconds', async () => {
    const base = stack.base;
    const pool = stack.pool;
    const product = seededProduct('coca-cola');
    const readyz = async () =>
      (await (await fetch(`${base}/readyz`)).json()) as {
        status: string;
        database: { leader: string; primary: boolean; timeline: number | null; syncStandby: string | null; standbysExpected: number; inSync: boolean } | null;
      } & { status: string };
    const lastEventId = async () => Number((await pool.query('SELECT coalesce(max(id), 0) AS n FROM order_events')).rows[0].n);

    // the kitchen screen of Bastille: the pages' own live link on a real socket
    const kitchen = await new Client(base).login('kitchen.bastille@ocpizza.test');
    const start = await lastEventId();
    const received: { e: OrderUpdated; at: number }[] = [];
    const acks: string[] = [];
    const resyncs: number[] = [];
    const screen: TestSocket = ioClient(base, {
      transports: ['websocket'],
      extraHeaders: { cookie: kitchen.cookie },
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
    });
    stack.sockets.push(screen);
    const link = new LiveLink(screen, {
      subscription: { scope: 'kitchen' },
      lastEventId: start,
      onEvent: (e) => received.push({ e, at: Date.now() }),
      onResync: async () => (resyncs.push(Date.now()), lastEventId()),
      onStatus: (status, error) => {
        if (status === 'live' || status === 'refused') acks.push(error ?? status);
      },
      comebackDelayMs: () => 100,
    });
    await waitUntil(() => acks.length === 1, 5000, 'the screen to subscribe');

    // customers placing orders, as a real client does: a key per order, the same key again on a
    // 503 or a lost connection, until an answer says yes or no
    let stop = false;
    const acked: { id: string; key: string; sentAt: number; answeredAt: number; replayed: boolean; shop: number }[] = [];
    const refused: { status: number; body: unknown }[] = [];
    const retries = { unavailable: 0, network: 0, other5xx: 0 };
    const customerLoop = async (n: number) => {
      const shop = n % 2 === 0 ? SHOPS.bastille : SHOPS.canal;
      for (let i = 0; !stop; i++) {
        const key = randomUUID();
        const body = {
          pizzeriaId: shop,
          fulfilment: 'delivery',
          customer: { ...customer, name: `HA ${n}-${i}` },
          address: addressFor(shop),
          items: [{ productId: product, quantity: 1 }],
          payment: 'on_delivery',
        };
        for (;;) {
          const sentAt = Date.now();
          let res: Response;
          try {
            res = await fetch(`${base}/api/orders`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'idempotency-key': key },
              body: JSON.stringify(body),
              signal: AbortSignal.timeout(15_000),
            });
          } catch {
            retries.network++;
            await sleep(250);
            continue;
          }
          const json = (await res.json().catch(() => null)) as { id?: string } | null;
          if (res.status === 201 || res.status === 200) {
            acked.push({ id: json!.id!, key, sentAt, answeredAt: Date.now(), replayed: res.status === 200, shop });
            break;
          }
          if (res.status === 503) {
            retries.unavailable++;
            await sleep(Number(res.headers.get('retry-after') ?? 1) * 250);
            continue;
          }
          if (res.status >= 500) {
            retries.other5xx++;
            refused.push({ status: res.status, body: json });
            await sleep(250);
            continue;
          }
          refused.push({ status: res.status, body: json });
          break;
        }
        await sleep(20);
      }
    };
    const loops = [0, 1, 2, 3].map(customerLoop);
    const fault = { killed: '' };

    try {
      await waitUntil(() => acked.length >= 30, 20_000, 'orders before the failover');
      const beforeSync = await cluster.syncStandby();
      expect(beforeSync).not.toBeNull();
      const ackedBefore = acked.length;
      // the operator's view before: the leader's address, its standby in sync
      const nodeOf = (name: string) => `127.0.0.1:${cluster.nodes.find((n) => n.name === name)!.pgPort}`;
      const before = await readyz();
      expect(before.database).toMatchObject({ leader: nodeOf(await cluster.leader()), primary: true, syncStandby: beforeSync, standbysExpected: 1, inSync: true });

      const { killed, killedAt } = await cluster.killLeader();
      fault.killed = killed;
      const newLeader = await cluster.waitForLeader(60_000, killed);
      const promotedMs = Date.now() - killedAt;
      expect(newLeader).toBe(beforeSync);
      // and after: the new leader, one timeline further, no standby in sync (what the alerts read)
      const after = await waitUntil(async () => {
        const r = await readyz();
        return r.database?.leader === nodeOf(newLeader) ? r : null;
      }, 10_000, '/readyz to name the new leader');
      expect(after!.status).toBe('ready');
      expect(after!.database).toMatchObject({ primary: true, timeline: before.database!.timeline! + 1, syncStandby: null, inSync: false });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^ocpizza_postgres_sync_standbys 0$/m);
      expect(metrics).toMatch(/^ocpizza_postgres_sync_standbys_expected 1$/m);
      expect(metrics).toMatch(new RegExp(`^ocpizza_postgres_timeline ${before.database!.timeline! + 1}$`, 'm'));

      // orders accepted again: a 201 for a request sent after the kill
      await waitUntil(() => acked.some((a) => a.sentAt > killedAt && !a.replayed), 30_000, 'an order accepted after the failover');
      const acceptedAgainMs = Math.min(...acked.filter((a) => a.sentAt > killedAt).map((a) => a.answeredAt)) - killedAt;
      // the screen live again: an event of an order placed after the failover reaches it
      const firstNew = acked.find((a) => a.sentAt > killedAt && a.shop === SHOPS.bastille && !a.replayed);
      await waitUntil(
        () => acked.some((a) => a.sentAt > killedAt && a.shop === SHOPS.bastille && received.some((r) => r.e.order.id === a.id)),
        30_000,
        'the screen to show an order placed after the failover',
      );
      const liveAgainMs = Math.min(...received.filter((r) => acked.some((a) => a.sentAt > killedAt && a.id === r.e.order.id)).map((r) => r.at)) - killedAt;
      await waitUntil(() => acked.length >= ackedBefore + 60, 30_000, 'orders after the failover');
      stop = true;
      await Promise.all(loops);

      console.log(
        `failover: ${killed} killed, ${newLeader} leader after ${promotedMs} ms; orders accepted again after ${acceptedAgainMs} ms; ` +
          `kitchen screen live again after ${liveAgainMs} ms (first new order ${firstNew?.id ?? '-'}); ` +
          `orders acknowledged ${acked.length} (${acked.filter((a) => a.replayed).length} by a replayed key), ` +
          `retries: ${retries.unavailable} answered 503, ${retries.network} lost connections, ${retries.other5xx} other 5xx`,
      );
    } finally {
      stop = true;
      await Promise.all(loops);
    }

    // no answer was an error page: refusals are the product's own (none expected here)
    expect(refused).toEqual([]);
    expect(retries.other5xx).toBe(0);

    // every order answered 201 is there, once
    const ids = acked.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    const { rows: present } = await pool.query<{ id: string }>('SELECT id FROM orders WHERE id = ANY($1::uuid[])', [ids]);
    expect(present.length).toBe(ids.length);
    // and nothing twice: one order per customer request
    const { rows: dup } = await pool.query(
      `SELECT customer_name, count(*) AS n FROM orders WHERE customer_name LIKE 'HA %' GROUP BY customer_name HAVING count(*) > 1`,
    );
    expect(dup).toEqual([]);
    const { rows: all } = await pool.query(`SELECT count(*)::int AS n FROM orders WHERE customer_name LIKE 'HA %'`);
    // an order whose answer was lost in the failover and never asked again cannot exist: each loop asks until answered
    expect(all[0].n).toBe(ids.length);

    // the screen: every event of its shop after its start, each once and in order, never told to reload
    const stored = (await pool.query(
      `SELECT id, order_id, type, (payload->>'version')::int AS version FROM order_events WHERE pizzeria_id = $1 AND id > $2 ORDER BY id`,
      [SHOPS.bastille, start],
    )).rows.map((r) => ({ id: Number(r.id), orderId: r.order_id as string, type: r.type as string, version: r.version as number }));
    await waitUntil(() => received.some((r) => r.e.eventId === stored.at(-1)!.id), 15_000, 'the last event to reach the screen');
    await sleep(200);
    // what the screen was shown is what the new leader has, id for id: a publish waits for the
    // standby before any screen sees it, so no event shown was lost with the old leader
    expect(received.map((r) => ({ id: r.e.eventId, orderId: r.e.order.id, type: r.e.type, version: r.e.order.version }))).toEqual(stored);
    expect(resyncs).toEqual([]);
    expect(acks.every((a) => a === 'live')).toBe(true);

    // the workers' follower caught up on the new leader (their cursor reaches the last event)
    const last = await lastEventId();
    await waitUntil(
      () => reactorPast(pool, { eventId: last }),
      20_000,
      'the workers to catch up',
    );
    link.close();

    // the old leader's machine comes back: it becomes the new leader's synchronous standby
    // (rewound, or cloned again) and the operator's view says so
    const t1 = Date.now();
    await cluster.restartNode(fault.killed);
    const back = await waitUntil(async () => {
      const r = await readyz();
      return r.database?.inSync ? r : null;
    }, 60_000, 'the old leader back as the synchronous standby');
    expect(back!.database!.syncStandby).toBe(fault.killed);
    console.log(`the old leader ${fault.killed} is the synchronous standby again ${Date.now() - t1} ms after its restart`);
  }, 150_000);
});
