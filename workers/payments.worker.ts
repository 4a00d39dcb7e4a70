import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { confirmPayment, expireUnpaidOrder, getOrder, recordRefund, refundToMake } from '../src/lib/server/orders.ts';
import type { PaymentProvider } from './payment-provider.ts';
import { captureToMake, handlePaymentEvent, recordCapture, recordCaptureFailure, recordRelease, type PaymentEvent } from '../src/lib/server/payments.ts';

/** A provider's answer that a retry will not change (a card error, an invalid request), as opposed to a network or server failure. */
function isRefusal(err: unknown): boolean {
  const type = (err as { type?: string })?.type;
  return type === 'StripeCardError' || type === 'StripeInvalidRequestError';
}
import { QUEUES, isJob, type JobData, type JobName, type JobOf } from '../src/lib/server/queues.ts';

/** Online payments: starting them, their confirmations, unpaid orders expiring, and refunds. */
export function startPaymentsWorker(deps: {
  db: Db;
  connection: ConnectionOptions;
  prefix: string;
  provider: PaymentProvider;
  log: Logger;
  expiryMinutes: number;
}) {
  const { db, provider, log } = deps;
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
      if (isJob(job, 'confirm')) {
        const c = job.data;
        if (typeof c.attempt !== 'number' || typeof c.amountCents !== 'number' || typeof c.reference !== 'string') {
          throw new UnrecoverableError('a confirmation needs an attempt, an amount and a reference');
        }
        const done = await confirmPayment(db, c);
        log.info({ orderId: c.orderId, attempt: c.attempt, amountCents: c.amountCents, confirmed: !!done }, 'payment confirmation');
        return done ? 'confirmed' : 'not for the payment in progress: order unchanged';
      }
      if (isJob(job, 'expire')) {
        const { orderId, attempt = 1 } = job.data;
        const expired = await expireUnpaidOrder(db, orderId, deps.expiryMinutes);
        if (expired) {
          log.warn({ orderId }, 'unpaid order expired');
          return 'expired';
        }
        // a timer that fired a little early (clocks differ) tries again; a newer attempt has its own timer
        const order = await getOrder(db, orderId);
        if (order?.status === 'pending_payment' && order.payment.attempt === attempt) throw new Error('not expired yet');
        return 'paid, cancelled or restarted meanwhile';
      }
      if (isJob(job, 'event')) {
        const { outcome } = await handlePaymentEvent(db, job.data.event as unknown as PaymentEvent);
        log.info({ eventId: job.data.event.id, type: job.data.event.type, outcome }, 'payment event');
        return outcome;
      }
      if (isJob(job, 'capture')) {
        const { orderId } = job.data;
        const due = await captureToMake(db, orderId);
        if (!due || !provider.capture) return 'nothing to capture';
        try {
          const taken = await provider.capture({ orderId, intentId: due.intentId, amountCents: due.amountCents, idempotencyKey: `capture-${orderId}` });
          const done = await recordCapture(db, orderId, { intentId: due.intentId, amountCents: taken.amountCents });
          log.info({ orderId, amountCents: taken.amountCents, recorded: !!done }, 'hold captured');
          return `captured ${taken.amountCents}`;
        } catch (err) {
          // a refusal (an expired hold, a card blocked since) will not change on a retry: the manager is told
          if (isRefusal(err)) {
            await recordCaptureFailure(db, orderId, due.intentId, (err as Error).message);
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
          await provider.release({ orderId, intentId: due.paymentReference, idempotencyKey: `release-${orderId}` });
          await recordRelease(db, orderId, due.paymentReference);
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
