import { randomUUID } from 'node:crypto';
import { redisOptions, type RedisSettings } from './redis-options.ts';
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { MarketplaceStep } from '../../domain/marketplace-steps.ts';

// Every queue, its jobs and their payloads, and how job ids are built, in one place: the server
// (metrics, the operations page) and the workers both import it from here.
// BullMQ job ids may not contain ':' nor be all digits.
/**
 * How the workers hold a job of the short kinds (a payment, a message, a dispatch, a timer, a print,
 * a platform call, an account's erasure): a job a killed workers process held is taken up by the
 * other within some 20 s rather than a minute (BullMQ's defaults: a 30 s lock checked every 30 s,
 * https://docs.bullmq.io/guide/jobs/stalled). Such a job takes well under a second; its lock is
 * renewed every 7.5 s while it runs. The maintenance jobs (a backup) keep a longer lock of their own.
 */
export const SHORT_JOBS = { lockDuration: 15_000, stalledInterval: 5_000 } as const;

export const QUEUES = {
  payments: 'payments',
  prep: 'prep-timers',
  dispatch: 'dispatch',
  maintenance: 'maintenance',
  notifications: 'notifications',
  accounts: 'accounts',
  printing: 'printing',
  marketplaces: 'marketplaces',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Each queue's jobs and their payloads: adding a job with a payload of another kind does not compile. */
export interface JobMap {
  payments: {
    /** Ask the provider for the order's total, for this attempt (a change while pending starts the next one). */
    begin: { orderId: string; attempt: number };
    /** An online order still unpaid after PAYMENT_EXPIRY_MINUTES is cancelled. */
    expire: { orderId: string; attempt: number };
    /** Give back what the order owes its customer, through the provider (a hold not captured: let go). */
    refund: { orderId: string };
    /** Give back a manager's refunds of the order still pending, and its tips a manager refunds, through the provider (money/refund-settling.ts, money/tip-refunds.ts). */
    'manager-refund': { orderId: string };
    /** Let go a card hold the order cannot use (an older attempt's, another amount's, or one on an order paid another way). */
    /** `voucher`: a titre-restaurant's hold (kept on its own row, meal-vouchers-online.ts). */
    release: { orderId: string; intentId: string; amountCents: number; voucher?: boolean };
    /** Take the card hold of an order the kitchen started. */
    capture: { orderId: string };
    /** Hold the card saved for an order for later, off-session, the day before its slot (delayed to then). */
    hold: { orderId: string };
    /** An order whose hold the bank refused, still unpaid at its deadline, is cancelled (delayed to then). */
    'hold-deadline': { orderId: string };
    /** Make the payment of a tip given after the delivery (src/lib/server/money/tip-payments.ts). */
    'tip-begin': { tipId: string };
    /** Write the shares of a delivered order's paid tips (src/lib/server/money/tips.ts), once. */
    'tip-shares': { orderId: string };
    /** Forget (detach) the card saved for an order that has ended. */
    'forget-card': { orderId: string };
    /** Delete at the provider a customer made for a saved card, its account erased (provider_customer_erasures). */
    'delete-customer': { customerRef: string };
    /** Give back a QR code paid at the door when its order no longer owed it (money/door-qr.ts), its provider page named. */
    'door-qr-refund': { sessionRef: string };
    /**
     * A provider's webhook event, kept in payment_events by the server (signature checked), acted on
     * once. Jobs queued by an earlier version carry the provider's event itself (read by its provider's noticeOf).
     */
    event: { eventId: string } | { event: { id: string } };
  };
  /**
   * The preparation timers, and an order for later fired into the make line at its time.
   * - `late-sweep`: one timer per shop and second: every order of the shop still in the oven, not
   *   flagged yet, that started by `startedBy` (ISO, the database's clock) is late.
   * - `late-check`: one order's timer (a ticket taken back to the oven, or already past its time).
   */
  prep: { 'late-sweep': { pizzeriaId: number; startedBy: string }; 'late-check': { orderId: string }; fire: { orderId: string } };
  dispatch: { assign: { orderId: string } };
  /** `closings`: every shop's days that are over closed in its fiscal journal (src/lib/server/fiscal/closings.ts). */
  maintenance: { backup: { trigger?: string }; housekeeping: { trigger?: string }; closings: { trigger?: string } };
  /** Tell the customer about a step of their order (email, and SMS for some steps), once. */
  notifications: { send: { orderId: string; step: string } };
  /**
   * "Forgot your password?" for this email: the worker looks the account up, makes the link and
   * mails it, so the request does the same work whether an account has the email or not.
   */
  accounts: { 'password-reset': { email: string } };
  /** An order's label (when ready), whole ticket or till receipt, on its shop's printer: one copy, once. */
  printing: { print: { orderId: string; kind: 'label' | 'ticket' | 'receipt'; copy: number; requestedBy?: string } };
  /**
   * The delivery platforms (src/lib/server/marketplaces/, workers/marketplaces.worker.ts):
   * - `intake`: a platform order kept by the webhook (marketplace_orders.id) put on the make line, denied or left waiting;
   * - `expire`: at its accept_by, still waiting: let expire (the platform cancels it itself);
   * - `notice`: a platform's cancellation or courier news, kept once by the webhook;
   * - `step`, `cancel`: a kitchen step of a platform order, or our cancel of it, told to its platform;
   * - `availability`, `status`: a shop's sold-outs and its levers (busy, paused) told to its stores;
   * - `menu`: a shop's menu pushed to its store on a platform.
   */
  marketplaces: {
    intake: { id: number };
    expire: { id: number };
    /** The notice as the platform's provider read it (MarketplaceNotice of marketplaces/provider.ts, which the queues do not import). */
    notice: { marketplace: string; notice: { kind: string; eventId: string } & Record<string, unknown> };
    step: { orderId: string; step: MarketplaceStep };
    cancel: { orderId: string };
    availability: { pizzeriaId: number };
    status: { pizzeriaId: number };
    menu: { pizzeriaId: number; marketplace: string };
  };
}
export type QueueKey = keyof JobMap;
export type JobName<K extends QueueKey> = keyof JobMap[K] & string;
export type JobData<K extends QueueKey, N extends JobName<K> = JobName<K>> = JobMap[K][N];
/** A queue of `K`'s jobs (the phantom `jobs` lets helpers infer which queue they were given). */
export type QueueOf<K extends QueueKey> = Queue<JobData<K>, unknown, JobName<K>> & { readonly jobs?: K };
/** A job as a worker of `K` receives it: check `job.name` to narrow its data with `isJob`. */
export type JobOf<K extends QueueKey> = Job<JobData<K>, unknown, JobName<K>>;

/** Narrows a job to one name, and so its payload. */
export function isJob<K extends QueueKey, N extends JobName<K>>(job: JobOf<K>, name: N): job is JobOf<K> & Job<JobData<K, N>, unknown, N> {
  return job.name === name;
}

/** Adds a job whose payload is checked against its name. */
export function addJob<K extends QueueKey, N extends JobName<K>>(queue: QueueOf<K>, name: N, data: JobData<K, N>, opts?: JobsOptions) {
  return (queue as Queue).add(name, data, opts);
}

/** Job schedulers (BullMQ upserts them by id at every start, so a changed pattern takes effect). */
export const SCHEDULERS = {
  backup: 'daily-backup',
  housekeeping: 'weekly-maintenance',
  closings: 'daily-closings',
} as const;
/** Schedulers of earlier versions, now done by the reconciler (workers/reconciler.ts): removed at start. */
export const RETIRED_SCHEDULERS = ['dispatch-sweep', 'payments-sweep'] as const;

/**
 * Adds a job unless one with its id is pending; a job with that id that failed for good is retried
 * instead (BullMQ ignores a new job whose id is taken, even by a failed one).
 */
export async function ensureJob<K extends QueueKey, N extends JobName<K>>(
  queue: QueueOf<K>,
  name: N,
  data: JobData<K, N>,
  opts: JobsOptions & { jobId: string },
): Promise<'added' | 'retried' | 'pending' | 'done'> {
  const existing = await queue.getJob(opts.jobId);
  if (!existing) {
    await (queue as Queue).add(name, data, opts);
    return 'added';
  }
  const state = await existing.getState();
  if (state === 'failed') {
    await existing.retry('failed');
    return 'retried';
  }
  return state === 'completed' ? 'done' : 'pending';
}

/** What ensureJobs needs of a Redis client: a pipeline of EXISTS and ZSCORE (ioredis). */
export interface PipelineClient {
  pipeline(): { exists(key: string): unknown; zscore(key: string, member: string): unknown; exec(): Promise<[Error | null, unknown][] | null> };
}
const PRESENCE_CHUNK = 1000;

/**
 * ensureJob for many jobs of one queue, as the reconciler has them in a rush (thousands of orders
 * in the oven, each with its timer): whether each job is there (in any state) and whether it failed
 * is asked for all of them in one pipelined round trip per thousand, instead of two round trips
 * and a job read each; only a missing job is added and a failed one retried, as ensureJob does.
 * Returns how many were added or retried.
 */
export async function ensureJobs<K extends QueueKey, N extends JobName<K>>(
  redis: PipelineClient,
  queue: QueueOf<K>,
  name: N,
  jobs: { data: JobData<K, N>; opts: JobsOptions & { jobId: string } }[],
): Promise<number> {
  let changed = 0;
  for (let i = 0; i < jobs.length; i += PRESENCE_CHUNK) {
    const chunk = jobs.slice(i, i + PRESENCE_CHUNK);
    const pipe = redis.pipeline();
    for (const j of chunk) {
      pipe.exists(queue.toKey(j.opts.jobId));
      pipe.zscore(queue.keys.failed, j.opts.jobId);
    }
    const replies = (await pipe.exec()) ?? [];
    for (const [k, j] of chunk.entries()) {
      const [existsErr, exists] = replies[2 * k] ?? [new Error('no reply'), null];
      const [failedErr, failedScore] = replies[2 * k + 1] ?? [new Error('no reply'), null];
      if (existsErr || failedErr) throw existsErr ?? failedErr;
      if (!Number(exists)) {
        await (queue as Queue).add(name, j.data, j.opts);
        changed++;
      } else if (failedScore !== null) {
        // failed for good: retried (ensureJob reads its state the same way)
        changed += (await ensureJob(queue, name, j.data, j.opts)) === 'retried' ? 1 : 0;
      }
    }
  }
  return changed;
}

export const jobId = {
  paymentBegin: (orderId: string, attempt = 1) => `pay-${orderId}-${attempt}`,
  paymentExpiry: (orderId: string, attempt = 1) => `expire-${orderId}-${attempt}`,
  // a new id once a refund is recorded, so a later refund of the same order gets its own job
  refund: (orderId: string, refundedSoFarCents: number) => `refund-${orderId}-${refundedSoFarCents}`,
  /** A manager's refunds of an order: one job per request (its event), or per oldest refund still pending (the reconciler). */
  managerRefund: (orderId: string, from: string) => `manager-refund-${orderId}-${from}`,
  capture: (orderId: string) => `capture-${orderId}`,
  tipBegin: (tipId: string) => `tip-begin-${tipId}`,
  tipShares: (orderId: string) => `tip-shares-${orderId}`,
  /** One hold per order: its idempotency key and the order's columns keep a retry from placing a second. */
  hold: (orderId: string) => `hold-${orderId}`,
  holdDeadline: (orderId: string) => `hold-deadline-${orderId}`,
  forgetCard: (orderId: string) => `forget-card-${orderId}`,
  deleteCustomer: (customerRef: string) => `delete-customer-${customerRef.replace(/[^A-Za-z0-9_-]/g, '_')}`,
  release: (intentId: string) => `release-${intentId.replace(/[^A-Za-z0-9_-]/g, '_')}`,
  /** One job per QR code to give back, and per try of the reconciler's (a failed one is queued again). */
  doorQrRefund: (sessionRef: string) => `door-qr-refund-${sessionRef.replace(/[^A-Za-z0-9_-]/g, '_')}`,
  /** One job per provider event: a webhook delivered twice queues it once. */
  paymentEvent: (eventId: string) => `event-${eventId.replace(/[^A-Za-z0-9_-]/g, '_')}`,
  /** One order's preparation timer (the reconciler's, for an order already past its time). */
  prep: (orderId: string) => `prep-${orderId}`,
  /** One order's timer again, after an event that put it back in the oven. */
  prepAgain: (orderId: string, eventId: number) => `prep-${orderId}-e${eventId}`,
  /** A shop's timer for the orders it started by `startedByMs` (ms since the epoch) with `targetMs` to make them. */
  prepSweep: (pizzeriaId: number, startedByMs: number, targetMs: number) => `prep-shop${pizzeriaId}-${startedByMs}-${targetMs}`,
  fire: (orderId: string) => `fire-${orderId}`,
  notify: (orderId: string, step: string) => `notify-${orderId}-${step}`,
  /** One dispatch per trip: a delivery sent out again after a failure is a new one. */
  dispatch: (orderId: string, round = 0) => (round ? `dispatch-${orderId}-${round}` : `dispatch-${orderId}`),
  /** Dispatch again after a manager took the delivery off its driver (the event that did it). */
  redispatch: (orderId: string, eventId: number) => `dispatch-${orderId}-e${eventId}`,
  /** One copy of an order's label or ticket. */
  print: (orderId: string, kind: string, copy: number) => `print-${orderId}-${kind}-${copy}`,
  marketplaceIntake: (id: number) => `mkt-order-${id}`,
  marketplaceExpire: (id: number) => `mkt-expire-${id}`,
  marketplaceNotice: (marketplace: string, eventId: string) => `mkt-notice-${marketplace}-${eventId.replace(/[^A-Za-z0-9_-]/g, '_')}`,
  marketplaceStep: (orderId: string, step: string) => `mkt-step-${orderId}-${step}`,
  marketplaceCancel: (orderId: string) => `mkt-cancel-${orderId}`,
  /** A shop's sold-outs, levers or menu told to its stores: one job a shop and second (removed once done, so the next change queues again). */
  marketplaceAvailability: (pizzeriaId: number, atMs: number) => `mkt-avail-${pizzeriaId}-${Math.floor(atMs / 1000)}`,
  marketplaceStatus: (pizzeriaId: number, atMs: number) => `mkt-status-${pizzeriaId}-${Math.floor(atMs / 1000)}`,
  marketplaceMenu: (marketplace: string, pizzeriaId: number, atMs: number) => `mkt-menu-${marketplace}-${pizzeriaId}-${Math.floor(atMs / 1000)}`,
  /** Every reset request its own job: nothing in the id tells one email from another. */
  passwordReset: () => `reset-${randomUUID()}`,
};

/**
 * The timer of an order in the oven since `startedAtMs` (the database's clock), given `targetMs` to
 * make it: its shop's timer for the whole second it falls due, which every order of the shop due in
 * that second shares (a rush starts a thousand pizzas in ten minutes: one job a shop and second,
 * not one added and removed per pizza). Null when that second is not ahead of `now`: the order
 * needs its own check at once (a job that ran keeps its id for an hour, and would swallow a new one).
 */
export function prepSweepFor(pizzeriaId: number, startedAtMs: number, targetMs: number, now = Date.now()) {
  // the database keeps microseconds, a Date only milliseconds: the order may have started up to 1 ms later
  const dueMs = Math.ceil((startedAtMs + 1 + targetMs) / 1000) * 1000;
  if (dueMs <= now) return null;
  const startedBy = dueMs - targetMs;
  return {
    data: { pizzeriaId, startedBy: new Date(startedBy).toISOString() } satisfies JobData<'prep', 'late-sweep'>,
    opts: { jobId: jobId.prepSweep(pizzeriaId, startedBy, targetMs), delay: dueMs - now },
    dueMs,
  };
}

/** A reset request's job: the email it carries leaves Redis once the job is done. */
export const passwordResetJobOptions = (): JobsOptions & { jobId: string } => ({
  jobId: jobId.passwordReset(),
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600 },
});

// 12 attempts, 1 s doubling: a job rides out a database or network outage of about an hour
/** A delivery assignment: retried every `retryMs` for about an hour at the default, until a driver is free. */
export const dispatchJobOptions = (orderId: string, retryMs: number, round = 0) => ({
  jobId: jobId.dispatch(orderId, round),
  attempts: 720,
  backoff: { type: 'fixed' as const, delay: retryMs },
});

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ's connection: REDIS_URL's Redis, or the master the sentinels name (redis-options.ts). */
export function connectionFor(redis: string | RedisSettings): ConnectionOptions {
  const settings = typeof redis === 'string' ? { REDIS_URL: redis, REDIS_TLS_VERIFY: true } : redis;
  // ioredis's own default retries (its type for them also allows null, which BullMQ's does not)
  const { retryStrategy: _default, ...options } = redisOptions(settings, { maxRetriesPerRequest: null });
  return options;
}

export function createQueues(connection: ConnectionOptions, prefix: string) {
  const make = <K extends QueueKey>(key: K) =>
    new Queue(QUEUES[key], { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS }) as QueueOf<K>;
  const payments = make('payments');
  const prep = make('prep');
  const dispatch = make('dispatch');
  const maintenance = make('maintenance');
  const notifications = make('notifications');
  const accounts = make('accounts');
  const printing = make('printing');
  const marketplaces = make('marketplaces');
  const all = [payments, prep, dispatch, maintenance, notifications, accounts, printing, marketplaces] as Queue[];
  return {
    payments,
    prep,
    dispatch,
    maintenance,
    notifications,
    printing,
    accounts,
    marketplaces,
    all,
    async close() {
      await Promise.all(all.map((q) => q.close()));
    },
  };
}
export type Queues = ReturnType<typeof createQueues>;

let pageAccounts: QueueOf<'accounts'> | undefined;
/** The accounts queue for the pages' forms and the development server (the app hands the API its own). */
export async function sharedAccountQueue(): Promise<QueueOf<'accounts'>> {
  if (!pageAccounts) {
    const { config } = await import('./config.ts');
    const c = config();
    pageAccounts = new Queue(QUEUES.accounts, { connection: connectionFor(c), prefix: c.QUEUE_PREFIX, defaultJobOptions: DEFAULT_JOB_OPTIONS }) as QueueOf<'accounts'>;
    pageAccounts.on('error', () => {}); // Redis away: the request answers 503 after its timeout
  }
  return pageAccounts;
}
