// The customer's texts sent by the event reactor itself, not through a BullMQ job: a rush sends one
// for every order placed ("received") and every pickup out of the oven ("ready"), and a job for each
// (its add, its run and its finish, three scripts in Redis and their events, and the worker's round
// trips to Redis) cost more than the message itself (measured in docs/benchmarks.md).
//
// At most DIRECT_IN_FLIGHT are on their way at once (the reactor reads a tenth of a second of events
// at a time: a rush hands over twenty texts together); the rest wait their turn here, up to
// DIRECT_WAITING, past which a text takes its job as before. One order's texts go one after the
// other, in the order the reactor handed them on (its events' order): a customer never reads "prête"
// before "reçue" because the first was slower to leave (seen in a full run on a loaded machine).
//
// What keeps it once and never lost is unchanged, and is Postgres': each message is claimed in
// customer_notifications before it leaves (notifyCustomer). A send that fails is handed to the
// notifications queue under the job id the reactor used to give it (its retries, its backoff); a
// worker that stops between the event and the claim leaves a step the reconciler finds unclaimed
// (stepsNeverClaimed) and queues. Only the steps that always write a claim are sent this way (those
// with a text: every order has a phone); the others (email only, and only when the customer gave
// one) keep their job, whose id Redis keeps for an hour, so that the reconciler does not queue again
// and again a step that had nothing to send.
import type { Logger } from 'pino';
import { notifyCustomer, sendsAText, type NotificationDeps, type NotificationStep } from '../src/lib/server/messages/notifications.ts';
import { addJob, jobId, type Queues } from '../src/lib/server/kernel/queues.ts';

/** At most this many messages on their way at once (a mail server takes a connection for each). */
export const DIRECT_IN_FLIGHT = 10;
/** At most this many waiting for their turn; past it, a message takes the queue as before. */
export const DIRECT_WAITING = 1000;
/** A text that failed is tried again by its job this much later (the queue's first backoff). */
const RETRY_AFTER_MS = 1000;

export interface MessageSender {
  /** Hands a step's messages on: to send here when it has a text, else (or when too many wait) to the queue; resolves once handed on, not once sent. */
  send(orderId: string, step: NotificationStep): Promise<void>;
  /** How many are on their way now, and how many wait for their turn. */
  readonly inFlight: number;
  readonly waiting: number;
  /** Sends what waits, and waits for what is on its way, for at most `timeoutMs`; what is left then is queued (or, failing that, the reconciler's). */
  close(timeoutMs: number): Promise<void>;
}

export function createMessageSender(deps: { notify: NotificationDeps; queues: Queues; log: Logger; maxInFlight?: number; maxWaiting?: number }): MessageSender {
  const { queues, log } = deps;
  const maxInFlight = deps.maxInFlight ?? DIRECT_IN_FLIGHT;
  const maxWaiting = deps.maxWaiting ?? DIRECT_WAITING;
  const sending = new Set<Promise<void>>();
  const waiting: { orderId: string; step: NotificationStep }[] = [];
  /** The orders with a message on its way: their next waits for it. */
  const busy = new Set<string>();
  let closed = false;
  const queue = (orderId: string, step: string, delay = 0) =>
    addJob(queues.notifications, 'send', { orderId, step }, { jobId: jobId.notify(orderId, step), delay });
  const queueOrLog = (orderId: string, step: string, delay = 0) =>
    queue(orderId, step, delay).then(
      () => undefined,
      (err) => log.error({ orderId, step, err: (err as Error).message }, 'message neither sent nor queued: the reconciler will queue it'),
    );

  function sendNow(orderId: string, step: NotificationStep) {
    const run = notifyCustomer({ ...deps.notify, log }, orderId, step).then(
      (done) => log.info({ orderId, step, ...done }, 'customer notified'),
      // its job retries it, after the pause a job's first retry waits (a claim already sent or held
      // is not sent twice: notifyCustomer)
      (err) => {
        log.debug({ orderId, step, err: (err as Error).message }, 'message not sent at once: queued for a retry');
        return queueOrLog(orderId, step, RETRY_AFTER_MS);
      },
    );
    const tracked = run.finally(() => {
      sending.delete(tracked);
      busy.delete(orderId);
      pump();
    });
    sending.add(tracked);
    busy.add(orderId);
  }
  function pump() {
    while (!closed && sending.size < maxInFlight) {
      // the first waiting message whose order has none on its way
      const i = waiting.findIndex((m) => !busy.has(m.orderId));
      if (i < 0) return;
      const [next] = waiting.splice(i, 1);
      sendNow(next.orderId, next.step);
    }
  }

  return {
    async send(orderId, step) {
      if (closed || !sendsAText(step) || waiting.length >= maxWaiting) return queue(orderId, step).then(() => undefined);
      waiting.push({ orderId, step });
      pump();
    },
    get inFlight() {
      return sending.size;
    },
    get waiting() {
      return waiting.length;
    },
    async close(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while ((sending.size || waiting.length) && Date.now() < until) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.race([...sending]), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, until - Date.now()))))]);
        clearTimeout(timer);
      }
      closed = true;
      // not sent in time: their jobs send them (the reconciler, should Redis be away too)
      await Promise.all(waiting.splice(0).map((m) => queueOrLog(m.orderId, m.step)));
    },
  };
}
