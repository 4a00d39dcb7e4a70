import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { confirmPayment, getOrder } from '../src/lib/server/orders.ts';
import type { PaymentProvider } from './payment-provider.ts';
import { QUEUES, type JobPayloads } from './queues.ts';

export function startPaymentsWorker(deps: { db: Db; connection: ConnectionOptions; prefix: string; provider: PaymentProvider; log: Logger }) {
  const { db, provider, log } = deps;
  return new Worker<JobPayloads['payments:begin']>(
    QUEUES.payments,
    async (job) => {
      const order = await getOrder(db, job.data.orderId);
      if (!order) return 'unknown order';
      if (job.name === 'begin') {
        if (order.status !== 'pending_payment') return 'nothing to pay';
        await provider.begin(order);
        return 'started';
      }
      if (job.name === 'confirm') {
        const done = await confirmPayment(db, order.id);
        log.info({ orderId: order.id, confirmed: !!done }, 'payment confirmation');
        return done ? 'confirmed' : 'already settled';
      }
      throw new Error(`unknown payments job ${job.name}`);
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5 },
  );
}
