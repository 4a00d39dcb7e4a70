import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { confirmPayment, expireUnpaidOrder, getOrder, recordRefund, refundToMake } from '../src/lib/server/orders.ts';
import type { PaymentProvider } from './payment-provider.ts';
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
      if (isJob(job, 'refund')) {
        const { orderId } = job.data;
        const due = await refundToMake(db, orderId);
        if (!due) return 'nothing to refund';
        const refund = await provider.refund({
          orderId,
          amountCents: due.amountCents,
          paymentReference: due.paymentReference,
          idempotencyKey: `${orderId}-${due.refundedSoFarCents}`,
        });
        await recordRefund(db, orderId, refund);
        log.info({ orderId, amountCents: refund.amountCents, reference: refund.reference }, 'refund made');
        return `refunded ${refund.amountCents}`;
      }
      throw new UnrecoverableError(`unknown payments job ${job.name}`);
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5 },
  );
}
