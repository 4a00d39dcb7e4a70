import type { Logger } from 'pino';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { Db } from '../src/lib/server/db.ts';
import { EventFollower } from '../src/lib/server/event-follower.ts';
import { readCursor, saveCursor } from '../src/lib/server/events.ts';
import { addJob, dispatchJobOptions, jobId, prepSweepFor, type Queues } from '../src/lib/server/queues.ts';
import { stepOfEvent } from '../src/lib/server/notifications.ts';
import type { MessageSender } from './message-sender.ts';

/** The reactor's place in event_cursors (the reconciler reads it too). */
export const REACTOR_CURSOR = 'workers';
/**
 * How often the reactor writes its place down (and when it stops). Not after every batch: in a rush
 * that was a committed write, a WAL flush, per move. A restart replays at most this much, which
 * the job ids and the notification claims make harmless, as for a crash between a reaction and
 * its save.
 */
export const CURSOR_SAVE_MS = 1000;
/** How long the reactor gathers the events publishes announce before reading them (EventFollower's gatherMs). */
export const REACT_GATHER_MS = 100;

/**
 * Turns order events into jobs: a payment to take, a preparation timer to start, a
 * delivery to assign, a message to the customer (a text sent at once: message-sender.ts; and an
 * order started into the stock folder). It keeps its place in event_cursors, so after a restart it reacts to every
 * event it had not handled; job ids make a repeat harmless.
 */
export async function startEventReactor(deps: {
  db: Db;
  databaseUrl: string;
  queues: Queues;
  log: Logger;
  prepTargetMs: number;
  dispatchRetryMs: number;
  paymentExpiryMs: number;
  /** Told of each order the kitchen starts: its reservation is folded into the stock soon after. */
  folder?: { started(orderId: string): void };
  /** Hands each step to the customer on: a text sent by the workers themselves, an email-only step as its job (message-sender.ts). */
  messages: Pick<MessageSender, 'send'>;
}) {
  const { db, queues, log } = deps;
  const startAfter = await readCursor(db, REACTOR_CURSOR);
  // a shop may have its own target preparation time (the back office): read at most once a minute
  const targets = new Map<number, { ms: number; until: number }>();
  async function prepTargetMs(shop: number): Promise<number> {
    const hit = targets.get(shop);
    if (hit && hit.until > Date.now()) return hit.ms;
    const { rows } = await db.query<{ s: number | null }>('SELECT prep_target_seconds AS s FROM pizzerias WHERE id = $1', [shop]);
    const ms = rows[0]?.s ? rows[0].s * 1000 : deps.prepTargetMs;
    targets.set(shop, { ms, until: Date.now() + 60_000 });
    return ms;
  }

  /**
   * The shops' timers this reactor queued and that have not fallen due: an order started in a second
   * whose timer is already queued adds nothing (a job added again with its id would be one more
   * script run in Redis for each pizza started). Forgotten once due; the reconciler queues again a
   * timer Redis lost.
   */
  const sweeps = new Map<string, { dueMs: number; added: Promise<unknown> }>();
  /**
   * An order in the oven: it is late if still there at its target time, counted from its start
   * (a ticket taken back keeps its start; already past it, it is checked at once). An order out of
   * the oven before then is simply not found by its timer.
   */
  async function startTimer(o: OrderUpdated['order'], eventId: number) {
    const since = Date.parse(o.timestamps.preparing ?? '') || Date.now();
    const sweep = prepSweepFor(o.pizzeriaId, since, await prepTargetMs(o.pizzeriaId));
    if (!sweep) {
      await addJob(queues.prep, 'late-check', { orderId: o.id }, { jobId: jobId.prepAgain(o.id, eventId) });
      return;
    }
    let queued = sweeps.get(sweep.opts.jobId);
    if (!queued) {
      queued = { dueMs: sweep.dueMs, added: addJob(queues.prep, 'late-sweep', sweep.data, sweep.opts) };
      sweeps.set(sweep.opts.jobId, queued);
      // not added (Redis away): the next order of that second, or this event handled again, tries again
      queued.added.catch(() => sweeps.delete(sweep.opts.jobId));
    }
    await queued.added;
  }
  function forgetDueSweeps() {
    const now = Date.now();
    for (const [id, s] of sweeps) if (s.dueMs <= now) sweeps.delete(id);
  }

  /** An order out of the oven (not back from a failed delivery): its box gets a label, where the shop has a printer. */
  const wantsLabel = (e: OrderUpdated) =>
    e.type === 'order.status' && e.order.status === 'ready' && !e.order.delivery.awaitingDecision && e.order.delivery.attempts === 0;
  /**
   * The shops with a printer, read once for a batch that has labels to print: most shops have none,
   * and a label job for each of their pizzas out of the oven was a rush's busiest queue for nothing
   * (the job, its run, its read, its events in Redis). Read afresh for each batch, so a printer set
   * on the back office prints the next label.
   */
  async function shopsWithPrinters(): Promise<Set<number>> {
    const { rows } = await db.query<{ id: number }>({ name: 'shops-with-printers', text: 'SELECT id FROM pizzerias WHERE printer_host IS NOT NULL' });
    return new Set(rows.map((r) => r.id));
  }

  async function react(e: OrderUpdated, printers: Set<number>) {
    const o = e.order;
    // the customer hears of the steps that matter to them, once each (the job id, then the database)
    const step = stepOfEvent(e.type, o);
    if (step) await deps.messages.send(o.id, step);
    // a new order, or one changed while its payment was pending: ask for the (new) total, and give up after the expiry
    if ((e.type === 'order.placed' || e.type === 'order.modified') && o.status === 'pending_payment' && o.payment.method === 'online') {
      const attempt = o.payment.attempt ?? 1;
      await addJob(queues.payments, 'begin', { orderId: o.id, attempt }, { jobId: jobId.paymentBegin(o.id, attempt) });
      // at the order's deadline (a change keeps the one it had: it counts from when the order first
      // awaited payment), a second late, so the expiry finds the time passed even if this clock is a
      // little ahead of the database's
      const since = Date.parse(o.timestamps.pending_payment ?? o.timestamps.created ?? '') || Date.now();
      const delay = Math.max(0, since + deps.paymentExpiryMs - Date.now()) + 1000;
      await addJob(queues.payments, 'expire', { orderId: o.id, attempt }, { jobId: jobId.paymentExpiry(o.id, attempt), delay });
    }
    // an order for later, taken (paid, or paid at the door): fired into the make line at its time
    if (o.scheduled && !o.scheduled.fired && o.status === 'received') {
      const delay = Math.max(0, Date.parse(o.scheduled.fireAt) - Date.now());
      await addJob(queues.prep, 'fire', { orderId: o.id }, { jobId: jobId.fire(o.id), delay, backoff: { type: 'fixed', delay: 1000 } });
    }
    // a card saved for an order for later: held the day before its slot; fired early, held at once
    if (o.payment.status === 'card_saved' && o.payment.holdAt && o.status !== 'cancelled') {
      const now = e.type === 'order.fired' || o.status !== 'received';
      const delay = now ? 0 : Math.max(0, Date.parse(o.payment.holdAt) - Date.now());
      const queued = now ? await queues.payments.getJob(jobId.hold(o.id)) : null;
      if (queued && (await queued.isDelayed())) await queued.promote().catch(() => undefined);
      else await addJob(queues.payments, 'hold', { orderId: o.id }, { jobId: jobId.hold(o.id), delay });
    }
    // its hold refused: the customer is told (the step above), and the order cancelled if still unpaid at its deadline
    if (o.payment.status === 'failed' && o.payment.payBy && o.status === 'received') {
      const delay = Math.max(0, Date.parse(o.payment.payBy) - Date.now()) + 1000;
      await addJob(queues.payments, 'hold-deadline', { orderId: o.id }, { jobId: jobId.holdDeadline(o.id), delay });
    }
    // an order for later paid online has ended: a card saved for it is forgotten
    if (e.type === 'order.status' && o.scheduled && o.payment.method === 'online' && ['delivered', 'collected', 'cancelled'].includes(o.status)) {
      await addJob(queues.payments, 'forget-card', { orderId: o.id }, { jobId: jobId.forgetCard(o.id) });
    }
    // a manager's refund through the provider: the workers make it, once per refund (its idempotency key)
    if (e.type === 'order.refund_requested') {
      await addJob(queues.payments, 'manager-refund', { orderId: o.id }, { jobId: jobId.managerRefund(o.id, `e${e.eventId}`) });
    }
    if (o.refundDueCents > 0 && o.payment.paidWith === 'online') {
      await addJob(queues.payments, 'refund', { orderId: o.id }, { jobId: jobId.refund(o.id, o.refundedCents) });
    }
    // sent out again after a failed delivery: a new trip, a new dispatch
    if (e.type === 'order.redelivery' && o.status === 'ready' && !o.driver) {
      await addJob(queues.dispatch, 'assign', { orderId: o.id }, dispatchJobOptions(o.id, deps.dispatchRetryMs, o.delivery.attempts));
    }
    // a manager took it off its driver: dispatch finds another (a new job: the last one is done)
    if (e.type === 'order.unassigned' && o.status === 'ready' && !o.driver && !o.delivery.awaitingDecision) {
      await addJob(queues.dispatch, 'assign', { orderId: o.id }, { ...dispatchJobOptions(o.id, deps.dispatchRetryMs, o.delivery.attempts), jobId: jobId.redispatch(o.id, e.eventId) });
    }
    // a "ready" taken back to the oven: its timer again, for the time it had left from its start
    // (as the reconciler counts it; a ticket already late is checked at once), and its dispatch
    // dropped: the next "ready" dispatches it afresh
    if (e.type === 'order.recalled' && o.status === 'preparing') {
      await queues.dispatch.remove(jobId.dispatch(o.id, o.delivery.attempts)).catch(() => 0);
      await startTimer(o, e.eventId);
    }
    if (e.type !== 'order.status') return;
    if (o.status === 'preparing') {
      deps.folder?.started(o.id);
      await startTimer(o, e.eventId);
      // the kitchen started it: the card hold is taken now
      if (o.payment.status === 'authorised') await addJob(queues.payments, 'capture', { orderId: o.id }, { jobId: jobId.capture(o.id) });
    }
    // out of the oven (not back from a failed delivery): the label for its box, once (print_jobs)
    if (wantsLabel(e) && printers.has(o.pizzeriaId)) {
      await addJob(queues.printing, 'print', { orderId: o.id, kind: 'label', copy: 1 }, { jobId: jobId.print(o.id, 'label', 1), backoff: { type: 'exponential', delay: 2000 } });
    }
    if (o.status === 'ready' && o.fulfilment === 'delivery' && !o.driver && !o.delivery.awaitingDecision) {
      const opts = dispatchJobOptions(o.id, deps.dispatchRetryMs, o.delivery.attempts);
      // ready again after a recall: its first dispatch may have finished meanwhile (it found the
      // order back in the oven), and a finished job keeps its id for an hour, which would swallow
      // this one. Dispatching an order that has a driver by now does nothing, so replacing it is safe.
      const done = await queues.dispatch.getJob(opts.jobId);
      if (done && (await done.isCompleted())) await done.remove().catch(() => undefined);
      await addJob(queues.dispatch, 'assign', { orderId: o.id }, opts);
    }
  }

  const follower = new EventFollower({
    db,
    databaseUrl: deps.databaseUrl,
    name: 'ocpizza-workers',
    startAfter,
    // the hubs publish as events commit; the workers only pick up what none did (no hub running)
    publish: 'backup',
    // what the hubs publish is read a tenth of a second at a time: a job a little later is nothing
    // to a customer, and a read per move was a rush's busiest work of the workers (REACT_GATHER_MS)
    gatherMs: REACT_GATHER_MS,
    onError: (err) => log.error({ err }, 'event reactor error'),
    onEvents: async (events) => {
      // one order's events in their order; different orders' at once (a rush's batch is hundreds)
      const printers = events.some(wantsLabel) ? await shopsWithPrinters() : new Set<number>();
      const byOrder = new Map<string, OrderUpdated[]>();
      for (const e of events) {
        const list = byOrder.get(e.order.id);
        if (list) list.push(e);
        else byOrder.set(e.order.id, [e]);
      }
      await Promise.all(
        [...byOrder.values()].map(async (list) => {
          for (const e of list) await react(e, printers);
        }),
      );
      reacted = events.at(-1)!.eventId;
      if (Date.now() - savedAt >= CURSOR_SAVE_MS) await saveReacted();
    },
  });
  let reacted = startAfter;
  let saved = startAfter;
  let savedAt = Date.now();
  let saving: Promise<void> | null = null;
  async function saveReacted() {
    while (saving) await saving;
    if (reacted === saved) return;
    const upTo = reacted;
    savedAt = Date.now();
    saving = saveCursor(db, REACTOR_CURSOR, upTo).then(() => void (saved = upTo));
    try {
      await saving;
    } finally {
      saving = null;
    }
  }
  // a quiet spell after a batch still writes its place down within CURSOR_SAVE_MS
  const timer = setInterval(() => {
    forgetDueSweeps();
    if (reacted !== saved && Date.now() - savedAt >= CURSOR_SAVE_MS) saveReacted().catch((err) => log.error({ err }, 'event reactor: saving its place failed'));
  }, CURSOR_SAVE_MS / 4);
  timer.unref();
  await follower.start();
  return {
    async close() {
      clearInterval(timer);
      await follower.close();
      await saveReacted().catch((err) => log.error({ err }, 'event reactor: saving its place failed'));
    },
  };
}
