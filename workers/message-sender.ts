// The customer's texts sent by the event reactor itself, not through a BullMQ job: a rush sends one
// for every order placed ("received") and every pickup out of the oven ("ready"), and a job for each
// (its add, its run and its finish, three scripts in Redis and their events, and the worker's round
// trips to Redis) cost more than the message itself (measured in docs/benchmarks.md).
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
import { notifyCustomer, sendsAText, type NotificationDeps, type NotificationStep } from '../src/lib/server/notifications.ts';
import { addJob, jobId, type Queues } from '../src/lib/server/queues.ts';

/** At most this many messages on their way at once; past it, a message takes the queue as before. */
export const DIRECT_IN_FLIGHT = 10;
/** A text that failed is tried again by its job this much later (the queue's first backoff). */
const RETRY_AFTER_MS = 1000;

export interface MessageSender {
  /** Hands a step's messages on: sent now when it has a text and room, else queued; resolves once handed on, not once sent. */
  send(orderId: string, step: NotificationStep): Promise<void>;
  /** How many are on their way now. */
  readonly inFlight: number;
  /** Waits for the messages on their way (at most `timeoutMs`: a message not claimed by then is the reconciler's). */
  close(timeoutMs: number): Promise<void>;
}

export function createMessageSender(deps: { notify: NotificationDeps; queues: Queues; log: Logger; maxInFlight?: number }): MessageSender {
  const { queues, log } = deps;
  const max = deps.maxInFlight ?? DIRECT_IN_FLIGHT;
  const sending = new Set<Promise<void>>();
  const queue = (orderId: string, step: string, delay = 0) =>
    addJob(queues.notifications, 'send', { orderId, step }, { jobId: jobId.notify(orderId, step), delay });

  function sendNow(orderId: string, step: NotificationStep) {
    const run = notifyCustomer({ ...deps.notify, log }, orderId, step).then(
      (done) => log.info({ orderId, step, ...done }, 'customer notified'),
      // its job retries it, after the pause a job's first retry waits (a claim already sent or held
      // is not sent twice: notifyCustomer)
      (err) => {
        log.debug({ orderId, step, err: (err as Error).message }, 'message not sent at once: queued for a retry');
        return queue(orderId, step, RETRY_AFTER_MS).then(
          () => undefined,
          (qerr) => log.error({ orderId, step, err: (qerr as Error).message }, 'message neither sent nor queued: the reconciler will queue it'),
        );
      },
    );
    const tracked = run.finally(() => sending.delete(tracked));
    sending.add(tracked);
  }

  return {
    async send(orderId, step) {
      if (sendsAText(step) && sending.size < max) return sendNow(orderId, step);
      await queue(orderId, step);
    },
    get inFlight() {
      return sending.size;
    },
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...sending]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}
