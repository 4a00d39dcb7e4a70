import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';

// Every queue, its jobs and their payloads, and how job ids are built, in one place.
// BullMQ job ids may not contain ':' nor be all digits.
export const QUEUES = {
  payments: 'payments',
  prep: 'prep-timers',
  dispatch: 'dispatch',
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  /** Ask the provider for the order's total, for this attempt (a change while pending starts the next one). */
  'payments:begin': { orderId: string; attempt: number };
  /** The provider took `amountCents` for this attempt, under `reference`. */
  'payments:confirm': { orderId: string; attempt: number; amountCents: number; reference: string };
  /** An online order still unpaid after PAYMENT_EXPIRY_MINUTES is cancelled. */
  'payments:expire': { orderId: string; attempt: number };
  /** Give back what the order owes its customer, through the provider. */
  'payments:refund': { orderId: string };
  'prep:late-check': { orderId: string };
  'dispatch:assign': { orderId: string };
  'maintenance:backup': { trigger?: string };
  'maintenance:housekeeping': { trigger?: string };
}

/** Job schedulers (BullMQ upserts them by id at every start, so a changed pattern takes effect). */
export const SCHEDULERS = {
  backup: 'daily-backup',
  housekeeping: 'weekly-maintenance',
} as const;
/** Schedulers of earlier versions, now done by the reconciler (workers/reconciler.ts): removed at start. */
export const RETIRED_SCHEDULERS = ['dispatch-sweep', 'payments-sweep'] as const;

/**
 * Adds a job unless one with its id is pending; a job with that id that failed for good is retried
 * instead (BullMQ ignores a new job whose id is taken, even by a failed one).
 */
export async function ensureJob(queue: Queue, name: string, data: object, opts: JobsOptions & { jobId: string }): Promise<'added' | 'retried' | 'pending' | 'done'> {
  const existing = await queue.getJob(opts.jobId);
  if (!existing) {
    await queue.add(name, data, opts);
    return 'added';
  }
  const state = await existing.getState();
  if (state === 'failed') {
    await existing.retry('failed');
    return 'retried';
  }
  return state === 'completed' ? 'done' : 'pending';
}

export const jobId = {
  paymentBegin: (orderId: string, attempt = 1) => `pay-${orderId}-${attempt}`,
  paymentConfirm: (orderId: string, attempt = 1) => `pay-confirm-${orderId}-${attempt}`,
  paymentExpiry: (orderId: string, attempt = 1) => `expire-${orderId}-${attempt}`,
  // a new id once a refund is recorded, so a later refund of the same order gets its own job
  refund: (orderId: string, refundedSoFarCents: number) => `refund-${orderId}-${refundedSoFarCents}`,
  prep: (orderId: string) => `prep-${orderId}`,
  dispatch: (orderId: string) => `dispatch-${orderId}`,
};

// 12 attempts, 1 s doubling: a job rides out a database or network outage of about an hour
/** A delivery assignment: retried every `retryMs` for about an hour at the default, until a driver is free. */
export const dispatchJobOptions = (orderId: string, retryMs: number) => ({
  jobId: jobId.dispatch(orderId),
  attempts: 720,
  backoff: { type: 'fixed' as const, delay: retryMs },
});

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function connectionFor(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    maxRetriesPerRequest: null,
  };
}

export function createQueues(connection: ConnectionOptions, prefix: string) {
  const make = (name: QueueName) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const payments = make(QUEUES.payments);
  const prep = make(QUEUES.prep);
  const dispatch = make(QUEUES.dispatch);
  const maintenance = make(QUEUES.maintenance);
  const all = [payments, prep, dispatch, maintenance];
  return {
    payments,
    prep,
    dispatch,
    maintenance,
    all,
    async close() {
      await Promise.all(all.map((q) => q.close()));
    },
  };
}
export type Queues = ReturnType<typeof createQueues>;
