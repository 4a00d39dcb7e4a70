import type { Logger } from 'pino';
import { reactionsTo, wantsLabel, type Reaction } from '../src/lib/domain/reactions.ts';
import { movesStock } from '../src/lib/domain/marketplaces.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { EventFollower } from '../src/lib/server/events/event-follower.ts';
import { EVENT_PARTITIONS, listPartitionEventsAfter, readCursors, saveCursors, type PartitionedEvent } from '../src/lib/server/events/events.ts';
import { shopsWithPrinters } from '../src/lib/server/printing/index.ts';
import { addJob, dispatchJobOptions, jobId, prepSweepFor, type Queues } from '../src/lib/server/kernel/queues.ts';
import { prepTargetSecondsOf } from '../src/lib/server/shops/shops.ts';
import type { MessageSender } from './message-sender.ts';

/** The reactor's places in event_cursors are named after this, one per partition (reactorCursor). */
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

interface ReactorDeps {
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
  /** Told that events came: the fiscal journal reads them from its own place soon after (fiscal-journal.ts). */
  journal?: { nudge(): void };
  /** Told of each shop whose stock an order moved: its delivery platforms hear of sold-outs (marketplace-watch.ts). */
  platforms?: { touched(shop: number): void };
}
type Order = OrderUpdated['order'];

/**
 * The preparation timers. An order in the oven is late if still there at its target time, counted
 * from its start (a ticket taken back keeps its start; already past it, it is checked at once). An
 * order out of the oven before then is simply not found by its timer.
 */
function createPrepTimers({ db, queues, prepTargetMs: chainTargetMs }: ReactorDeps) {
  // a shop may have its own target preparation time (the back office): read at most once a minute
  const targets = new Map<number, { ms: number; until: number }>();
  async function targetMs(shop: number): Promise<number> {
    const hit = targets.get(shop);
    if (hit && hit.until > Date.now()) return hit.ms;
    const seconds = await prepTargetSecondsOf(db, shop);
    const ms = seconds ? seconds * 1000 : chainTargetMs;
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
  return {
    async start(o: Order, startedAt: number, eventId: number) {
      const sweep = prepSweepFor(o.pizzeriaId, startedAt, await targetMs(o.pizzeriaId));
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
    },
    forgetDue() {
      const now = Date.now();
      for (const [id, s] of sweeps) if (s.dueMs <= now) sweeps.delete(id);
    },
  };
}
type PrepTimers = ReturnType<typeof createPrepTimers>;

/** How each reaction (src/lib/domain/reactions.ts) is carried out: a reaction without its way does not compile. */
type Executors = { [K in Reaction['kind']]: (r: Extract<Reaction, { kind: K }>, o: Order) => Promise<unknown> | void };

function executorsFor(deps: ReactorDeps, timers: PrepTimers): Executors {
  const { queues, dispatchRetryMs } = deps;
  const pay = queues.payments;
  return {
    message: (r, o) => deps.messages.send(o.id, r.step),
    'begin-payment': (r, o) => addJob(pay, 'begin', { orderId: o.id, attempt: r.attempt }, { jobId: jobId.paymentBegin(o.id, r.attempt) }),
    'expire-payment': (r, o) => addJob(pay, 'expire', { orderId: o.id, attempt: r.attempt }, { jobId: jobId.paymentExpiry(o.id, r.attempt), delay: r.delayMs }),
    fire: (r, o) => addJob(queues.prep, 'fire', { orderId: o.id }, { jobId: jobId.fire(o.id), delay: r.delayMs, backoff: { type: 'fixed', delay: 1000 } }),
    async hold(r, o) {
      const queued = r.promote ? await pay.getJob(jobId.hold(o.id)) : null;
      if (queued && (await queued.isDelayed())) await queued.promote().catch(() => undefined);
      else await addJob(pay, 'hold', { orderId: o.id }, { jobId: jobId.hold(o.id), delay: r.delayMs });
    },
    'hold-deadline': (r, o) => addJob(pay, 'hold-deadline', { orderId: o.id }, { jobId: jobId.holdDeadline(o.id), delay: r.delayMs }),
    'forget-card': (_r, o) => addJob(pay, 'forget-card', { orderId: o.id }, { jobId: jobId.forgetCard(o.id) }),
    'manager-refund': (r, o) => addJob(pay, 'manager-refund', { orderId: o.id }, { jobId: jobId.managerRefund(o.id, `e${r.eventId}`) }),
    refund: (r, o) => addJob(pay, 'refund', { orderId: o.id }, { jobId: jobId.refund(o.id, r.refundedSoFarCents) }),
    async dispatch(r, o) {
      const opts = dispatchJobOptions(o.id, dispatchRetryMs, r.round);
      // ready again after a recall: its first dispatch may have finished meanwhile (it found the
      // order back in the oven), and a finished job keeps its id for an hour, which would swallow
      // this one. Dispatching an order that has a driver by now does nothing, so replacing it is safe.
      const done = r.replaceFinished ? await queues.dispatch.getJob(opts.jobId) : null;
      if (done && (await done.isCompleted())) await done.remove().catch(() => undefined);
      await addJob(queues.dispatch, 'assign', { orderId: o.id }, opts);
    },
    redispatch: (r, o) =>
      addJob(queues.dispatch, 'assign', { orderId: o.id }, { ...dispatchJobOptions(o.id, dispatchRetryMs, r.round), jobId: jobId.redispatch(o.id, r.eventId) }),
    'drop-dispatch': (r, o) => queues.dispatch.remove(jobId.dispatch(o.id, r.round)).catch(() => 0),
    'prep-timer': (r, o) => timers.start(o, r.startedAt, r.eventId),
    'fold-stock': (_r, o) => deps.folder?.started(o.id),
    capture: (_r, o) => addJob(pay, 'capture', { orderId: o.id }, { jobId: jobId.capture(o.id) }),
    'share-tips': (_r, o) => addJob(pay, 'tip-shares', { orderId: o.id }, { jobId: jobId.tipShares(o.id) }),
    'platform-step': (r, o) => addJob(queues.marketplaces, 'step', { orderId: o.id, step: r.step }, { jobId: jobId.marketplaceStep(o.id, r.step) }),
    'platform-cancel': (_r, o) => addJob(queues.marketplaces, 'cancel', { orderId: o.id }, { jobId: jobId.marketplaceCancel(o.id) }),
    'print-label': (_r, o) =>
      addJob(queues.printing, 'print', { orderId: o.id, kind: 'label', copy: 1 }, { jobId: jobId.print(o.id, 'label', 1), backoff: { type: 'exponential', delay: 2000 } }),
  };
}

/** Carries out a batch's reactions: one order's events in their order; different orders' at once (a rush's batch is hundreds). */
function createReactions(deps: ReactorDeps, timers: PrepTimers) {
  const act = executorsFor(deps, timers);
  async function react(e: OrderUpdated, printers: Set<number>) {
    const reactions = reactionsTo(e, { now: Date.now(), paymentExpiryMs: deps.paymentExpiryMs, shopHasPrinter: printers.has(e.order.pizzeriaId) });
    for (const r of reactions) await (act[r.kind] as (r: Reaction, o: Order) => Promise<unknown> | void)(r, e.order);
  }
  return async (events: OrderUpdated[]) => {
    // the shops with a printer, read once for a batch that has labels to print: most shops have none,
    // and a label job for each of their pizzas out of the oven was a rush's busiest queue for nothing.
    // Read afresh for each batch, so a printer set on the back office prints the next label.
    const printers = events.some(wantsLabel) ? await shopsWithPrinters(deps.db) : new Set<number>();
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
  };
}

/** A partition's place in event_cursors ('workers:0' … 'workers:15'; the reconciler reads them too). */
export const reactorCursor = (part: number): string => `${REACTOR_CURSOR}:${part}`;

/** The reactor's place in each partition, by partition (the reconciler's bound: what was reacted to). */
export async function reactorPlaces(db: Db): Promise<number[]> {
  const names = Array.from({ length: EVENT_PARTITIONS }, (_, p) => reactorCursor(p));
  const places = await readCursors(db, names);
  return names.map((n) => places.get(n) ?? 0);
}

/**
 * The reactor's places, one per partition it follows: written down at most every CURSOR_SAVE_MS,
 * in one statement, one write at a time; a place never moves back (events.ts saveCursors).
 */
function createPlaces(db: Db) {
  /** The partitions read now, each with the id it reacted up to. */
  const reacted = new Map<number, number>();
  const following = new Set<number>();
  const saved = new Map<number, number>();
  let savedAt = Date.now();
  let saving: Promise<void> = Promise.resolve();
  function save(only?: number): Promise<void> {
    const run = saving.then(async () => {
      const due = new Map<string, number>();
      for (const [part, id] of reacted) if ((only === undefined || part === only) && saved.get(part) !== id) due.set(reactorCursor(part), id);
      if (only === undefined) savedAt = Date.now();
      if (!due.size) return;
      await saveCursors(db, due);
      for (const [name, id] of due) saved.set(Number(name.slice(REACTOR_CURSOR.length + 1)), id);
    });
    saving = run.catch(() => undefined);
    return run;
  }
  return {
    following,
    /** The places of the partitions read now (the reader's argument). */
    reading: () => new Map([...following].map((p) => [p, reacted.get(p)!])),
    async take(part: number) {
      const name = reactorCursor(part);
      const place = (await readCursors(db, [name])).get(name) ?? 0;
      reacted.set(part, place);
      saved.set(part, place);
      following.add(part);
    },
    reached(e: PartitionedEvent) {
      if (reacted.has(e.part)) reacted.set(e.part, Math.max(reacted.get(e.part)!, e.eventId));
    },
    /** Stops reading a partition (its place is written down by `forget`, once its last batch is done). */
    leave: (part: number) => following.delete(part),
    async forget(part: number, write: boolean) {
      if (write) await save(part);
      reacted.delete(part);
      saved.delete(part);
    },
    save,
    /** Whether a save is due: moved on since the last, and that was CURSOR_SAVE_MS ago. */
    due: () => Date.now() - savedAt >= CURSOR_SAVE_MS && [...reacted].some(([p, id]) => saved.get(p) !== id),
    sinceSaveMs: () => Date.now() - savedAt,
  };
}

/** The event reactor of one workers process: the partitions it follows come and go with their leases (event-partitions.ts). */
export interface EventReactor {
  /** The partitions this process reacts to now. */
  readonly partitions: ReadonlySet<number>;
  /** Starts reacting to a partition from its written place (its lease just taken). */
  take(part: number): Promise<void>;
  /** Stops reacting to a partition: its batch under way done, its place written down (before its lease goes). */
  give(part: number): Promise<void>;
  /** Stops at once, its place not written down (its lease already lost: another process may have it). */
  drop(part: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Turns order events into jobs: a payment to take, a preparation timer to start, a delivery to
 * assign, a message to the customer (a text sent at once: message-sender.ts; and an order started
 * into the stock folder). What to do is the domain's (reactionsTo); this carries it out. It follows
 * the partitions it is given (shops hashed into EVENT_PARTITIONS, each one process's through its
 * lease), keeping a place per partition in event_cursors, so after a restart or a takeover the
 * next owner reacts to every event not handled; job ids and message claims make a repeat harmless.
 */
export async function startEventReactor(deps: ReactorDeps): Promise<EventReactor> {
  const { db, log } = deps;
  const timers = createPrepTimers(deps);
  const reactTo = createReactions(deps, timers);
  const places = createPlaces(db);
  const saveOrLog = () => places.save().catch((err) => log.error({ err }, 'event reactor: saving its place failed'));
  const follower = new EventFollower({
    db,
    databaseUrl: deps.databaseUrl,
    name: 'ocpizza-workers',
    startAfter: 0,
    // the hubs publish as events commit; the workers only pick up what none did (no hub running)
    publish: 'backup',
    // what the hubs publish is read a tenth of a second at a time: a job a little later is nothing
    // to a customer, and a read per move was a rush's busiest work of the workers (REACT_GATHER_MS)
    gatherMs: REACT_GATHER_MS,
    read: (limit) => listPartitionEventsAfter(db, places.reading(), limit),
    onError: (err) => log.error({ err }, 'event reactor error'),
    onEvents: async (events) => {
      deps.journal?.nudge();
      // an order placed, changed or cancelled moved its shop's stock: its platform stores may hear of a sold-out
      for (const e of events) if (movesStock(e)) deps.platforms?.touched(e.order.pizzeriaId);
      await reactTo(events);
      for (const e of events) places.reached(e as PartitionedEvent);
      if (places.sinceSaveMs() >= CURSOR_SAVE_MS) await places.save();
    },
  });
  // a quiet spell after a batch still writes its place down within CURSOR_SAVE_MS
  const timer = setInterval(() => {
    timers.forgetDue();
    if (places.due()) void saveOrLog();
  }, CURSOR_SAVE_MS / 4);
  timer.unref();
  await follower.start();
  return {
    partitions: places.following,
    async take(part) {
      if (places.following.has(part)) return;
      await places.take(part);
      void follower.drain({ read: true });
    },
    async give(part) {
      if (!places.leave(part)) return;
      // a batch read before it left may still hold its events: they are reacted to, then its place written
      await follower.idle();
      await places.forget(part, true);
    },
    async drop(part) {
      if (!places.leave(part)) return;
      await places.forget(part, false);
    },
    async close() {
      clearInterval(timer);
      await follower.close();
      await saveOrLog();
    },
  };
}
