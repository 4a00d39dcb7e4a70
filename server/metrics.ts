import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { backupSummary, ordersByShopAndStatus, unpublishedEvents, type BackupSummary } from '../src/lib/server/operations/operations-queries.ts';
import { pendingMigrations } from '../db/migrate-runner.ts';
import { listPizzerias } from '../src/lib/server/shops/catalogue.ts';
import { isOpenAt } from '../src/lib/domain/opening-hours.ts';
import { smsLimitsReached } from '../src/lib/server/messages/sms-limits.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { DatabaseRole } from '../src/lib/shapes/views.ts';
import type { HubServer } from './hub-types.ts';
import type { RedisStatus } from '../src/lib/server/kernel/redis-options.ts';
import { SHOP_CREW, may } from '../src/lib/domain/permissions.ts';

export type Metrics = ReturnType<typeof createMetrics>;

// page routes by their first segment, so labels stay few whatever the URL holds
const PAGE_ROUTES = ['/kitchen', '/driver', '/manager/system', '/manager', '/counter', '/login', '/logout', '/track'];
function routeLabel(req: Request): string {
  if (req.route?.path) return `${req.originalUrl.startsWith('/api/') ? '/api' : ''}${req.route.path}`;
  const path = req.originalUrl.split('?')[0];
  if (path.startsWith('/api/')) return '/api/unmatched';
  if (path.startsWith('/_app/')) return '/_app/assets';
  if (path === '/') return '/';
  return PAGE_ROUTES.find((p) => path === p || path.startsWith(`${p}/`)) ?? 'other';
}

interface StoreDeps {
  db: Db;
  queues: () => Queue[];
  /** What /readyz checks, each true or false. */
  readiness: () => Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  /** The Postgres reached and its standbys (server/app.ts asks at most once a second). */
  databaseRole?: () => Promise<DatabaseRole | null>;
  /** Where Redis is and what its master says (src/lib/server/kernel/redis-options.ts, watchRedis). */
  redis?: () => Promise<RedisStatus>;
}

export function createMetrics(deps: StoreDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ocpizza_' });

  const httpDuration = new Histogram({
    name: 'ocpizza_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const eventsRelayed = new Counter({
    name: 'ocpizza_events_relayed_total',
    help: 'Order events relayed from Postgres to sockets',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const relayLag = new Histogram({
    name: 'ocpizza_relay_lag_seconds',
    help: 'Time from an order event commit to its emission by the hub',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  storeGauges(registry, deps);
  healthGauges(registry, deps);
  smsGauges(registry, deps);
  databaseGauges(registry, deps);
  redisGauges(registry, deps);

  return {
    registry,
    /** One event relayed by this server's hub, `lagMs` after its commit. */
    relayed(e: OrderUpdated, lagMs: number) {
      eventsRelayed.inc({ type: e.type });
      relayLag.observe(lagMs / 1000);
    },
    /** Counts the hub's sockets by role, its staff screens by shop (labelled by `slugs`), and whether it listens. */
    countScreens(io: HubServer, slugs: Map<number, string>, relayListening: () => boolean) {
      hubGauges(registry, io, slugs, relayListening);
    },
    /** Drivers' positions this server's hub read from Redis for its own screens, published, and the channels it listens to. */
    countPositions(counts: () => { received: number; published: number; channels: number }) {
      positionGauges(registry, counts);
    },
    httpMiddleware(req: Request, res: Response, next: NextFunction) {
      const end = httpDuration.startTimer();
      res.on('finish', () => end({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }));
      next();
    },
  };
}

/** The gauges read from this server's hub. */
function positionGauges(registry: Registry, counts: () => { received: number; published: number; channels: number }) {
  const total = (name: string, help: string, read: (c: ReturnType<typeof counts>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(counts()));
      },
    });
  total('ocpizza_positions_received_total', "Drivers' positions this hub read from Redis for its own screens (POSITIONS_TO_HUBS=watching: only the shops and orders watched here)", (c) => c.received);
  total('ocpizza_positions_published_total', "Drivers' positions this hub published for the hubs watching them, one per shop or order channel", (c) => c.published);
  new Gauge({
    name: 'ocpizza_position_channels',
    help: "Shops' and orders' position channels this hub listens to now (one per room with a screen here)",
    registers: [registry],
    collect() {
      this.set(counts().channels);
    },
  });
}

function hubGauges(registry: Registry, io: HubServer, slugs: Map<number, string>, relayListening: () => boolean) {
  const sockets = () => io.of('/').sockets.values();
  new Gauge({
    name: 'ocpizza_sockets_connected',
    help: 'Connected sockets by role (customer = tracking page, anonymous = storefront)',
    labelNames: ['role'] as const,
    registers: [registry],
    collect() {
      const counts: Record<string, number> = {};
      for (const s of sockets()) {
        const role = s.data.user?.role ?? (s.data.trackedOrderId ? 'customer' : 'anonymous');
        counts[role] = (counts[role] ?? 0) + 1;
      }
      this.reset();
      for (const [role, n] of Object.entries(counts)) this.set({ role }, n);
    },
  });
  new Gauge({
    name: 'ocpizza_screens_connected',
    help: 'Staff screens connected to this server by shop and role (alert on a shop with no kitchen screen during opening hours)',
    labelNames: ['pizzeria', 'role'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<string, { role: string; pizzeria: string; count: number }>();
      for (const s of sockets()) {
        const u = s.data.user;
        if (!u || !may(u.role, SHOP_CREW)) continue;
        const pizzeria = slugs.get(u.pizzeriaId ?? 0) ?? String(u.pizzeriaId);
        const key = `${pizzeria}:${u.role}`;
        const entry = counts.get(key) ?? { role: u.role, pizzeria, count: 0 };
        entry.count++;
        counts.set(key, entry);
      }
      this.reset();
      for (const c of counts.values()) this.set({ pizzeria: c.pizzeria, role: c.role }, c.count);
    },
  });
  new Gauge({
    name: 'ocpizza_relay_listening',
    help: '1 while this server\'s hub listens to Postgres for order events, 0 while it reconnects',
    registers: [registry],
    collect() {
      this.set(relayListening() ? 1 : 0);
    },
  });
}

/** The gauges read at each scrape from Postgres and Redis: jobs per queue, orders per shop and status, backups. */
function storeGauges(registry: Registry, deps: StoreDeps) {
  new Gauge({
    name: 'ocpizza_queue_jobs',
    help: 'Jobs per queue and state (failed: kept for inspection)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      // a scrape must answer even while Redis is away: no figures rather than a hang, and the
      // queues asked together, so the wait is one second whatever their number
      const queues = deps.queues();
      const answers = await Promise.all(
        queues.map((q) =>
          Promise.race([
            q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
            new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000).unref()),
          ]).catch(() => null),
        ),
      );
      for (const [i, counts] of answers.entries()) {
        if (!counts) continue;
        for (const [state, n] of Object.entries(counts)) this.set({ queue: queues[i].name, state }, n);
      }
    },
  });
  new Gauge({
    name: 'ocpizza_orders',
    help: 'Orders of the current business day by shop and status (plus every order still in progress)',
    labelNames: ['pizzeria', 'status'] as const,
    registers: [registry],
    async collect() {
      const rows = await ordersByShopAndStatus(deps.db);
      this.reset();
      for (const r of rows) this.set({ pizzeria: r.slug, status: r.status }, r.n);
    },
  });
  const backupGauge = (name: string, help: string, pick: (r: BackupSummary) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const r = await backupState();
        const v = r ? pick(r) : null;
        if (v === null || v === undefined) this.reset();
        else this.set(v);
      },
    });
  let backupCache: { at: number; row: BackupSummary | null } | null = null;
  async function backupState() {
    if (backupCache && Date.now() - backupCache.at < 1000) return backupCache.row;
    backupCache = { at: Date.now(), row: await backupSummary(deps.db) };
    return backupCache.row;
  }
  backupGauge('ocpizza_backup_last_success_timestamp_seconds', 'When the last successful backup finished (Unix time)', (r) => r.lastSuccess);
  backupGauge('ocpizza_backup_last_size_bytes', 'Size of the last successful backup', (r) => r.lastBytes);
  backupGauge('ocpizza_backup_last_ok', '1 if the last backup attempt succeeded, 0 if it failed', (r) => (r.lastOk === null ? null : r.lastOk ? 1 : 0));
  backupGauge('ocpizza_backup_failures_total', 'Backup attempts that failed, ever', (r) => r.failures);
}

/** The gauges that say whether this server can work: events left unpublished, migrations pending, shops open, ready. */
function healthGauges(registry: Registry, deps: StoreDeps) {
  new Gauge({
    name: 'ocpizza_events_unpublished',
    help: 'Order events committed and not yet published to the screens (above a few for long: no hub nor worker is publishing)',
    registers: [registry],
    async collect() {
      this.set(await unpublishedEvents(deps.db));
    },
  });
  new Gauge({
    name: 'ocpizza_schema_pending_migrations',
    help: 'Migrations the code has and the database has not applied (not ready while above 0)',
    registers: [registry],
    async collect() {
      this.set((await pendingMigrations(deps.db).catch(() => [])).length);
    },
  });

  new Gauge({
    name: 'ocpizza_shop_open',
    help: '1 while a shop is open by its opening hours (a shop without hours is always open), else 0',
    labelNames: ['pizzeria'] as const,
    registers: [registry],
    async collect() {
      const shops = await listPizzerias(deps.db);
      const now = new Date();
      this.reset();
      for (const s of shops) this.set({ pizzeria: s.slug }, !s.openingHours || isOpenAt(s.openingHours, now) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ocpizza_ready',
    help: 'What /readyz says of this server: 1 ready (or degraded without Redis), 0 not ready',
    registers: [registry],
    async collect() {
      this.set((await deps.readiness()).ready ? 1 : 0);
    },
  });
}

/**
 * The Postgres cluster as the leader sees it: its timeline (up by one at each failover), its
 * synchronous standbys against those expected, each standby's lag. Nothing when Postgres does not
 * answer (ocpizza_ready says so).
 */
function databaseGauges(registry: Registry, deps: StoreDeps) {
  const role = () => deps.databaseRole?.() ?? Promise.resolve(null);
  new Gauge({
    name: 'ocpizza_postgres_timeline',
    help: "The Postgres leader's timeline: it goes up by one at each promotion of a standby (a failover)",
    registers: [registry],
    async collect() {
      const r = await role();
      this.reset();
      if (r?.timeline != null) this.set(r.timeline);
    },
  });
  new Gauge({
    name: 'ocpizza_postgres_leader',
    help: 'The Postgres node this server writes to (1, labelled by its address); 0 when the address reached a standby',
    labelNames: ['node'] as const,
    registers: [registry],
    async collect() {
      const r = await role();
      this.reset();
      if (r) this.set({ node: r.node }, r.primary ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ocpizza_postgres_sync_standbys',
    help: 'Synchronous standbys streaming from the Postgres leader (each commit is on one of them before it is answered)',
    registers: [registry],
    async collect() {
      const r = await role();
      this.reset();
      if (r) this.set(r.standbys.filter((s) => (s.sync === 'sync' || s.sync === 'quorum') && s.state === 'streaming').length);
    },
  });
  new Gauge({
    name: 'ocpizza_postgres_sync_standbys_expected',
    help: 'Synchronous standbys the deployment has (DATABASE_SYNC_STANDBYS)',
    registers: [registry],
    async collect() {
      const r = await role();
      this.reset();
      if (r) this.set(r.standbysExpected);
    },
  });
  new Gauge({
    name: 'ocpizza_postgres_replication_lag_bytes',
    help: "How far each standby's replay is behind the leader's WAL, in bytes",
    labelNames: ['standby', 'sync'] as const,
    registers: [registry],
    async collect() {
      const r = await role();
      this.reset();
      for (const s of r?.standbys ?? []) if (s.lagBytes !== null) this.set({ standby: s.name, sync: s.sync }, s.lagBytes);
    },
  });
}

/** Redis behind Sentinel: replicas the master has, and the failovers this server saw (one read per scrape). */
function redisGauges(registry: Registry, deps: StoreDeps) {
  if (!deps.redis) return;
  const read = deps.redis;
  let latest: Promise<RedisStatus> | null = null;
  // both series are filled by one read of the scrape
  const once = () => (latest ??= read().finally(() => setTimeout(() => (latest = null), 0)));
  new Gauge({
    name: 'ocpizza_redis_replicas',
    help: "Replicas connected to the Redis master, as it says (sentinel=\"true\": the master the sentinels name); absent while Redis is not reached",
    labelNames: ['sentinel'] as const,
    registers: [registry],
    async collect() {
      const s = await once();
      this.reset();
      if (s.master && s.replicas !== null) this.set({ sentinel: String(s.sentinel) }, s.replicas);
    },
  });
  new Gauge({
    name: 'ocpizza_redis_sentinels',
    help: 'Behind Sentinel: sentinels answering (answering), and 1 while they can agree a failover, else 0 (quorum)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const s = await once();
      this.reset();
      if (!s.sentinels) return;
      this.set({ state: 'answering' }, s.sentinels.answering);
      this.set({ state: 'quorum' }, s.sentinels.quorum ? 1 : 0);
    },
  });
  let counted = 0;
  new Counter({
    name: 'ocpizza_redis_failovers_total',
    help: 'Redis master changes this server saw since it started (a failover: the sentinels promoted a replica)',
    registers: [registry],
    async collect() {
      const { failovers } = await once();
      if (failovers > counted) this.inc(failovers - counted);
      counted = failovers;
    },
  });
}

/** The texts' limits reached in the last hour (src/lib/server/messages/sms-limits.ts): the chain's budget, and ranges paused. */
function smsGauges(registry: Registry, deps: StoreDeps) {
  new Gauge({
    name: 'ocpizza_sms_limit_reached',
    help: 'Texts limits reached in the last hour: budget (the chain stopped texting), range (number ranges paused)',
    labelNames: ['limit'] as const,
    registers: [registry],
    async collect() {
      const reached = await smsLimitsReached(deps.db).catch(() => null);
      this.reset();
      if (!reached) return;
      this.set({ limit: 'budget' }, reached.budget);
      this.set({ limit: 'range' }, reached.range);
    },
  });
}
