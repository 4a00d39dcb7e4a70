import type { Logger } from 'pino';
import type { Config } from '../src/lib/server/kernel/config.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { ordersInPreparation, ordersToFire, ordersWaitingForDriver } from '../src/lib/server/orders/index.ts';
import { onlineRefundsDue, pendingOnlinePayments } from '../src/lib/server/money/order-payments.ts';
import { holdsToCapture, strayHoldsToRelease } from '../src/lib/server/money/captures.ts';
import { customersToErase, savedCardJobs } from '../src/lib/server/money/saved-card-holds.ts';
import { unprocessedPaymentEvents } from '../src/lib/server/money/ledger.ts';
import { messagesNotSent, stepsNeverClaimed } from '../src/lib/server/messages/notifications.ts';
import { ordersWithPendingRefunds } from '../src/lib/server/money/refund-settling.ts';
import { ordersWithPendingTipRefunds } from '../src/lib/server/money/tip-refunds.ts';
import { reactorPlaces } from './event-reactor.ts';
import { dispatchJobOptions, ensureJob, ensureJobs, jobId, prepSweepFor, SCHEDULERS, type PipelineClient, type Queues } from '../src/lib/server/kernel/queues.ts';
import { scheduleMaintenance } from './maintenance.worker.ts';
import { ordersLeftReceived } from '../src/lib/server/marketplaces/intake.ts';
import { ordersWithTipsToShare } from '../src/lib/server/money/tips.ts';
import { tipsToBegin } from '../src/lib/server/money/tip-payments.ts';
import { doorQrRefundsDue } from '../src/lib/server/money/door-qr.ts';

export type ReconcileReport = Record<
  | 'payments' | 'expiries' | 'prepTimers' | 'fires' | 'dispatches' | 'refunds' | 'captures' | 'events' | 'releases' | 'holds' | 'holdDeadlines' | 'cardsForgotten'
  | 'customersErased' | 'messages' | 'schedules' | 'platformOrders' | 'tips',
  number
>;

/** A job ensured (ensureJob's answer) counts when it was queued again or retried. */
const counted = (r: string) => (r === 'added' || r === 'retried' ? 1 : 0);

/**
 * Saved cards (orders for later): the hold at its time, a refused hold's deadline and its message,
 * the card forgotten once the order ended, each derived from the order's columns; and the provider's
 * customers of erased accounts (their saved cards' name and phone), until the provider deletes them.
 */
async function reconcileSavedCards(db: Db, queues: Queues, report: ReconcileReport, now: number) {
  const cards = await savedCardJobs(db);
  for (const h of cards.holds) {
    report.holds += counted(await ensureJob(queues.payments, 'hold', { orderId: h.id }, { jobId: jobId.hold(h.id), delay: Math.max(0, h.dueAt.getTime() - now) }));
  }
  for (const d of cards.deadlines) {
    report.holdDeadlines += counted(
      await ensureJob(queues.payments, 'hold-deadline', { orderId: d.id }, { jobId: jobId.holdDeadline(d.id), delay: Math.max(0, d.payBy.getTime() - now) + 1000 }),
    );
    if (!d.told) report.messages += counted(await ensureJob(queues.notifications, 'send', { orderId: d.id, step: 'hold-failed' }, { jobId: jobId.notify(d.id, 'hold-failed') }));
  }
  for (const id of cards.toForget) {
    report.cardsForgotten += counted(await ensureJob(queues.payments, 'forget-card', { orderId: id }, { jobId: jobId.forgetCard(id) }));
  }
  for (const ref of await customersToErase(db)) {
    report.customersErased += counted(await ensureJob(queues.payments, 'delete-customer', { customerRef: ref }, { jobId: jobId.deleteCustomer(ref) }));
  }
}

/** The schedules the workers keep in Redis: the backup's only when they take the backups. */
const expectedSchedulers = (config: Config): string[] =>
  config.BACKUP_CRON === 'off' ? [SCHEDULERS.housekeeping] : Object.values(SCHEDULERS);

/**
 * Postgres is the truth: every job it says should exist is queued again if Redis lost it, and one
 * that gave up is retried. Job ids are fixed per order (and attempt), so a job already queued is
 * left alone and nothing runs twice. Run at start and every minute by the workers.
 */
export async function reconcile(deps: {
  db: Db;
  queues: Queues;
  config: Config;
  /** Asks Redis which jobs are there for many orders at once (ensureJobs): a rush holds thousands. */
  redis: PipelineClient;
  log?: Logger;
  schedules?: boolean;
}): Promise<ReconcileReport> {
  const { db, queues, config, redis } = deps;
  const now = Date.now();
  const report: ReconcileReport = {
    payments: 0, expiries: 0, prepTimers: 0, fires: 0, dispatches: 0, refunds: 0, captures: 0, events: 0, releases: 0, holds: 0, holdDeadlines: 0, cardsForgotten: 0,
    customersErased: 0, messages: 0, schedules: 0, platformOrders: 0, tips: 0,
  };

  // payment events the webhook kept (and answered) whose job was lost: first, so an order paid is
  // paid before anything below looks at it
  for (const eventId of await unprocessedPaymentEvents(db)) {
    report.events += counted(await ensureJob(queues.payments, 'event', { eventId }, { jobId: jobId.paymentEvent(eventId) }));
  }

  const pending = await pendingOnlinePayments(db);
  report.payments += await ensureJobs(redis, queues.payments, 'begin', pending.map((p) => ({
    data: { orderId: p.id, attempt: p.attempt }, opts: { jobId: jobId.paymentBegin(p.id, p.attempt) },
  })));
  report.expiries += await ensureJobs(redis, queues.payments, 'expire', pending.map((p) => ({
    data: { orderId: p.id, attempt: p.attempt },
    opts: { jobId: jobId.paymentExpiry(p.id, p.attempt), delay: Math.max(0, p.startedAt.getTime() + config.PAYMENT_EXPIRY_MINUTES * 60_000 - now + 1000) },
  })));

  // the timers keep the time they had left: their shop's timer for the second each order falls due
  // (the one the reactor queued, found by its id), or the order's own check at once if already past
  const sweeps = new Map<string, NonNullable<ReturnType<typeof prepSweepFor>>>();
  const overdue: string[] = [];
  for (const o of await ordersInPreparation(db)) {
    const sweep = prepSweepFor(o.pizzeriaId, o.preparingAt.getTime(), (o.targetSeconds ?? config.PREP_TARGET_SECONDS) * 1000, now);
    if (sweep) sweeps.set(sweep.opts.jobId, sweep);
    else overdue.push(o.id);
  }
  report.prepTimers += await ensureJobs(redis, queues.prep, 'late-sweep', [...sweeps.values()]);
  report.prepTimers += await ensureJobs(redis, queues.prep, 'late-check', overdue.map((orderId) => ({ data: { orderId }, opts: { jobId: jobId.prep(orderId) } })));

  // orders for later to fire within a day (the job already queued is left alone; a lost one comes back)
  for (const o of await ordersToFire(db)) {
    report.fires += counted(await ensureJob(queues.prep, 'fire', { orderId: o.id }, {
      jobId: jobId.fire(o.id), delay: Math.max(0, o.fireAt.getTime() - now), backoff: { type: 'fixed', delay: 1000 },
    }));
  }

  // a driver starting a shift, or an assignment whose retries ran out, is picked up here
  report.dispatches += await ensureJobs(redis, queues.dispatch, 'assign', (await ordersWaitingForDriver(db)).map(({ id: orderId, round }) => ({
    data: { orderId }, opts: dispatchJobOptions(orderId, config.DISPATCH_RETRY_MS, round),
  })));

  // managers' refunds through the provider not given back yet
  for (const r of await ordersWithPendingRefunds(db)) {
    report.refunds += counted(await ensureJob(queues.payments, 'manager-refund', { orderId: r.orderId }, { jobId: jobId.managerRefund(r.orderId, `r${r.firstId}`) }));
  }
  for (const r of await ordersWithPendingTipRefunds(db)) {
    report.refunds += counted(await ensureJob(queues.payments, 'manager-refund', { orderId: r.orderId }, { jobId: jobId.managerRefund(r.orderId, `t${r.tipId}`) }));
  }
  for (const ref of await doorQrRefundsDue(db)) {
    report.refunds += counted(await ensureJob(queues.payments, 'door-qr-refund', { sessionRef: ref }, { jobId: jobId.doorQrRefund(ref) }));
  }
  for (const r of await onlineRefundsDue(db)) {
    report.refunds += counted(await ensureJob(queues.payments, 'refund', { orderId: r.id }, { jobId: jobId.refund(r.id, r.refundedCents) }));
  }
  // card holds of orders the kitchen started, not captured yet (nor refused)
  for (const id of await holdsToCapture(db)) {
    report.captures += counted(await ensureJob(queues.payments, 'capture', { orderId: id }, { jobId: jobId.capture(id) }));
  }

  // card holds an order could not use, not let go yet
  for (const h of await strayHoldsToRelease(db)) {
    report.releases += counted(await ensureJob(queues.payments, 'release', h, { jobId: jobId.release(h.intentId) }));
  }
  await reconcileSavedCards(db, queues, report, now);
  // platform orders the webhook kept (and answered) and no job took onto the make line yet
  // tips: an after-delivery tip whose payment was never made, a delivered order's tip never shared
  report.tips += await ensureJobs(redis, queues.payments, 'tip-begin', (await tipsToBegin(db)).map((tipId) => ({ data: { tipId }, opts: { jobId: jobId.tipBegin(tipId) } })));
  report.tips += await ensureJobs(redis, queues.payments, 'tip-shares', (await ordersWithTipsToShare(db)).map((orderId) => ({ data: { orderId }, opts: { jobId: jobId.tipShares(orderId) } })));
  report.platformOrders += await ensureJobs(redis, queues.marketplaces, 'intake', (await ordersLeftReceived(db)).map((id) => ({ data: { id }, opts: { jobId: jobId.marketplaceIntake(id) } })));
  // messages to customers claimed and not sent (waiting for a retry when Redis lost them), their claim
  // free; and steps whose job was lost before any run claimed them
  const messages = [...(await messagesNotSent(db)), ...(await stepsNeverClaimed(db, await reactorPlaces(db)))];
  report.messages += await ensureJobs(redis, queues.notifications, 'send', messages.map((m) => ({ data: m, opts: { jobId: jobId.notify(m.orderId, m.step) } })));

  // the schedules live in Redis too: registered again if they were lost
  const schedulers = new Set((await queues.maintenance.getJobSchedulers()).map((s) => s.key));
  if (deps.schedules !== false && expectedSchedulers(config).some((k) => !schedulers.has(k))) {
    await scheduleMaintenance(queues, config);
    report.schedules++;
  }

  const total = Object.values(report).reduce((a, b) => a + b, 0);
  if (total) deps.log?.warn(report, 'reconciler queued jobs Postgres says should exist');
  return report;
}
