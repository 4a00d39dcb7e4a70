import { afterAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { connectionFor, ensureJob, type QueueOf } from '../../src/lib/server/kernel/queues.ts';
import { fileDatabase } from '../file-database.ts';

const connection = connectionFor(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `${fileDatabase().queuePrefix}_recovery`;
// a dispatch-like queue of its own, typed as the dispatch queue's jobs
const queue = new Queue('recovery', { connection, prefix }) as QueueOf<'dispatch'>;
const events = new QueueEvents('recovery', { connection, prefix });
let failNext = true;
const worker = new Worker(
  'recovery',
  async () => {
    if (failNext) throw new Error('the database is down');
    return 'done';
  },
  { connection, prefix },
);

afterAll(async () => {
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
});

describe('jobs that gave up', () => {
  it('are retried by a sweep instead of being blocked by their own id', async () => {
    await events.waitUntilReady();
    const opts = { jobId: 'assign-order-1', attempts: 1 };
    expect(await ensureJob(queue, 'assign', { orderId: 'order-1' }, opts)).toBe('added');
    const first = await queue.getJob(opts.jobId);
    await expect(first!.waitUntilFinished(events, 10_000)).rejects.toThrow(/database is down/);
    expect(await first!.getState()).toBe('failed');

    // what a plain add would do: nothing, the failed job keeps the id
    await queue.add('assign', { orderId: 'order-1' }, opts);
    expect(await (await queue.getJob(opts.jobId))!.getState()).toBe('failed');

    failNext = false; // the outage is over
    expect(await ensureJob(queue, 'assign', { orderId: 'order-1' }, opts)).toBe('retried');
    await expect((await queue.getJob(opts.jobId))!.waitUntilFinished(events, 10_000)).resolves.toBe('done');
    expect(await ensureJob(queue, 'assign', { orderId: 'order-1' }, opts)).toBe('done');
  });
});
