import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '../src/lib/server/kernel/redis-options.ts';
import pino, { type Logger } from 'pino';
import type { Config } from '../src/lib/server/kernel/config.ts';
import { createPool, STATEMENT_TIMEOUT_MS, type Db } from '../src/lib/server/kernel/db.ts';
import { startDispatchWorker } from './dispatch.worker.ts';
import { scheduleMaintenance, startMaintenanceWorker } from './maintenance.worker.ts';
import { reportError } from '../src/lib/server/kernel/observability.ts';
import { startEventReactor } from './event-reactor.ts';
import { paymentProviderFor } from '../src/lib/server/money/provider-choice.ts';
import { rememberIntent } from '../src/lib/server/money/payment-form.ts';
import type { PaymentKeeper, PaymentProvider } from '../src/lib/server/money/provider.ts';
import { startPaymentsWorker } from './payments.worker.ts';
import { startPrepWorker } from './prep.worker.ts';
import { startNotificationsWorker } from './notifications.worker.ts';
import { startAccountsWorker } from './accounts.worker.ts';
import { startPrintingWorker } from './printing.worker.ts';
import { createMailer, type Mailer } from '../src/lib/server/kernel/mailer.ts';
import { smsProviderFrom } from '../src/lib/server/kernel/sms.ts';
import { guardSms } from '../src/lib/server/messages/sms-limits.ts';
import type { NotificationDeps } from '../src/lib/server/messages/notifications.ts';
import { createMessageSender } from './message-sender.ts';
import { connectionFor, createQueues, type Queues } from '../src/lib/server/kernel/queues.ts';
import { DELAYS_EVERY_MS } from '../src/lib/server/kitchen/delays.ts';
import { actOnLateForecasts } from './late-forecasts.ts';
import type { Road } from '../src/lib/server/road/drivers.ts';
import { createPositionStore, type PositionStore } from '../src/lib/server/road/positions.ts';
import { policyOf } from '../src/lib/server/printing/address.ts';
import { foldConsumedStock } from '../src/lib/server/orders/index.ts';
import { createStockFolder, FOLD_PAUSE_MS } from './stock-folder.ts';
import { reconcile } from './reconciler.ts';
import { fiscalKey, fiscalSettingsOf } from '../src/lib/server/fiscal/keys.ts';
import { newInstance } from '../src/lib/server/fiscal/jet-events.ts';
import { software } from '../src/lib/server/fiscal/archive.ts';
import { createFiscalJournal, type FiscalJournal } from './fiscal-journal.ts';
import { installSaleSeal } from '../src/lib/server/fiscal/seal.ts';
import { startLease } from './reactor-lease.ts';
import { startEveningOwner } from './evening-owner.ts';
import { startPartitionLeases } from './event-partitions.ts';
import { partitionOf } from '../src/lib/server/events/events.ts';
import type { MarketplaceProvider } from '../src/lib/server/marketplaces/provider.ts';
import { marketplacesFor } from '../src/lib/server/marketplaces/registry.ts';
import { startMarketplacesWorker } from './marketplaces.worker.ts';
import { watchForPlatforms } from './marketplace-watch.ts';

/** The lease of the workers process that follows the order events (reactor-lease.ts), per queue prefix. */
export const REACTOR_LEASE = 'ocpizza-reactor';

/** How often the reconciler compares Postgres with the queues; a timer in this process, so it survives Redis losing everything. */
export const RECONCILE_EVERY_MS = 60_000;
/**
 * How often every reservation the kitchens consumed is swept into the shops' stock rows (db/migrations/0009):
 * each started order is folded soon after its event (stock-folder.ts); the sweep is for what no event brought.
 */
export const STOCK_SWEEP_EVERY_MS = 60_000;
/** How often the fiscal journal looks for orders whose money changed without an event (fiscal-journal.ts). */
export const FISCAL_SWEEP_EVERY_MS = 60_000;

/**
 * Starts every worker, the event reactor and the reconciler (at start, then every minute);
 * `close` returns active jobs within a hard timeout.
 */
export async function startWorkers(
  config: Config,
  log: Logger = pino({ level: config.LOG_LEVEL }),
  options: {
    schedule?: boolean;
    reconcile?: boolean;
    /** Another payment provider than the settings' (paymentProviderFor): how a new provider is tried. */
    provider?: (keep: PaymentKeeper) => PaymentProvider;
    /** Other delivery platforms than the settings' (registry.ts): how a fake platform is tried. */
    marketplaces?: MarketplaceProvider[];
  } = {},
) {
  const db = createPool(config.DATABASE_URL, 10, { statementTimeoutMs: STATEMENT_TIMEOUT_MS.workers });
  // what the printer keeps (printed) commits without waiting for its WAL flush: a crash of Postgres
  // itself can then forget the last fraction of a second of it, and a label may print twice; an
  // order, a payment, a move or a customer's message never goes through this pool. A message's
  // claim and its "sent" mark wait for the standby like any commit: written without it, a
  // failover lost them, and the reconciler sent those messages again (13 to 38 e-mails twice a drill).
  const bookkeeping = createPool(config.DATABASE_URL, 5, { durable: false, statementTimeoutMs: STATEMENT_TIMEOUT_MS.workers });
  const connection = connectionFor(config);
  const prefix = config.QUEUE_PREFIX;
  const queues = createQueues(connection, prefix);
  warnOnceAMinute(queues, log);
  // Stripe when its keys are set; the demo payment page otherwise (same events, no network)
  const keep: PaymentKeeper = (orderId, attempt, payment) => rememberIntent(db, orderId, attempt, payment);
  const provider = options.provider?.(keep) ?? paymentProviderFor(config, keep);
  // where the drivers are (the hubs keep it in Redis): dispatch offers to the nearest
  const redis = createRedis(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (err) => log.debug({ err }, 'positions connection error'));
  const positions = createPositionStore(redis, config.QUEUE_PREFIX);
  // the reconciler asks which of thousands of jobs are there in pipelines of its own (ensureJobs);
  // its commands wait for the connection at start rather than fail, unlike the positions'
  const jobsRedis = createRedis(config, { maxRetriesPerRequest: 1 });
  jobsRedis.on('error', (err) => log.debug({ err }, 'reconciler connection error'));
  // customers' emails through SMTP (or the log without SMTP_URL), their texts through the SMS provider
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log: log.child({ worker: 'notifications' }), production: config.NODE_ENV === 'production' });
  const notify = notificationDeps(config, log, { db, mailer, redis });
  // every sale, payment and refund these workers make is sealed in its own transaction (fiscal/seal.ts)
  const signing = fiscalKey(config);
  installSaleSeal(signing, { sales: config.FISCAL_SEAL_SALES });
  const workers = startQueueWorkers({ config, db, bookkeeping, connection, prefix, provider, queues, positions, notify, mailer, log });
  workers.push(startMarketplacesWorker({ db, providers: options.marketplaces ?? marketplacesFor(config), queues, origin: config.publicOrigin, eta: config.eta, connection, prefix, log: log.child({ worker: 'marketplaces' }) }));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  if (options.schedule !== false) await scheduleMaintenance(queues, config);
  // the fiscal journal follows the events from its own place, and catches up at once (its first run
  // writes this start, the migrations applied and the fiscal settings changed in the JET; its close, the stop)
  const journal = createFiscalJournal({
    db, key: signing, log: log.child({ module: 'fiscal-journal' }),
    process: newInstance('workers', software().version), settings: fiscalSettingsOf(config), anchorFile: config.FISCAL_ANCHOR_FILE,
  });
  const evenings = await startEvenings(config, { db, positions, log });
  void journal.catchUp();
  const reconcileLog = log.child({ module: 'reconciler' });
  const reconcileNow = () => reconcile({ db, queues, config, redis: jobsRedis, log: reconcileLog, schedules: options.schedule !== false });
  // the reconciler and the sweeps: one workers process's at a time, the lease holder's
  // (reactor-lease.ts); every process runs the queues' jobs
  const following = followingDuties({ config, db, queues, journal, positions, log, reconcileNow, reconcile: options.reconcile !== false, jobsRedis });
  // the first try of the lease once Redis has answered (or after a few seconds without it: then the lease waits for it)
  await answered(jobsRedis, 5_000);
  // the event reactor runs in every process, on the shops' partitions this process holds (event-partitions.ts)
  const reacting = await startReacting({ config, db, queues, notify, journal, log, healthy: () => jobsRedis.status === 'ready' });
  const lease = await startLease({
    databaseUrl: config.DATABASE_URL,
    name: `${REACTOR_LEASE}:${config.QUEUE_PREFIX}`,
    log,
    onAcquired: following.start,
    onLost: () => following.stop(),
    // the queues' Redis, as this process reaches it: away, the lease goes to a process that reaches it
    healthy: () => jobsRedis.status === 'ready',
  });
  return {
    queues,
    workers,
    provider,
    /** Runs the reconciler now (what the timer does every minute), and tells what it queued. */
    reconcile: reconcileNow,
    /** The fiscal journal's writer (its catch-up and sweep, for tests and scripts). */
    journal,
    /** Whether this process runs the reconciler and the sweeps now (holds the lease), or waits to take over. */
    get following() {
      return lease.holding;
    },
    /** The shops' event partitions this process reacts to now. */
    get partitions(): ReadonlySet<number> {
      return reacting.partitions;
    },
    async close(timeoutMs = config.SHUTDOWN_TIMEOUT_MS) {
      // the reconciler and sweeps stop, then the lease goes: another process takes over within a second
      following.stopWithin(timeoutMs);
      await Promise.all([lease.close(), evenings.close()]);
      // each partition handed over (its place written down first): the others take them within a second
      await reacting.close(timeoutMs);
      // what the last events brought is journaled (or read again at the next start)
      await Promise.race([journal.close(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      // worker.close() waits for active jobs without a limit: force after the timeout
      const graceful = Promise.all(workers.map((w) => w.close()));
      const forced = new Promise<void>((resolve) =>
        setTimeout(() => void Promise.all(workers.map((w) => w.close(true))).then(() => resolve()), timeoutMs).unref(),
      );
      await Promise.race([graceful, forced]);
      await queues.close();
      mailer.close();
      redis.disconnect();
      jobsRedis.disconnect();
      await Promise.all([db.end(), bookkeeping.end()]);
    },
  };
}

/** Each shop's evening (drivers, plan, figures, forecasts): computed by one workers process, under a lease of its own (evening-owner.ts). */
async function startEvenings(config: Config, deps: { db: Db; positions: PositionStore; log: Logger }) {
  const redis = createRedis(config, { maxRetriesPerRequest: 1 });
  redis.on('error', (err) => deps.log.debug({ err }, 'evenings connection error'));
  // the lease is tried once Redis answers (or after a few seconds without it: then it waits for it)
  await answered(redis, 5_000);
  const owner = await startEveningOwner({
    db: deps.db, databaseUrl: config.DATABASE_URL, redis, prefix: config.QUEUE_PREFIX, positions: deps.positions,
    road: { mode: config.DELIVERY_MODE, eta: config.eta }, log: deps.log.child({ module: 'evenings' }),
  });
  return {
    async close() {
      await owner.close();
      redis.disconnect();
    },
  };
}

/** Resolves once Redis has answered, or after `ms` without it. */
async function answered(redis: Redis, ms: number) {
  if (redis.status === 'ready') return;
  await new Promise<void>((r) => {
    const done = () => (clearTimeout(timer), redis.off('ready', done), r());
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}

/** Redis away (down, or failing over to a replica): one line a minute, not one per connection attempt. */
function warnOnceAMinute(queues: Queues, log: Logger) {
  let last = 0;
  for (const q of queues.all) {
    q.on('error', (err) => {
      if (Date.now() - last < 60_000) return;
      last = Date.now();
      log.warn({ err: err.message }, 'queues unreachable (Redis)');
    });
  }
}

/** What telling a customer needs: the notifications worker's, and the reactor's own texts (message-sender.ts). */
function notificationDeps(config: Config, log: Logger, deps: { db: Db; mailer: Mailer; redis: Redis }): NotificationDeps {
  const { db, mailer, redis } = deps;
  return {
    // durable: a claim or a "sent" mark a failover forgets is a message sent twice
    db,
    mailer,
    // the chain's countries, budget and ranges, counted in Redis with the servers' sign-in codes
    sms: guardSms(smsProviderFrom(config, log.child({ worker: 'notifications' })), config, { db, log: log.child({ worker: 'notifications' }), redis }),
    origin: config.publicOrigin,
    eta: config.eta,
    mode: config.DELIVERY_MODE,
    limits: { perDestination: config.MESSAGES_PER_DESTINATION_PER_HOUR, perClient: config.MESSAGES_PER_CLIENT_PER_HOUR },
  };
}

/** Every queue's worker, watched: a job that failed for good is logged as an error and reported. */
function startQueueWorkers(deps: {
  config: Config;
  db: Db;
  bookkeeping: Db;
  connection: ReturnType<typeof connectionFor>;
  prefix: string;
  provider: PaymentProvider;
  queues: Queues;
  positions: PositionStore;
  notify: NotificationDeps;
  mailer: Mailer;
  log: Logger;
}) {
  const { config, db, bookkeeping, connection, prefix, provider, queues, positions, notify, mailer, log } = deps;
  // each worker is typed by its queue's jobs; here they are only started, watched and closed
  const workers: Worker<any, unknown, any>[] = [
    startPaymentsWorker({ db, connection, prefix, provider, queues, log: log.child({ worker: 'payments' }), expiryMinutes: config.PAYMENT_EXPIRY_MINUTES, voucherDailyLimitCents: config.MEAL_VOUCHER_DAILY_LIMIT_CENTS }),
    startPrepWorker({ db, connection, prefix, log: log.child({ worker: 'prep' }) }),
    startDispatchWorker({
      db,
      positions,
      settings: {
        offerTimeoutMs: config.OFFER_TIMEOUT_SECONDS * 1000,
        maxPerTrip: config.BATCH_MAX_PER_TRIP,
        mode: config.DELIVERY_MODE,
        eta: config.eta,
        presentOnly: config.DISPATCH_PRESENT_ONLY,
        positionFreshMs: config.DRIVER_POSITION_FRESH_SECONDS * 1000,
      },
      connection,
      prefix,
      log: log.child({ worker: 'dispatch' }),
    }),
    startMaintenanceWorker({ db, config, connection, prefix, log: log.child({ worker: 'maintenance' }) }),
    startNotificationsWorker({ ...notify, connection, prefix, log: log.child({ worker: 'notifications' }) }),
    startAccountsWorker({
      db,
      connection,
      prefix,
      links: { mailer, origin: config.publicOrigin, inviteTtlHours: config.INVITE_TTL_HOURS, resetTtlMinutes: config.RESET_TTL_MINUTES },
      log: log.child({ worker: 'accounts' }),
    }),
    startPrintingWorker({
      db: bookkeeping, connection, prefix, origin: config.publicOrigin, timeoutMs: config.PRINTER_TIMEOUT_MS, policy: policyOf(config),
      key: fiscalKey(config), log: log.child({ worker: 'printing' }),
    }),
  ];
  for (const w of workers) {
    w.on('failed', (job, err) => {
      const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      log[final ? 'error' : 'debug']({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, final ? 'job failed for good' : 'job failed, will retry');
      if (final) reportError(err, { queue: w.name, jobId: job?.id });
    });
    w.on('error', (err) => log.error({ queue: w.name, err }, 'worker error'));
  }
  return workers;
}

/**
 * What the lease holder does besides the jobs: the reconciler (at once, then every minute) and the
 * sweeps. `start` on taking the lease; `stop` on losing it or at the close, within `timeoutMs`.
 */
function followingDuties(deps: {
  config: Config;
  db: Db;
  queues: Queues;
  journal: FiscalJournal;
  positions: PositionStore;
  log: Logger;
  reconcileNow: () => Promise<unknown>;
  reconcile: boolean;
  /** The reconciler's Redis connection: told when Redis is reached again. */
  jobsRedis: Pick<Redis, 'on'>;
}) {
  const { config, db, queues, journal, positions, log, reconcileNow } = deps;
  const reconcileLog = log.child({ module: 'reconciler' });
  // one run at a time; a run that fails (Redis or Postgres away) is simply tried again next minute
  const reconciler = oneAtATime(() => reconcileNow().catch((err) => reconcileLog.error({ err }, 'reconciler run failed')));
  // Redis back after losing the connection (a restart, a failover to a replica that missed the last
  // writes): the process that follows queues again what it lost at once, not at the next minute's run
  let lost = false;
  deps.jobsRedis.on('close', () => (lost = true));
  deps.jobsRedis.on('ready', () => {
    if (!lost) return;
    lost = false;
    if (!running || !deps.reconcile) return;
    reconcileLog.info('Redis reached again: reconciling now');
    void reconciler.run();
  });
  let running: { timer?: NodeJS.Timeout; sweeps: ReturnType<typeof startSweeps> } | null = null;
  let limitMs = config.SHUTDOWN_TIMEOUT_MS;
  return {
    /** The stop's limit, when the close gives another than the settings'. */
    stopWithin(ms: number) {
      limitMs = ms;
    },
    async start() {
      if (running) return;
      let timer: NodeJS.Timeout | undefined;
      if (deps.reconcile) {
        await reconciler.run();
        timer = setInterval(() => void reconciler.run(), RECONCILE_EVERY_MS);
        timer.unref();
      }
      running = { timer, sweeps: startSweeps({ config, db, positions, queues, journal, log }) };
    },
    async stop(timeoutMs = limitMs) {
      const was = running;
      running = null;
      if (!was) return;
      const { timer, sweeps } = was;
      clearInterval(timer);
      sweeps.stop();
      // a run waiting for Redis must not hold the stop past its timeout
      await Promise.race([Promise.all([reconciler.running(), sweeps.running()]), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}

/**
 * The event reactor, with the stock folder and the message sender it hands its work to, reacting to
 * the shops' partitions this process holds (event-partitions.ts: its share of them, taken over from a
 * process that dies within LEASE_RETRY_MS). `close` hands them over, their places written down.
 */
async function startReacting(deps: { config: Config; db: Db; queues: Queues; notify: NotificationDeps; journal: FiscalJournal; log: Logger; healthy: () => boolean }) {
  const { config, db, queues, notify, journal, log } = deps;
  const folder = createStockFolder({ db, log: log.child({ module: 'stock-folder' }) });
  const messages = createMessageSender({ notify, queues, log: log.child({ worker: 'notifications' }) });
  const held = new Set<number>();
  // sold-outs and the shop's levers told to its delivery platforms, for the shops this process reacts to
  const platforms = await watchForPlatforms({ db, databaseUrl: config.DATABASE_URL, queues, log: log.child({ module: 'platforms' }), owns: (shop) => held.has(partitionOf(shop)) });
  const reactor = await startEventReactor({
    db,
    databaseUrl: config.DATABASE_URL,
    queues,
    log: log.child({ module: 'event-reactor' }),
    prepTargetMs: config.PREP_TARGET_SECONDS * 1000,
    dispatchRetryMs: config.DISPATCH_RETRY_MS,
    paymentExpiryMs: config.PAYMENT_EXPIRY_MINUTES * 60_000,
    folder,
    messages,
    journal,
    platforms,
  });
  const partitions = await startPartitionLeases({
    databaseUrl: config.DATABASE_URL,
    name: `${REACTOR_LEASE}:${config.QUEUE_PREFIX}`,
    log,
    onTaken: async (p) => (await reactor.take(p), void held.add(p)),
    onGiven: async (p) => (held.delete(p), await reactor.give(p)),
    onLost: async (p) => (held.delete(p), await reactor.drop(p)),
    healthy: deps.healthy,
  });
  return {
    partitions: partitions.held,
    async close(timeoutMs: number) {
      await partitions.close();
      await reactor.close();
      await platforms.close();
      // the texts on their way: claimed and sent, or left to the reconciler past the timeout
      await messages.close(timeoutMs);
      // what was started last is folded now (or by the next sweep, when Postgres is away)
      await Promise.race([folder.close(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}

/**
 * The sweep of consumed stock: one at a time, in small transactions with a pause between them; a
 * third of a minute after the reconciler's runs, and the late notices two thirds: each is a burst
 * of reads over the whole evening, and all three in the same second were a stall every minute of a rush.
 */
function startSweeps(deps: { config: Config; db: Db; positions: PositionStore; queues: Queues; journal: FiscalJournal; log: Logger }) {
  const { config, db, positions, queues, journal, log } = deps;
  let closing = false;
  const fold = oneAtATime(() =>
    foldConsumedStock(db, { pauseMs: FOLD_PAUSE_MS, stopped: () => closing }).catch((err) => log.error({ err }, 'sweeping consumed stock failed, trying again shortly')),
  );
  const folding = everyFrom(STOCK_SWEEP_EVERY_MS / 3, STOCK_SWEEP_EVERY_MS, () => void fold.run());
  // the fiscal journal's sweep: half a minute after the reconciler's runs
  const fiscal = everyFrom(FISCAL_SWEEP_EVERY_MS / 2, FISCAL_SWEEP_EVERY_MS, () => void journal.sweep());
  // orders the shops' plans expect late: their managers alerted, then (later, and once) their customers told
  const road: Road = { mode: config.DELIVERY_MODE, eta: config.eta };
  const what = { alerts: config.LATE_ALERTS, notices: config.LATE_NOTICES };
  const delays = what.alerts || what.notices
    ? everyFrom((2 * DELAYS_EVERY_MS) / 3, DELAYS_EVERY_MS, () =>
        void actOnLateForecasts({ db, positions, queues, road }, what).catch((err) => log.warn({ err }, 'late forecasts failed, trying again shortly')),
      )
    : undefined;
  return {
    /** The fold under way, if any. */
    running: fold.running,
    /** No sweep starts after this, and the fold under way stops after its transaction. */
    stop() {
      folding.stop();
      fiscal.stop();
      delays?.stop();
      closing = true;
    },
  };
}

/** `run` never twice at once: a call while it runs shares the run under way. */
function oneAtATime(run: () => Promise<unknown>) {
  let running: Promise<unknown> | null = null;
  return {
    run: () => (running ??= run().finally(() => (running = null))),
    running: () => running,
  };
}

/** Runs `f` first `offsetMs` from now, then every `everyMs`; neither timer keeps the process alive. */
function everyFrom(offsetMs: number, everyMs: number, f: () => void) {
  let interval: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    f();
    interval = setInterval(f, everyMs);
    interval.unref();
  }, offsetMs);
  first.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(interval);
    },
  };
}
