import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { expireUnpaidOrder, getOrder, recordRefund, refundToMake } from '../src/lib/server/orders.ts';
import type { PaymentProvider } from '../src/lib/server/payments/provider.ts';
import {
  applyPaymentAsProviderSees, captureToMake, paymentFormOf, processPaymentEvent, recordStrayRelease, recordCapture, recordCaptureFailure, recordRelease, storePaymentEvent, unprocessedPaymentEvents,
} from '../src/lib/server/payments/ledger.ts';
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
        if (form?.status === 'pending_payment' && form.intentId && provider.retrieve) {
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
