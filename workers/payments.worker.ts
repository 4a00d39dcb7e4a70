import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { savesCardFirst } from '../src/lib/domain/card-holds.ts';
import { expireRefusedHold, expireUnpaidOrder, getOrder, recordRefund, refundToMake } from '../src/lib/server/orders.ts';
import type { PaymentProvider } from '../src/lib/server/payments/provider.ts';
import {
  applyPaymentAsProviderSees, applySetupAsProviderSees, captureToMake, cardToForget, holdToPlace, paymentFormOf, processPaymentEvent, recordCardForgotten, recordHold, recordHoldFailure,
  recordStrayRelease, recordCapture, recordCaptureFailure, recordRelease, refusedHold, storePaymentEvent, unprocessedPaymentEvents,
} from '../src/lib/server/payments/ledger.ts';
import { makePendingRefunds } from '../src/lib/server/refunds.ts';
import { QUEUES, addJob, isJob, jobId, type JobData, type JobName, type JobOf, type Queues } from '../src/lib/server/queues.ts';

/** Online payments: starting them, the provider's events, unpaid orders expiring, captures, releases and refunds. */
export function startPaymentsWorker(deps: {
  db: Db;
  connection: ConnectionOptions;
  prefix: string;
  provider: PaymentProvider;
  queues: Pick<Queues, 'payments'>;
  log: Logger;
  expiryMinutes: number;
}) {
  const { db, provider, log } = deps;
  /** What an event did; a hold the order cannot use is handed to a release job of its own. */
  const applied = async (r: Awaited<ReturnType<typeof processPaymentEvent>>, eventId: string) => {
    log.info({ eventId, orderId: r.orderId, outcome: r.outcome }, 'payment event');
    if (r.hold && r.orderId) await addJob(deps.queues.payments, 'release', { orderId: r.orderId, ...r.hold }, { jobId: jobId.release(r.hold.intentId) });
    return r.outcome;
  };
  return new Worker<JobData<'payments'>, unknown, JobName<'payments'>>(
    QUEUES.payments,
    async (job: JobOf<'payments'>) => {
      if (isJob(job, 'begin')) {
        const { orderId, attempt = 1 } = job.data;
        const order = await getOrder(db, orderId);
        if (!order || order.status !== 'pending_payment') return 'nothing to pay';
        if (order.payment.attempt !== attempt) return 'a newer attempt replaced this one';
        // a slot far ahead: the card is saved now and held the day before (src/lib/domain/card-holds.ts)
        const placedAt = Date.parse(order.timestamps.pending_payment ?? order.timestamps.created ?? '') || Date.now();
        if (provider.saveCard && savesCardFirst(order.scheduled ? Date.parse(order.scheduled.slotAt) : null, placedAt)) {
          await provider.saveCard(order);
          return 'card to save';
        }
        await provider.begin(order);
        return 'started';
      }
      if (isJob(job, 'expire')) {
        const { orderId, attempt = 1 } = job.data;
        // before cancelling: what the webhook kept for this order and no job processed yet comes first
        for (const eventId of await unprocessedPaymentEvents(db, orderId)) await applied(await processPaymentEvent(db, eventId), eventId);
        // then the provider is asked: a hold (or a payment) whose webhook never reached us is honoured
        // as the webhook would have been. The provider away: the job tries again, and nothing is
        // cancelled meanwhile; a provider that does not know the payment has nothing to honour
        const form = await paymentFormOf(db, orderId, deps.expiryMinutes);
        // a card to save: the same question of its setup (a card saved whose webhook never came takes the order)
        if (form?.status === 'pending_payment' && form.kind === 'save' && form.intentId && provider.retrieveSetup) {
          const setup = await provider.retrieveSetup(form.intentId).catch((err) => {
            if (!provider.isRefusal(err)) throw err;
            return null;
          });
          const r = setup && (await applySetupAsProviderSees(db, provider.name, setup));
          if (r) await applied(r, `asked_${setup.id}_saved`);
          if ((await getOrder(db, orderId))?.status !== 'pending_payment') {
            log.warn({ orderId, setupId: form.intentId }, 'unpaid order found with its card saved at the provider: kept');
            return 'card saved at the provider';
          }
        }
        if (form?.status === 'pending_payment' && form.kind === 'pay' && form.intentId && provider.retrieve) {
          const intent = await provider.retrieve(form.intentId).catch((err) => {
            if (!provider.isRefusal(err)) throw err;
            log.warn({ orderId, err: (err as Error).message }, 'the provider does not know the payment of an unpaid order');
            return null;
          });
          if (intent) for (const r of await applyPaymentAsProviderSees(db, provider.name, intent)) await applied(r, `asked_${intent.id}`);
          if (intent && (await getOrder(db, orderId))?.status !== 'pending_payment') {
            log.warn({ orderId, intentId: intent.id, state: intent.state }, 'unpaid order found paid at the provider: kept');
            return 'paid at the provider';
          }
        }
        const expired = await expireUnpaidOrder(db, orderId, deps.expiryMinutes);
        if (expired) {
          log.warn({ orderId }, 'unpaid order expired');
          // the payment form stops taking cards: a hold made meanwhile is let go with the same call
          const intentId = (await paymentFormOf(db, orderId, deps.expiryMinutes))?.intentId;
          if (intentId && provider.release) await provider.release({ orderId, paymentId: intentId, idempotencyKey: `release-${intentId}` });
          return 'expired';
        }
        // a timer that fired a little early (clocks differ) tries again; a newer attempt has its own timer
        const order = await getOrder(db, orderId);
        if (order?.status === 'pending_payment' && order.payment.attempt === attempt) throw new Error('not expired yet');
        return 'paid, cancelled or restarted meanwhile';
      }
      if (isJob(job, 'event')) {
        // the event as the server kept it; a job of an earlier version carries it, kept here first
        const data = job.data;
        if ('event' in data) await storePaymentEvent(db, provider.noticeOf(data.event));
        const eventId = 'event' in data ? data.event.id : data.eventId;
        return applied(await processPaymentEvent(db, eventId), eventId);
      }
      if (isJob(job, 'release')) {
        const { orderId, intentId, amountCents } = job.data;
        if (!provider.release) return 'no way to let a hold go';
        await provider.release({ orderId, paymentId: intentId, idempotencyKey: `release-${intentId}` });
        await recordStrayRelease(db, provider.name, orderId, intentId, amountCents);
        log.info({ orderId, intentId, amountCents }, 'stray hold released');
        return `released ${amountCents}`;
      }
      if (isJob(job, 'capture')) {
        const { orderId } = job.data;
        const due = await captureToMake(db, orderId);
        if (!due || !provider.capture) return 'nothing to capture';
        try {
          const taken = await provider.capture({ orderId, paymentId: due.intentId, amountCents: due.amountCents, idempotencyKey: `capture-${orderId}` });
          const done = await recordCapture(db, provider.name, orderId, { intentId: due.intentId, amountCents: taken.amountCents });
          log.info({ orderId, amountCents: taken.amountCents, recorded: !!done }, 'hold captured');
          return `captured ${taken.amountCents}`;
        } catch (err) {
          // a refusal (an expired hold, a card blocked since) will not change on a retry: the manager is told
          if (provider.isRefusal(err)) {
            await recordCaptureFailure(db, provider.name, orderId, due.intentId, (err as Error).message);
            log.warn({ orderId, err: (err as Error).message }, 'capture refused');
            return 'capture refused';
          }
          throw err;
        }
      }
      if (isJob(job, 'hold')) {
        const { orderId } = job.data;
        if (!provider.placeHold) return 'no way to hold a saved card';
        const ask = await holdToPlace(db, orderId);
        if (!ask) return 'nothing to hold';
        // queued before its time (a clock ahead of the database's): tried again shortly
        if (!ask.due) throw new Error(`the hold is due at ${new Date(ask.at).toISOString()}`);
        // the key names the order and its attempt, and the amount asked is fixed in the order
        // (holdToPlace): a retry, however late, gets the first answer, never a second hold
        const result = await provider.placeHold({
          orderId, attempt: ask.attempt, amountCents: ask.amountCents, customer: ask.customer, paymentMethod: ask.paymentMethod,
          idempotencyKey: `hold-${orderId}-${ask.attempt}`, description: `OC Pizza, commande ${ask.number}`,
        });
        // the kitchen started it before its hold (a manager fired it early): taken at once
        const captureNow = () => (ask.started ? addJob(deps.queues.payments, 'capture', { orderId }, { jobId: jobId.capture(orderId) }) : undefined);
        if (result.outcome === 'held') {
          const r = await recordHold(db, provider.name, orderId, { paymentId: result.paymentId, amountCents: result.amountCents, attempt: ask.attempt });
          if (r.outcome === 'release') await addJob(deps.queues.payments, 'release', { orderId, ...r.hold }, { jobId: jobId.release(r.hold.intentId) });
          else await captureNow();
          log.info({ orderId, amountCents: result.amountCents, outcome: r.outcome }, 'saved card held');
          return `held ${result.amountCents}`;
        }
        // declined, or the bank wants the customer: told by the reactor (a message with the payment page), with a deadline
        await recordHoldFailure(db, provider.name, orderId, result);
        log.warn({ orderId, reason: result.reason }, 'hold of a saved card refused');
        return 'hold refused';
      }
      if (isJob(job, 'hold-deadline')) {
        const { orderId } = job.data;
        const refused = await refusedHold(db, orderId);
        if (!refused) return 'paid or ended meanwhile';
        if (!refused.passed) throw new Error(`the deadline is ${new Date(refused.payBy).toISOString()}`);
        // as for any unpaid order: what the webhook kept comes first, then the provider is asked
        for (const eventId of await unprocessedPaymentEvents(db, orderId)) await applied(await processPaymentEvent(db, eventId), eventId);
        if (refused.paymentId && provider.retrieve) {
          const intent = await provider.retrieve(refused.paymentId).catch((err) => {
            if (!provider.isRefusal(err)) throw err;
            return null;
          });
          if (intent) for (const r of await applyPaymentAsProviderSees(db, provider.name, intent)) await applied(r, `asked_${intent.id}`);
        }
        const expired = await expireRefusedHold(db, orderId);
        if (!expired) return 'paid or started meanwhile';
        log.warn({ orderId }, 'order for later cancelled: its hold was refused and never paid');
        // the payment the customer was asked to complete can no longer be
        if (refused.paymentId && provider.release) {
          await provider.release({ orderId, paymentId: refused.paymentId, idempotencyKey: `release-${refused.paymentId}` }).catch((err) => {
            if (!provider.isRefusal(err)) throw err;
          });
        }
        return 'cancelled unpaid';
      }
      if (isJob(job, 'forget-card')) {
        const { orderId } = job.data;
        const card = await cardToForget(db, orderId);
        if (!card) return 'nothing to forget';
        if (card.unpaidIntent && provider.release) {
          await provider.release({ orderId, paymentId: card.unpaidIntent, idempotencyKey: `release-${card.unpaidIntent}` }).catch((err) => {
            if (!provider.isRefusal(err)) throw err;
          });
        }
        if (provider.forgetCard) {
          // a card already detached is a refusal: forgotten all the same
          await provider.forgetCard({ orderId, paymentMethod: card.paymentMethod, idempotencyKey: `forget-${orderId}` }).catch((err) => {
            if (!provider.isRefusal(err)) throw err;
          });
        }
        await recordCardForgotten(db, orderId);
        return 'card forgotten';
      }
      if (isJob(job, 'manager-refund')) {
        const { orderId } = job.data;
        const made = await makePendingRefunds(db, provider, orderId);
        log.info({ orderId, ...made }, 'manager refunds');
        return `refunds done ${made.done}, failed ${made.failed}`;
      }
      if (isJob(job, 'refund')) {
        const { orderId } = job.data;
        const due = await refundToMake(db, orderId);
        if (!due) return 'nothing to refund';
        if (due.hold) {
          if (!provider.release) return 'a hold, and no way to let it go';
          await provider.release({ orderId, paymentId: due.paymentReference, idempotencyKey: `release-${due.paymentReference}` });
          await recordRelease(db, provider.name, orderId, due.paymentReference);
          log.info({ orderId, amountCents: due.amountCents }, 'hold released');
          return `released ${due.amountCents}`;
        }
        const refund = await provider.refund({
          orderId,
          amountCents: due.amountCents,
          paymentReference: due.paymentReference,
          idempotencyKey: `${orderId}-${due.refundedSoFarCents}`,
        });
        await recordRefund(db, orderId, { ...refund, provider: provider.name });
        log.info({ orderId, amountCents: refund.amountCents, reference: refund.reference }, 'refund made');
        return `refunded ${refund.amountCents}`;
      }
      throw new UnrecoverableError(`unknown payments job ${job.name}`);
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5 },
  );
}
